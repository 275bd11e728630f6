package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/posbot/posbot/bot"
)

// Limiter runs the bot.Limiter contract. open returns a limiter with fresh
// state that allows limit messages per key in each window.
func Limiter(t *testing.T, open func(t *testing.T, limit int, window time.Duration) (bot.Limiter, Advance)) {
	t.Helper()
	const limit = 3
	t.Run("allows limit then denies with retry-after", func(t *testing.T) {
		t.Parallel()
		l, _ := open(t, limit, TTL)
		for i := range limit {
			if ok, _ := allow(t, l, "tg:1"); !ok {
				t.Fatalf("message %d denied, want allowed", i+1)
			}
		}
		ok, after := allow(t, l, "tg:1")
		if ok {
			t.Fatalf("message %d allowed, want denied", limit+1)
		}
		if after <= 0 || after > TTL {
			t.Fatalf("retryAfter = %v, want in (0, %v]", after, TTL)
		}
	})
	t.Run("keys are independent", func(t *testing.T) {
		t.Parallel()
		l, _ := open(t, limit, TTL)
		for range limit + 1 {
			allow(t, l, "tg:1")
		}
		if ok, _ := allow(t, l, "tg:2"); !ok {
			t.Fatal("another key was denied")
		}
	})
	t.Run("allowed again after the window", func(t *testing.T) {
		t.Parallel()
		l, advance := open(t, limit, TTL)
		for range limit + 1 {
			allow(t, l, "tg:1")
		}
		advance(TTL + slack)
		if ok, after := allow(t, l, "tg:1"); !ok {
			t.Fatalf("denied after the window (retryAfter %v), want allowed", after)
		}
	})
	t.Run("concurrent messages counted exactly", func(t *testing.T) {
		t.Parallel()
		l, _ := open(t, limit, TTL)
		var allowed atomic.Int32
		var wg sync.WaitGroup
		for range 12 {
			wg.Go(func() {
				ok, _, err := l.Allow(context.Background(), "tg:9")
				if err != nil {
					t.Errorf("Allow: %v", err)
				}
				if ok {
					allowed.Add(1)
				}
			})
		}
		wg.Wait()
		if n := allowed.Load(); n != limit {
			t.Fatalf("%d of 12 concurrent messages allowed, want %d", n, limit)
		}
	})
}

func allow(t *testing.T, l bot.Limiter, key string) (bool, time.Duration) {
	t.Helper()
	ok, after, err := l.Allow(context.Background(), key)
	if err != nil {
		t.Fatalf("Allow(%s): %v", key, err)
	}
	return ok, after
}
