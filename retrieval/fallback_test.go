package retrieval_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/retrieval"
)

// fakeSearcher answers with search and counts its calls.
type fakeSearcher struct {
	calls  atomic.Int32
	search func(ctx context.Context) (retrieval.Result, error)
}

func (f *fakeSearcher) Search(ctx context.Context, _ retrieval.Query) (retrieval.Result, error) {
	f.calls.Add(1)
	return f.search(ctx)
}

func answering(id string) func(context.Context) (retrieval.Result, error) {
	return func(context.Context) (retrieval.Result, error) {
		return retrieval.Result{Hits: []retrieval.Hit{{Passage: knowledge.Passage{ID: id}}}, Confidence: 1}, nil
	}
}

func failing(context.Context) (retrieval.Result, error) {
	return retrieval.Result{}, errors.New("connection refused")
}

// hanging blocks until the search's deadline, as a hung database does.
func hanging(ctx context.Context) (retrieval.Result, error) {
	<-ctx.Done()
	return retrieval.Result{}, ctx.Err()
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

// fallbackHarness is a Fallback over fakes, recording fallback reasons and logs.
type fallbackHarness struct {
	f                  *retrieval.Fallback
	primary, secondary *fakeSearcher
	clock              *clock
	mu                 sync.Mutex
	reasons            []string
	logs               *bytes.Buffer
}

func newFallbackHarness(primary func(context.Context) (retrieval.Result, error), opts retrieval.FallbackOptions) *fallbackHarness {
	h := &fallbackHarness{
		primary:   &fakeSearcher{search: primary},
		secondary: &fakeSearcher{search: answering("memory")},
		clock:     &clock{now: time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)},
		logs:      &bytes.Buffer{},
	}
	if opts.Timeout == 0 {
		opts.Timeout = 50 * time.Millisecond
	}
	opts.Now = h.clock.Now
	opts.Logger = slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts.OnFallback = func(reason string) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.reasons = append(h.reasons, reason)
	}
	h.f = retrieval.NewFallback(h.primary, h.secondary, opts)
	return h
}

// search returns the id of the passage that answered.
func (h *fallbackHarness) search(t *testing.T) string {
	t.Helper()
	res, err := h.f.Search(context.Background(), retrieval.Query{Text: "机器一直通讯失败"})
	if err != nil {
		t.Fatalf("Search: %v", err)
	}
	return res.Hits[0].Passage.ID
}

func (h *fallbackHarness) fallbacks() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.reasons...)
}

// logLines returns the logged lines at level (e.g. "WARN").
func (h *fallbackHarness) logLines(level string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(h.logs.String()), "\n") {
		if strings.Contains(l, "level="+level) {
			out = append(out, l)
		}
	}
	return out
}

func TestFallbackAnswersFromTheSecondary(t *testing.T) {
	t.Parallel()
	// ignoring never returns until the test ends, whatever its context says.
	stuck := make(chan struct{})
	t.Cleanup(func() { close(stuck) })
	ignoring := func(context.Context) (retrieval.Result, error) {
		<-stuck
		return retrieval.Result{}, errors.New("too late")
	}
	tests := []struct {
		name    string
		primary func(context.Context) (retrieval.Result, error)
		want    string
		reasons []string
	}{
		{"primary healthy", answering("postgres"), "postgres", nil},
		{"primary error", failing, "memory", []string{retrieval.FallbackError}},
		{"primary hung", hanging, "memory", []string{retrieval.FallbackTimeout}},
		{"primary ignores its deadline", ignoring, "memory", []string{retrieval.FallbackTimeout}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newFallbackHarness(tc.primary, retrieval.FallbackOptions{})
			if got := h.search(t); got != tc.want {
				t.Errorf("answered by %q, want %q", got, tc.want)
			}
			if d := cmp.Diff(tc.reasons, h.fallbacks()); d != "" {
				t.Errorf("fallback reasons (-want +got):\n%s", d)
			}
		})
	}
}

func TestFallbackCircuitBreaker(t *testing.T) {
	t.Parallel()
	var down atomic.Bool
	down.Store(true)
	h := newFallbackHarness(func(ctx context.Context) (retrieval.Result, error) {
		if down.Load() {
			return failing(ctx)
		}
		return answering("postgres")(ctx)
	}, retrieval.FallbackOptions{Failures: 3, CoolDown: time.Minute})

	for range 10 {
		if got := h.search(t); got != "memory" {
			t.Fatalf("answered by %q while the primary is down", got)
		}
	}
	if n := h.primary.calls.Load(); n != 3 {
		t.Errorf("primary asked %d times for 10 searches, want 3: the circuit opens after 3 failures", n)
	}
	want := []string{"error", "error", "error", "open", "open", "open", "open", "open", "open", "open"}
	if d := cmp.Diff(want, h.fallbacks()); d != "" {
		t.Errorf("fallback reasons (-want +got):\n%s", d)
	}

	h.clock.Advance(time.Minute) // the probe fails: skipped for another minute
	h.search(t)
	h.search(t)
	if n := h.primary.calls.Load(); n != 4 {
		t.Errorf("primary asked %d times, want 4: one probe after the cool-down", n)
	}

	down.Store(false)
	h.clock.Advance(time.Minute) // the probe succeeds: the circuit closes
	for range 3 {
		if got := h.search(t); got != "postgres" {
			t.Errorf("answered by %q after the primary recovered", got)
		}
	}
	if n := h.primary.calls.Load(); n != 7 {
		t.Errorf("primary asked %d times, want 7", n)
	}

	// One line when the primary starts failing, one when it is skipped, one
	// when it answers again: never one per search.
	if warn, info := h.logLines("WARN"), h.logLines("INFO"); len(warn) != 2 || len(info) != 1 {
		t.Errorf("logged %d warnings and %d notices, want 2 and 1:\n%s", len(warn), len(info), h.logs)
	}
}

// While a probe of an open circuit is in flight, other searches do not wait
// for it: they use the secondary.
func TestFallbackOneProbeAtATime(t *testing.T) {
	t.Parallel()
	var probing atomic.Bool
	started, release := make(chan struct{}), make(chan struct{})
	h := newFallbackHarness(func(ctx context.Context) (retrieval.Result, error) {
		if probing.Load() {
			close(started)
			<-release
			return answering("postgres")(ctx)
		}
		return failing(ctx)
	}, retrieval.FallbackOptions{Failures: 1, CoolDown: time.Minute, Timeout: time.Minute})
	h.search(t) // opens the circuit
	h.clock.Advance(time.Minute)
	probing.Store(true)
	probe := make(chan string)
	go func() {
		res, _ := h.f.Search(context.Background(), retrieval.Query{Text: "51"})
		probe <- res.Hits[0].Passage.ID
	}()
	<-started
	if got := h.search(t); got != "memory" {
		t.Errorf("a search during the probe answered by %q, want memory", got)
	}
	close(release)
	if got := <-probe; got != "postgres" {
		t.Errorf("the probe answered by %q, want postgres", got)
	}
	if n := h.primary.calls.Load(); n != 2 {
		t.Errorf("primary asked %d times, want 2 (the failure and the probe)", n)
	}
}

// A caller that gives up gets its context's error, and its search does not
// count against the primary.
func TestFallbackCallerGivesUp(t *testing.T) {
	t.Parallel()
	var up atomic.Bool
	h := newFallbackHarness(func(ctx context.Context) (retrieval.Result, error) {
		if up.Load() {
			return answering("postgres")(ctx)
		}
		return hanging(ctx)
	}, retrieval.FallbackOptions{Failures: 1, Timeout: time.Minute})
	for range 3 {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := h.f.Search(ctx, retrieval.Query{Text: "51"}); !errors.Is(err, context.Canceled) {
			t.Fatalf("Search with a canceled context = %v, want context.Canceled", err)
		}
	}
	up.Store(true)
	if got := h.search(t); got != "postgres" {
		t.Errorf("answered by %q: canceled searches must not open the circuit", got)
	}
	if r := h.fallbacks(); len(r) != 0 {
		t.Errorf("fallbacks counted for canceled searches: %v", r)
	}
}
