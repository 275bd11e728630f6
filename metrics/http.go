package metrics

import (
	"net/http"
	"strconv"
	"time"
)

// unmatched is the route label of a request that no pattern matches.
const unmatched = "unmatched"

// HTTP returns next measured: each request counts in
// posbot_http_requests_total by route and status code, and its duration is
// observed by route.
//
// The route is the http.ServeMux pattern that serves the request
// ("POST /v1/messages"), never the raw path: label values stay few, and a
// path that carries a secret never becomes one. It is r.Pattern when next is
// the ServeMux itself; a handler that serves a copy of the request (as one
// that adds a deadline with r.WithContext does) hides the pattern from its
// caller, so the route is then found by matching the request against
// patterns, the patterns next serves, on a ServeMux of HTTP's own.
// "unmatched" is the route of a request none of them matches. HTTP panics if
// patterns conflict, as http.ServeMux.Handle does.
func (m *Metrics) HTTP(next http.Handler, patterns ...string) http.Handler {
	routes := http.NewServeMux()
	for _, p := range patterns {
		routes.Handle(p, http.NotFoundHandler())
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		route := r.Pattern
		if route == "" {
			_, route = routes.Handler(r)
		}
		if route == "" {
			route = unmatched
		}
		m.requests.WithLabelValues(route, strconv.Itoa(sw.status())).Inc()
		m.reqLatency.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

// statusWriter remembers the status code written through it.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 && code >= 200 { // 1xx are interim: the final code follows
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer (Flush,
// deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// status is the code sent, 200 when the handler wrote nothing at all.
func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}
