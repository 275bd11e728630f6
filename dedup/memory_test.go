package dedup_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/posbot/posbot/dedup"
)

// clock is a manual clock for TTL tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func mustFirst(t *testing.T, m *dedup.Memory, key string, want bool) {
	t.Helper()
	got, err := m.FirstSeen(context.Background(), key)
	if err != nil {
		t.Fatalf("FirstSeen(%q): %v", key, err)
	}
	if got != want {
		t.Fatalf("FirstSeen(%q) = %v, want %v", key, got, want)
	}
}

func TestMemory(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		run  func(t *testing.T, m *dedup.Memory, c *clock)
	}{
		{"first then duplicate", func(t *testing.T, m *dedup.Memory, c *clock) {
			mustFirst(t, m, "a", true)
			mustFirst(t, m, "a", false)
			mustFirst(t, m, "b", true)
		}},
		{"zero value works", func(t *testing.T, _ *dedup.Memory, _ *clock) {
			var m dedup.Memory
			mustFirst(t, &m, "a", true)
			mustFirst(t, &m, "a", false)
		}},
		{"forgotten after TTL", func(t *testing.T, m *dedup.Memory, c *clock) {
			mustFirst(t, m, "a", true)
			c.Add(59 * time.Minute)
			mustFirst(t, m, "a", false)
			c.Add(time.Minute)
			mustFirst(t, m, "a", true)
			if got := m.Len(); got != 1 {
				t.Fatalf("Len = %d, want 1", got)
			}
		}},
		{"expired keys are dropped", func(t *testing.T, m *dedup.Memory, c *clock) {
			for i := range 50 {
				mustFirst(t, m, fmt.Sprint(i), true)
			}
			c.Add(2 * time.Hour)
			mustFirst(t, m, "new", true)
			if got := m.Len(); got != 1 {
				t.Fatalf("Len = %d, want 1", got)
			}
		}},
		{"bounded: oldest evicted first", func(t *testing.T, m *dedup.Memory, c *clock) {
			m.Max = 100
			for i := range 5000 {
				mustFirst(t, m, fmt.Sprint(i), true)
				c.Add(time.Millisecond)
			}
			if got := m.Len(); got != 100 {
				t.Fatalf("Len = %d, want 100", got)
			}
			mustFirst(t, m, "4999", false)
			mustFirst(t, m, "0", true)
		}},
		{"forget", func(t *testing.T, m *dedup.Memory, c *clock) {
			mustFirst(t, m, "a", true)
			if err := m.Forget(context.Background(), "a"); err != nil {
				t.Fatal(err)
			}
			mustFirst(t, m, "a", true)
			mustFirst(t, m, "a", false)
		}},
		{"concurrent: exactly one first", func(t *testing.T, m *dedup.Memory, c *clock) {
			var firsts atomic.Int32
			var wg sync.WaitGroup
			for range 32 {
				wg.Go(func() {
					ok, err := m.FirstSeen(context.Background(), "same")
					if err != nil {
						t.Error(err)
					}
					if ok {
						firsts.Add(1)
					}
				})
			}
			wg.Wait()
			if got := firsts.Load(); got != 1 {
				t.Fatalf("%d callers saw the key first, want 1", got)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := &clock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
			tt.run(t, &dedup.Memory{TTL: time.Hour, Now: c.Now}, c)
		})
	}
}

func BenchmarkMemoryFirstSeen(b *testing.B) {
	m := &dedup.Memory{Max: 10_000}
	ctx := context.Background()
	i := 0
	for b.Loop() {
		_, _ = m.FirstSeen(ctx, fmt.Sprint(i))
		i++
	}
}
