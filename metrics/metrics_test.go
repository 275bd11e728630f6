package metrics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/posbot/posbot/bot"
)

// scrape returns m's exposition text.
func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics = %d", rec.Code)
	}
	return rec.Body.String()
}

func wantLines(t *testing.T, text string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(text, "\n"+l+"\n") {
			t.Errorf("exposition lacks line %q", l)
		}
	}
	if t.Failed() {
		t.Logf("exposition:\n%s", text)
	}
}

type engineFunc func(ctx context.Context, m bot.Message) (bot.Reply, error)

func (f engineFunc) Handle(ctx context.Context, m bot.Message) (bot.Reply, error) { return f(ctx, m) }

func TestEngine(t *testing.T) {
	t.Parallel()
	replies := map[string]bot.Reply{
		"vague":  {Answer: "?", Target: "none", Clarify: true, Writer: "template", Confidence: 0.2},
		"51":     {Answer: "a", Code: "51", Target: "bank", Writer: "model", Confidence: 1},
		"A0":     {Answer: "a", Code: "A0", Target: "provider", Writer: "template", Confidence: 0.95},
		"human":  {Answer: "h", Target: "provider", Handoff: true},
		"hello":  {Answer: "hi"},
		"expire": {},
	}
	inner := engineFunc(func(ctx context.Context, m bot.Message) (bot.Reply, error) {
		switch m.Text {
		case "expire":
			return bot.Reply{}, fmt.Errorf("handle: %w", context.DeadlineExceeded)
		case "boom":
			return bot.Reply{}, errors.New("boom")
		}
		return replies[m.Text], nil
	})
	m := New()
	e := m.Engine(inner)
	for _, msg := range []bot.Message{
		{Channel: "telegram", Text: "vague"}, {Channel: "telegram", Text: "51"}, {Channel: "http", Text: "A0"},
		{Channel: "http", Text: "human"}, {Text: "hello"}, {Channel: "http", Text: "expire"}, {Channel: "http", Text: "boom"},
	} {
		r, err := e.Handle(context.Background(), msg)
		if want, _ := inner.Handle(context.Background(), msg); r.Answer != want.Answer {
			t.Errorf("decorator changed the reply to %q: %+v, %v", msg.Text, r, err)
		}
	}
	wantLines(t, scrape(t, m),
		`posbot_messages_total{channel="telegram"} 2`,
		`posbot_messages_total{channel="http"} 4`,
		`posbot_messages_total{channel="none"} 1`,
		`posbot_answer_duration_seconds_count{channel="http"} 4`,
		`posbot_replies_total{kind="clarify",target="none",writer="template"} 1`,
		`posbot_replies_total{kind="answer",target="bank",writer="model"} 1`,
		`posbot_replies_total{kind="answer",target="provider",writer="template"} 1`,
		`posbot_replies_total{kind="handoff",target="provider",writer="none"} 1`,
		`posbot_replies_total{kind="answer",target="none",writer="none"} 1`,
		`posbot_retrieval_confidence_count 5`,
		`posbot_retrieval_confidence_bucket{le="0.2"} 3`,
		`posbot_errors_total{kind="timeout"} 1`,
		`posbot_errors_total{kind="engine"} 1`,
	)
}

// fullEngine is a FullEngine whose Feedback answers like Handle does.
type fullEngine struct{ engineFunc }

func (f fullEngine) Feedback(ctx context.Context, id string, solved bool) (bot.Reply, error) {
	return bot.Reply{Answer: "thanks", Target: "none", Writer: "template"}, nil
}

func (f fullEngine) Reset(ctx context.Context, id string) error { return errors.New("reset " + id) }

func TestFullEngine(t *testing.T) {
	t.Parallel()
	m := New()
	inner := fullEngine{func(ctx context.Context, msg bot.Message) (bot.Reply, error) { return bot.Reply{Answer: "a"}, nil }}
	var _ FullEngine = (*bot.Engine)(nil)
	e := m.FullEngine(inner)
	e.Handle(context.Background(), bot.Message{Channel: "telegram"})
	if r, err := e.Feedback(context.Background(), "tg:1", true); r.Answer != "thanks" || err != nil {
		t.Errorf("Feedback = %+v, %v", r, err)
	}
	if err := e.Reset(context.Background(), "tg:1"); err == nil || err.Error() != "reset tg:1" {
		t.Errorf("Reset = %v, want the inner error", err)
	}
	wantLines(t, scrape(t, m),
		`posbot_messages_total{channel="telegram"} 1`,
		`posbot_messages_total{channel="feedback"} 1`,
		`posbot_replies_total{kind="answer",target="none",writer="template"} 1`,
	)
}

type writerFunc func(ctx context.Context, d bot.Draft) (string, error)

func (f writerFunc) Write(ctx context.Context, d bot.Draft) (string, error) { return f(ctx, d) }

func TestWriter(t *testing.T) {
	t.Parallel()
	m := New()
	if w := m.Writer(nil); w != nil {
		t.Fatalf("Writer(nil) = %v, want nil", w)
	}
	w := m.Writer(writerFunc(func(ctx context.Context, d bot.Draft) (string, error) {
		if d.Code == "" {
			return "", errors.New("model down")
		}
		return "answer " + d.Code, nil
	}))
	if s, err := w.Write(context.Background(), bot.Draft{Code: "51"}); s != "answer 51" || err != nil {
		t.Errorf("Write = %q, %v", s, err)
	}
	if _, err := w.Write(context.Background(), bot.Draft{}); err == nil {
		t.Error("Write did not pass the error through")
	}
	wantLines(t, scrape(t, m),
		`posbot_model_duration_seconds_count{result="ok"} 1`,
		`posbot_model_duration_seconds_count{result="error"} 1`,
		`posbot_errors_total{kind="model"} 1`,
	)
}

func TestObserveStore(t *testing.T) {
	t.Parallel()
	m := New()
	m.ObserveStore("sessions", "get", 2*time.Millisecond, nil)
	m.ObserveStore("sessions", "get", 300*time.Millisecond, fmt.Errorf("redis sessions get: %w", context.DeadlineExceeded))
	m.ObserveStore("locker", "lock", time.Millisecond, context.Canceled)
	m.ObserveStore("dedup", "first_seen", time.Millisecond, errors.New("connection refused"))
	m.CountError("telegram_send")
	wantLines(t, scrape(t, m),
		`posbot_store_duration_seconds_count{op="get",result="ok",store="sessions"} 1`,
		`posbot_store_duration_seconds_count{op="get",result="timeout",store="sessions"} 1`,
		`posbot_store_duration_seconds_count{op="lock",result="canceled",store="locker"} 1`,
		`posbot_store_duration_seconds_count{op="first_seen",result="error",store="dedup"} 1`,
		`posbot_store_duration_seconds_bucket{op="get",result="ok",store="sessions",le="0.0025"} 1`,
		`posbot_errors_total{kind="store"} 1`,
		`posbot_errors_total{kind="telegram_send"} 1`,
	)
}

// Two Metrics in one process do not share collectors (no global registry).
func TestNewIsIndependent(t *testing.T) {
	t.Parallel()
	a, b := New(), New()
	a.CountError("x")
	if strings.Contains(scrape(t, b), `posbot_errors_total{kind="x"}`) {
		t.Error("a count in one Metrics shows in another")
	}
	if !strings.Contains(scrape(t, a), "go_goroutines") {
		t.Error("the Go runtime collector is not registered")
	}
}

func TestReady(t *testing.T) {
	t.Parallel()
	ok := func(context.Context) error { return nil }
	fail := func(context.Context) error { return errors.New("dial tcp 10.0.0.7:6379: connection refused") }
	hang := func(context.Context) error { time.Sleep(3 * CheckTimeout); return nil } // ignores its context
	tests := []struct {
		name   string
		checks map[string]func(context.Context) error
		code   int
		status string
		want   map[string]string
	}{
		{"no checks", nil, 200, "ready", map[string]string{}},
		{"all ok", map[string]func(context.Context) error{"redis": ok, "postgres": ok}, 200, "ready",
			map[string]string{"redis": "ok", "postgres": "ok"}},
		{"one fails", map[string]func(context.Context) error{"redis": fail, "postgres": ok}, 503, "not ready",
			map[string]string{"redis": "error", "postgres": "ok"}},
		{"one hangs", map[string]func(context.Context) error{"redis": hang}, 503, "not ready",
			map[string]string{"redis": "timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			Ready(tt.checks).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
			if rec.Code != tt.code {
				t.Errorf("status = %d, want %d", rec.Code, tt.code)
			}
			var body struct {
				Status string            `json:"status"`
				Checks map[string]string `json:"checks"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", rec.Body, err)
			}
			if body.Status != tt.status {
				t.Errorf("status field = %q, want %q", body.Status, tt.status)
			}
			if d := cmp.Diff(tt.want, body.Checks); d != "" {
				t.Errorf("checks (-want +got):\n%s", d)
			}
			if strings.Contains(rec.Body.String(), "10.0.0.7") {
				t.Errorf("body leaks error details: %s", rec.Body)
			}
		})
	}
}

func TestAnswerBuckets(t *testing.T) {
	t.Parallel()
	b := AnswerBuckets
	if b[0] > 0.0001 || b[len(b)-1] < 30 {
		t.Errorf("buckets %v do not span 0.1 ms to 30 s", b)
	}
	for i := 1; i < len(b); i++ {
		if r := b[i] / b[i-1]; r < 1.5 || r > 3.5 {
			t.Errorf("bucket %v follows %v: ratio %.2f is not exponential steps of about 2.3", b[i], b[i-1], r)
		}
	}
	m := New()
	m.Engine(engineFunc(func(ctx context.Context, msg bot.Message) (bot.Reply, error) { return bot.Reply{}, nil })).
		Handle(context.Background(), bot.Message{Channel: "cli"})
	// Each le label prints as a short decimal: two significant digits.
	clean := regexp.MustCompile(`^(0\.0*[1-9][0-9]?|[1-9](\.[0-9])?|[1-9][0-9]|\+Inf)$`)
	les := regexp.MustCompile(`posbot_answer_duration_seconds_bucket\{channel="cli",le="([^"]*)"\}`).FindAllStringSubmatch(scrape(t, m), -1)
	if len(les) != len(b)+1 {
		t.Fatalf("%d buckets in the exposition, want %d", len(les), len(b)+1)
	}
	for _, le := range les {
		if !clean.MatchString(le[1]) {
			t.Errorf("bucket label le=%q does not print cleanly", le[1])
		}
	}
}

func TestRoundedBuckets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lo, hi float64
		n      int
		want   []float64
	}{
		{0.0001, 30, 16, []float64{0.0001, 0.00023, 0.00054, 0.0012, 0.0029, 0.0067, 0.016, 0.036, 0.083, 0.19, 0.45, 1, 2.4, 5.6, 13, 30}},
		{0.001, 1, 4, []float64{0.001, 0.01, 0.1, 1}},
		{1, 1.05, 6, []float64{1, 1.1}}, // bounds that round alike are kept once
	}
	for _, tt := range tests {
		if got := RoundedBuckets(tt.lo, tt.hi, tt.n); !cmp.Equal(got, tt.want) {
			t.Errorf("RoundedBuckets(%v, %v, %d) = %v, want %v", tt.lo, tt.hi, tt.n, got, tt.want)
		}
	}
}

func TestBuildInfo(t *testing.T) {
	t.Parallel()
	m := New()
	if strings.Contains(scrape(t, m), "posbot_build_info{") {
		t.Error("build info reported before it is set")
	}
	m.SetBuildInfo("devel", "", "go1.26.8")
	m.SetBuildInfo("v1.4.0", "d4ca7f2", "go1.26.8")
	text := scrape(t, m)
	wantLines(t, text, `posbot_build_info{go_version="go1.26.8",revision="d4ca7f2",version="v1.4.0"} 1`)
	if strings.Count(text, "posbot_build_info{") != 1 {
		t.Errorf("more than one build reported:\n%s", text)
	}
}
