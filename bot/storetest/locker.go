package storetest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/posbot/posbot/bot"
)

// Locker runs the bot.Locker contract. open returns two Lockers that share
// one backend, as two replicas would (for a memory Locker, the same one twice);
// each call of open starts from a backend with no locks held.
func Locker(t *testing.T, open func(t *testing.T) (a, b bot.Locker)) {
	t.Helper()
	const key = "conv:tg:1"

	t.Run("mutual exclusion across instances", func(t *testing.T) {
		t.Parallel()
		a, b := open(t)
		var holders, maxHolders, entered atomic.Int32
		var wg sync.WaitGroup
		const workers, rounds = 4, 5
		for i := range 2 * workers {
			l := a
			if i%2 == 1 {
				l = b
			}
			wg.Go(func() {
				for range rounds {
					ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
					unlock, err := l.Lock(ctx, key)
					cancel()
					if err != nil {
						t.Errorf("Lock: %v", err)
						return
					}
					n := holders.Add(1)
					for {
						m := maxHolders.Load()
						if n <= m || maxHolders.CompareAndSwap(m, n) {
							break
						}
					}
					entered.Add(1)
					time.Sleep(time.Millisecond)
					holders.Add(-1)
					unlock()
				}
			})
		}
		wg.Wait()
		if m := maxHolders.Load(); m != 1 {
			t.Errorf("at most %d goroutines held the lock at once, want 1", m)
		}
		if n := entered.Load(); n != 2*workers*rounds {
			t.Errorf("lock taken %d times, want %d", n, 2*workers*rounds)
		}
	})
	t.Run("unlock lets the next in", func(t *testing.T) {
		t.Parallel()
		a, b := open(t)
		unlock := mustLock(t, a, key)
		got := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			u, err := b.Lock(ctx, key)
			defer u()
			got <- err
		}()
		select {
		case err := <-got:
			t.Fatalf("second Lock returned (%v) while the lock was held", err)
		case <-time.After(100 * time.Millisecond):
		}
		unlock()
		if err := <-got; err != nil {
			t.Fatalf("Lock after unlock: %v", err)
		}
	})
	t.Run("context ends the wait", func(t *testing.T) {
		t.Parallel()
		a, b := open(t)
		unlock := mustLock(t, a, key)
		defer unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		defer cancel()
		u, err := b.Lock(ctx, key)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Lock while held = %v, want context.DeadlineExceeded", err)
		}
		if u == nil {
			t.Fatal("Lock returned a nil unlock with its error")
		}
		u() // must be a harmless no-op

		done, stop := context.WithCancel(context.Background())
		stop()
		if _, err := b.Lock(done, "conv:other"); !errors.Is(err, context.Canceled) {
			t.Fatalf("Lock with a cancelled context = %v, want context.Canceled", err)
		}
	})
	t.Run("keys are independent", func(t *testing.T) {
		t.Parallel()
		a, b := open(t)
		unlock := mustLock(t, a, key)
		defer unlock()
		mustLock(t, b, "conv:tg:2")()
	})
	t.Run("second unlock does not release another holder", func(t *testing.T) {
		t.Parallel()
		a, b := open(t)
		unlockA := mustLock(t, a, key)
		unlockA()
		unlockB := mustLock(t, b, key)
		defer unlockB()
		unlockA()
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		defer cancel()
		if u, err := a.Lock(ctx, key); err == nil {
			u()
			t.Fatal("Lock succeeded while another holder had it, after a repeated unlock")
		}
	})
}

func mustLock(t *testing.T, l bot.Locker, key string) func() {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	unlock, err := l.Lock(ctx, key)
	if err != nil {
		t.Fatalf("Lock(%s): %v", key, err)
	}
	return unlock
}
