// Package metrics measures posbot for Prometheus: messages, answer latency,
// retrieval confidence, clarifications, handoffs and escalation targets,
// errors, HTTP requests by route and status, the latency of store and model
// calls, and the build. Each Metrics has its own registry, so tests and
// several servers in one process do not collide.
package metrics

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds posbot's collectors and the registry they live in. Build it
// with New; it is safe for concurrent use.
type Metrics struct {
	reg        *prometheus.Registry
	messages   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	confidence prometheus.Histogram
	replies    *prometheus.CounterVec
	errors     *prometheus.CounterVec
	store      *prometheus.HistogramVec
	model      *prometheus.HistogramVec
	requests   *prometheus.CounterVec
	reqLatency *prometheus.HistogramVec
	build      *prometheus.GaugeVec
}

// AnswerBuckets are the bounds of posbot_answer_duration_seconds: 0.1 ms to
// 30 s in 16 exponential steps, since an offline answer takes a fraction of
// a millisecond and one written by a model can take seconds.
var AnswerBuckets = RoundedBuckets(0.0001, 30, 16)

// RoundedBuckets returns n exponential histogram bounds from lo to hi, each
// rounded to two significant digits so that they print as written (0.00023,
// not 0.00023000000000000003) in the exposition's le labels; bounds that
// round to the same value are kept once. It panics, as
// prometheus.ExponentialBucketsRange does, when lo <= 0 or n < 1.
func RoundedBuckets(lo, hi float64, n int) []float64 {
	b := prometheus.ExponentialBucketsRange(lo, hi, n)
	for i, x := range b {
		b[i], _ = strconv.ParseFloat(strconv.FormatFloat(x, 'g', 2, 64), 64)
	}
	return slices.Compact(b)
}

// New returns Metrics registered in a fresh registry, together with the Go
// runtime and process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "posbot_messages_total",
			Help: "Merchant messages handled, by channel.",
		}, []string{"channel"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "posbot_answer_duration_seconds",
			Help:    "Time to answer one message, by channel.",
			Buckets: AnswerBuckets,
		}, []string{"channel"}),
		confidence: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "posbot_retrieval_confidence",
			Help:    "Retrieval confidence of answered messages, in [0,1].",
			Buckets: prometheus.LinearBuckets(0.1, 0.1, 10),
		}),
		replies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "posbot_replies_total",
			Help: "Replies by kind (answer, clarify, handoff), escalation target (bank, provider, none) and writer (template, model, none).",
		}, []string{"kind", "target", "writer"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "posbot_errors_total",
			Help: "Errors by kind: engine, timeout, canceled, store, model, or one counted with CountError.",
		}, []string{"kind"}),
		store: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "posbot_store_duration_seconds",
			Help:    "Latency of store calls by store, operation and result (ok, error, timeout, canceled).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}, []string{"store", "op", "result"}),
		model: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "posbot_model_duration_seconds",
			Help:    "Latency of language-model calls that write answers, by result.",
			Buckets: []float64{.25, .5, 1, 2, 4, 8, 15, 30},
		}, []string{"result"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "posbot_http_requests_total",
			Help: "HTTP requests by route (the ServeMux pattern, \"unmatched\" for none) and status code.",
		}, []string{"route", "code"}),
		reqLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "posbot_http_request_duration_seconds",
			Help:    "Time to serve one HTTP request, by route.",
			Buckets: AnswerBuckets,
		}, []string{"route"}),
		build: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "posbot_build_info",
			Help: "Always 1; the labels say which build is running.",
		}, []string{"version", "revision", "go_version"}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.messages, m.latency, m.confidence, m.replies, m.errors, m.store, m.model,
		m.requests, m.reqLatency, m.build,
	)
	return m
}

// SetBuildInfo sets posbot_build_info{version,revision,go_version} to 1 for
// this build, replacing any earlier call's labels. Empty values show as
// "unknown".
func (m *Metrics) SetBuildInfo(version, revision, goVersion string) {
	m.build.Reset()
	m.build.WithLabelValues(orUnknown(version), orUnknown(revision), orUnknown(goVersion)).Set(1)
}

// Handler serves the registry in the Prometheus exposition format, for /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry returns the registry m's collectors live in, so that collectors
// defined elsewhere are served by Handler too.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// ObserveStore records one store call. Its signature matches
// redisstore.Options.Observe. An error also counts as an error of kind
// "store", unless it is the caller's context ending.
func (m *Metrics) ObserveStore(store, op string, d time.Duration, err error) {
	r := result(err)
	m.store.WithLabelValues(store, op, r).Observe(d.Seconds())
	if r == "error" {
		m.errors.WithLabelValues("store").Inc()
	}
}

// CountError counts one error of kind, for failures the decorators cannot
// see (a channel's failed send, for example). Kinds should be few and fixed.
func (m *Metrics) CountError(kind string) {
	m.errors.WithLabelValues(kind).Inc()
}

// result names how a call ended, as a label value.
func result(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "error"
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
