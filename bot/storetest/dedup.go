package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Deduper is what channel adapters need from a delivery dedup store
// (dedup.Memory, redisstore.Dedup).
type Deduper interface {
	FirstSeen(ctx context.Context, key string) (bool, error)
}

// Forgetter is implemented by dedup stores that can take a key back, so that
// a delivery accepted but not queued is not dropped when it comes again.
type Forgetter interface {
	Forget(ctx context.Context, key string) error
}

// Dedup runs the Deduper contract: FirstSeen is true exactly once per key
// within ttl, even under concurrent redelivery, and, if the store is a
// Forgetter, true again after Forget. open returns an empty store that
// remembers keys for ttl.
func Dedup(t *testing.T, open func(t *testing.T, ttl time.Duration) (Deduper, Advance)) {
	t.Helper()
	t.Run("first true then false", func(t *testing.T) {
		t.Parallel()
		d, _ := open(t, TTL)
		want := []bool{true, false, false}
		for i, w := range want {
			if got := firstSeen(t, d, "tg:1001"); got != w {
				t.Fatalf("call %d: FirstSeen = %v, want %v", i+1, got, w)
			}
		}
	})
	t.Run("keys are independent", func(t *testing.T) {
		t.Parallel()
		d, _ := open(t, TTL)
		for _, k := range []string{"tg:1", "tg:2", "wx:1"} {
			if !firstSeen(t, d, k) {
				t.Fatalf("FirstSeen(%s) = false on first call", k)
			}
		}
	})
	t.Run("forgotten after ttl", func(t *testing.T) {
		t.Parallel()
		d, advance := open(t, TTL)
		firstSeen(t, d, "wx:42")
		advance(TTL + slack)
		if !firstSeen(t, d, "wx:42") {
			t.Fatal("FirstSeen after ttl = false, want true")
		}
	})
	t.Run("forget takes a key back", func(t *testing.T) {
		t.Parallel()
		d, _ := open(t, TTL)
		f, ok := d.(Forgetter)
		if !ok {
			t.Skipf("%T has no Forget", d)
		}
		firstSeen(t, d, "tg:5")
		if err := f.Forget(context.Background(), "tg:5"); err != nil {
			t.Fatalf("Forget: %v", err)
		}
		if !firstSeen(t, d, "tg:5") {
			t.Fatal("FirstSeen after Forget = false, want true")
		}
		if err := f.Forget(context.Background(), "tg:never"); err != nil {
			t.Fatalf("Forget(unknown key) = %v, want nil", err)
		}
	})
	t.Run("concurrent redelivery answered once", func(t *testing.T) {
		t.Parallel()
		d, _ := open(t, TTL)
		var firsts atomic.Int32
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				ok, err := d.FirstSeen(context.Background(), "tg:7")
				if err != nil {
					t.Errorf("FirstSeen: %v", err)
				}
				if ok {
					firsts.Add(1)
				}
			})
		}
		wg.Wait()
		if n := firsts.Load(); n != 1 {
			t.Fatalf("%d of 16 concurrent calls saw the key first, want 1", n)
		}
	})
}

func firstSeen(t *testing.T, d Deduper, key string) bool {
	t.Helper()
	ok, err := d.FirstSeen(context.Background(), key)
	if err != nil {
		t.Fatalf("FirstSeen(%s): %v", key, err)
	}
	return ok
}
