package channel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
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

// runInbox starts q.Run and returns the function that stops it (SIGTERM)
// and waits for it to return.
func runInbox(t *testing.T, q *Inbox) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { q.Run(ctx); close(done) }()
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

func TestInboxOrderPerConversation(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	got := map[string][]string{}
	var wg sync.WaitGroup
	q := NewInbox(InboxConfig{Workers: 3, QueueSize: 100}, func(_ context.Context, key string, p []byte) {
		defer wg.Done()
		time.Sleep(time.Millisecond)
		mu.Lock()
		got[key] = append(got[key], string(p))
		mu.Unlock()
	})
	runInbox(t, q)
	for i := range 30 {
		for c := range 7 {
			wg.Add(1)
			if err := q.Put(context.Background(), fmt.Sprint("c", c), []byte(fmt.Sprint(i))); err != nil {
				t.Fatal(err)
			}
		}
	}
	wg.Wait()
	for key, seq := range got {
		for i, v := range seq {
			if v != fmt.Sprint(i) {
				t.Fatalf("%s handled out of order: %v", key, seq)
			}
		}
	}
}

func TestInboxFull(t *testing.T) {
	t.Parallel()
	q := NewInbox(InboxConfig{Workers: 1, QueueSize: 2}, func(context.Context, string, []byte) {})
	// Not running: nothing is taken out.
	for i := range 2 {
		if err := q.Put(context.Background(), "c", []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Put(context.Background(), "d", nil); !errors.Is(err, ErrFull) {
		t.Fatalf("Put beyond the bound = %v, want ErrFull", err)
	}
}

// A conversation whose message hangs holds one worker; the others go on.
func TestInboxHangingConversation(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	done := make(chan string, 100)
	q := NewInbox(InboxConfig{Workers: 2}, func(ctx context.Context, key string, _ []byte) {
		if key == "stuck" {
			<-release
		}
		done <- key
	})
	runInbox(t, q)
	defer close(release)
	if err := q.Put(context.Background(), "stuck", nil); err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		key := fmt.Sprint("c", i)
		if err := q.Put(context.Background(), key, nil); err != nil {
			t.Fatal(err)
		}
		select {
		case k := <-done:
			if k != key {
				t.Fatalf("handled %s, want %s", k, key)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s waited behind the hanging conversation", key)
		}
	}
}

// At shutdown an in-memory inbox answers what it accepted, refuses what
// comes after, and logs (and hands to OnDrop) what the drain bound cut.
func TestInboxShutdownInMemory(t *testing.T) {
	t.Parallel()
	t.Run("finishes what it accepted", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		started := make(chan struct{}, 1)
		var mu sync.Mutex
		var done []string
		q := NewInbox(InboxConfig{Workers: 1, Drain: 20 * time.Second}, func(ctx context.Context, key string, p []byte) {
			if key == "first" {
				started <- struct{}{}
				<-release
			}
			if ctx.Err() == nil {
				mu.Lock()
				done = append(done, key)
				mu.Unlock()
			}
		})
		stop := runInbox(t, q)
		_ = q.Put(context.Background(), "first", nil)
		<-started
		for i := range 5 {
			if err := q.Put(context.Background(), fmt.Sprint("k", i), nil); err != nil {
				t.Fatal(err)
			}
		}
		stopped := make(chan struct{})
		go func() { stop(); close(stopped) }()
		want := []string{"first", "k0", "k1", "k2", "k3", "k4"}
		for i := 0; ; i++ { // accepted until shutdown begins
			key := fmt.Sprint("late", i)
			if q.Put(context.Background(), key, nil) != nil {
				break
			}
			want = append(want, key)
			time.Sleep(time.Millisecond)
		}
		close(release)
		<-stopped
		slices.Sort(done)
		slices.Sort(want)
		if !slices.Equal(done, want) {
			t.Errorf("handled %v at shutdown, want every message accepted: %v", done, want)
		}
		if err := q.Put(context.Background(), "k", nil); !errors.Is(err, ErrStopped) {
			t.Errorf("Put after Run = %v, want ErrStopped", err)
		}
	})
	t.Run("the drain bound cuts and logs", func(t *testing.T) {
		t.Parallel()
		logs := &records{}
		var dropped []string
		cause := make(chan error, 1)
		started := make(chan struct{})
		q := NewInbox(InboxConfig{Workers: 1, Drain: 100 * time.Millisecond, Logger: slog.New(logs),
			OnDrop: func(key string, p []byte) { dropped = append(dropped, key+"/"+string(p)) }},
			func(ctx context.Context, key string, p []byte) {
				if key == "tg:1" {
					close(started)
					<-ctx.Done()
					cause <- context.Cause(ctx)
				}
			})
		stop := runInbox(t, q)
		_ = q.Put(context.Background(), "tg:1", []byte("a"))
		<-started
		_ = q.Put(context.Background(), "tg:2", []byte("b"))
		stop()
		if err := <-cause; !errors.Is(err, ErrDrainExpired) {
			t.Errorf("running handler ended with %v, want ErrDrainExpired", err)
		}
		slices.Sort(dropped)
		if !slices.Equal(dropped, []string{"tg:1/a", "tg:2/b"}) {
			t.Errorf("dropped %v, want the cut message and the one not started", dropped)
		}
		if l := logs.String(); !strings.Contains(l, "messages not finished at shutdown") || !strings.Contains(l, "tg:2") {
			t.Errorf("dropped messages not logged with their conversation:\n%s", l)
		}
	})
}

func TestOutlive(t *testing.T) {
	t.Parallel()
	t.Run("a spent context", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		<-ctx.Done()
		octx, ocancel := Outlive(ctx, time.Hour)
		defer ocancel()
		if octx.Err() != nil {
			t.Fatalf("Outlive of a spent context is done: %v", octx.Err())
		}
		if _, ok := octx.Deadline(); !ok {
			t.Error("no deadline of its own")
		}
	})
	t.Run("the drain bound", func(t *testing.T) {
		ctx, cancel := context.WithCancelCause(context.Background())
		octx, ocancel := Outlive(ctx, time.Hour)
		defer ocancel()
		cancel(ErrDrainExpired)
		select {
		case <-octx.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("not cancelled when the drain bound passed")
		}
		late, lcancel := Outlive(ctx, time.Hour)
		defer lcancel()
		if late.Err() == nil {
			t.Error("made after the drain bound, yet not done")
		}
	})
}

// A handler that panics is logged and the conversation goes on; each
// message has its own deadline.
func TestInboxPanicAndDeadline(t *testing.T) {
	t.Parallel()
	logs := &records{}
	deadline := make(chan error, 1)
	q := NewInbox(InboxConfig{Workers: 1, Timeout: 50 * time.Millisecond, Logger: slog.New(logs)},
		func(ctx context.Context, _ string, p []byte) {
			if string(p) == "boom" {
				panic("boom")
			}
			<-ctx.Done()
			deadline <- ctx.Err()
		})
	runInbox(t, q)
	_ = q.Put(context.Background(), "k", []byte("boom"))
	_ = q.Put(context.Background(), "k", []byte("slow"))
	select {
	case err := <-deadline:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("message context ended with %v, want its deadline", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the conversation did not go on after a panic, or the message had no deadline")
	}
	if !strings.Contains(logs.String(), "boom") {
		t.Errorf("panic not logged:\n%s", logs.String())
	}
}
