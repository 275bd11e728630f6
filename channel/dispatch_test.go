package channel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// records keeps the log records the workers write.
type records struct {
	mu   sync.Mutex
	msgs []string // message and attributes of each record
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *records) WithGroup(string) slog.Handler            { return r }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	line := rec.Message
	rec.Attrs(func(a slog.Attr) bool { line += fmt.Sprintf(" %s=%v", a.Key, a.Value); return true })
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, line)
	return nil
}

func (r *records) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.msgs, "\n")
}

// running starts d.Run and returns the function that stops it and waits.
func running(t *testing.T, d *Dispatcher) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Error("Run did not return")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func TestDispatcherOrderPerKey(t *testing.T) {
	t.Parallel()
	d := NewDispatcher(DispatchConfig{Workers: 4})
	stop := running(t, d)
	var mu sync.Mutex
	got := map[string][]int{}
	var wg sync.WaitGroup
	for i := range 50 {
		for _, key := range []string{"tg:1", "tg:2", "http:abc"} {
			wg.Add(1)
			if err := d.Submit(context.Background(), key, func(context.Context) {
				defer wg.Done()
				mu.Lock()
				got[key] = append(got[key], i)
				mu.Unlock()
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	wg.Wait()
	stop()
	for key, seq := range got {
		for i, v := range seq {
			if v != i {
				t.Fatalf("key %s ran out of order: %v", key, seq)
			}
		}
	}
}

func TestDispatcherKeysInParallel(t *testing.T) {
	t.Parallel()
	d := NewDispatcher(DispatchConfig{Workers: 2})
	running(t, d)
	// With two workers, one key blocked: every other key still runs.
	release := make(chan struct{})
	defer close(release)
	_ = d.Submit(context.Background(), "tg:1", func(context.Context) { <-release })
	for i := 2; i < 40; i++ {
		ran := make(chan struct{})
		_ = d.Submit(context.Background(), fmt.Sprint("tg:", i), func(context.Context) { close(ran) })
		select {
		case <-ran:
		case <-time.After(10 * time.Second):
			t.Fatalf("a blocked key held up key tg:%d", i)
		}
	}
}

func TestDispatcherPanicAndDeadline(t *testing.T) {
	t.Parallel()
	logs := &records{}
	d := NewDispatcher(DispatchConfig{Workers: 1, Timeout: 50 * time.Millisecond, Logger: slog.New(logs)})
	running(t, d)
	_ = d.Submit(context.Background(), "k", func(context.Context) { panic("boom") })
	deadline := make(chan error, 1)
	_ = d.Submit(context.Background(), "k", func(ctx context.Context) { <-ctx.Done(); deadline <- ctx.Err() })
	select {
	case err := <-deadline:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("job context ended with %v, want its deadline", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the worker did not carry on after a panic, or the job had no deadline")
	}
	if !strings.Contains(logs.String(), "boom") {
		t.Errorf("panic not logged:\n%s", logs.String())
	}
}

// At shutdown the jobs already accepted are finished, not dropped, and a
// new one is refused.
func TestDispatcherShutdownFinishesAccepted(t *testing.T) {
	t.Parallel()
	d := NewDispatcher(DispatchConfig{Workers: 1, Grace: 10 * time.Second})
	stop := running(t, d)
	release := make(chan struct{})
	started := make(chan struct{})
	_ = d.Submit(context.Background(), "k", func(context.Context) { close(started); <-release })
	<-started
	var mu sync.Mutex
	var done []int
	for i := range 5 {
		if err := d.Submit(context.Background(), fmt.Sprint("k", i), func(ctx context.Context) {
			if ctx.Err() == nil {
				mu.Lock()
				done = append(done, i)
				mu.Unlock()
			}
		}); err != nil {
			t.Fatal(err)
		}
	}
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	// Shutdown has begun once Submit refuses.
	for d.Submit(context.Background(), "late", func(context.Context) {}) == nil {
		time.Sleep(time.Millisecond)
	}
	close(release)
	<-stopped
	if len(done) != 5 {
		t.Errorf("%d of 5 accepted jobs finished at shutdown, want all", len(done))
	}
	if err := d.Submit(context.Background(), "k", func(context.Context) {}); !errors.Is(err, ErrStopped) {
		t.Errorf("Submit after Run = %v, want ErrStopped", err)
	}
}

// What the grace period cannot finish is cancelled or dropped, and logged.
func TestDispatcherShutdownGraceBound(t *testing.T) {
	t.Parallel()
	logs := &records{}
	d := NewDispatcher(DispatchConfig{Workers: 1, Grace: 100 * time.Millisecond, Logger: slog.New(logs)})
	stop := running(t, d)
	cancelled := make(chan error, 1)
	started := make(chan struct{})
	_ = d.Submit(context.Background(), "tg:1", func(ctx context.Context) { close(started); <-ctx.Done(); cancelled <- ctx.Err() })
	<-started
	ran := false
	_ = d.Submit(context.Background(), "tg:2", func(context.Context) { ran = true })
	start := time.Now()
	stop()
	if err := <-cancelled; !errors.Is(err, context.Canceled) {
		t.Errorf("running job ended with %v, want cancelled at the end of the grace period", err)
	}
	if ran {
		t.Error("a queued job ran after the grace period")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("shutdown took %v", d)
	}
	if l := logs.String(); !strings.Contains(l, "messages not finished at shutdown") || !strings.Contains(l, "tg:2") {
		t.Errorf("dropped job not logged with its key:\n%s", l)
	}
}
