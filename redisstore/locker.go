package redisstore

import (
	"context"
	crand "crypto/rand"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/posbot/posbot/bot"
)

// DefaultLease is how long a lock is held at most when Client.Locker is given
// no lease: more than a 25 s per-message deadline, little enough that a crash
// blocks a chat only briefly.
const DefaultLease = 30 * time.Second

// Waiting for a held lock polls with a backoff between these bounds.
const (
	minPoll = 5 * time.Millisecond
	maxPoll = 50 * time.Millisecond
)

var _ bot.Locker = (*Locker)(nil)

// compareAndDelete deletes KEYS[1] only if it still holds this holder's token
// ARGV[1], so a holder whose lease ran out cannot release the next holder's lock.
var compareAndDelete = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// Locker is a per-key lock shared by every replica: "<prefix>lock:<key>" set
// with SET NX PX <lease> to a random token, released by a compare-and-delete
// script. It is safe for concurrent use.
//
// A lock is never renewed: it is released by unlock or, if its holder dies,
// when the lease runs out. The lease must therefore exceed the longest time a
// holder can keep it, the engine's per-message deadline (which bounds the
// model call, POSBOT_LLM_TIMEOUT, 20 s by default); otherwise a slow answer
// could lose its lock to the next message. A longer lease only delays
// recovery after a crash: the chat's next message waits for the lease at most.
// Waiters poll every 5–50 ms, so the lock is fair only roughly.
type Locker struct {
	c     *Client
	lease time.Duration
}

// Locker returns the lock store; lease <= 0 means DefaultLease. The lease is
// kept to whole milliseconds.
func (c *Client) Locker(lease time.Duration) *Locker {
	if lease < time.Millisecond {
		lease = DefaultLease
	}
	return &Locker{c: c, lease: lease}
}

// Lock implements bot.Locker. It waits until it holds the lock or ctx is
// done (ctx's error). If Redis fails it returns the error at once, without
// waiting, so the caller can answer without the lock.
func (l *Locker) Lock(ctx context.Context, key string) (func(), error) {
	noop := func() {}
	if err := ctx.Err(); err != nil {
		return noop, err
	}
	k := l.c.key("lock", key)
	token := crand.Text()
	start := time.Now()
	poll := minPoll
	for {
		var ok bool
		err := l.c.try(ctx, func(ctx context.Context) (err error) {
			ok, err = l.c.rdb.SetNX(ctx, k, token, l.lease).Result()
			return err
		})
		if err != nil {
			// The SET may have reached Redis before the deadline: release it
			// rather than block the chat for a whole lease.
			go l.release(context.WithoutCancel(ctx), k, token, false)
			l.observe("lock", start, err)
			if ctx.Err() != nil {
				return noop, ctx.Err()
			}
			return noop, fmt.Errorf("redis locker lock: %w", err)
		}
		if ok {
			l.observe("lock", start, nil)
			var once sync.Once
			return func() {
				once.Do(func() { l.release(context.WithoutCancel(ctx), k, token, true) })
			}, nil
		}
		t := time.NewTimer(poll/2 + rand.N(poll/2+1))
		select {
		case <-ctx.Done():
			t.Stop()
			l.observe("lock", start, ctx.Err())
			return noop, ctx.Err()
		case <-t.C:
		}
		poll = min(2*poll, maxPoll)
	}
}

// release deletes the lock if it still holds token. A failure is only
// observed (and logged once by the Client): the lease frees the lock anyway.
func (l *Locker) release(ctx context.Context, k, token string, observe bool) {
	f := func(ctx context.Context) error {
		return compareAndDelete.Run(ctx, l.c.rdb, []string{k}, token).Err()
	}
	if observe {
		_ = l.c.call(ctx, "locker", "unlock", f)
		return
	}
	_ = l.c.try(ctx, f)
}

func (l *Locker) observe(op string, start time.Time, err error) {
	if l.c.observe != nil {
		l.c.observe("locker", op, time.Since(start), err)
	}
}
