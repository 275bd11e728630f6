package bot

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"
)

var (
	_ Limiter = (*TokenBucket)(nil)
	_ Limiter = Limiters(nil)
)

// TokenBucket is a Limiter for everything one process answers: Rate messages
// a second on average, in bursts of up to Burst, whatever the key. As the
// Engine's Limiter (with Limiters, after the per-conversation one) it keeps a
// flood of conversations from overloading the process, and the merchants
// over the limit get the engine's polite "please send again in n seconds".
// Its zero value allows everything; it is safe for concurrent use and Allow
// never returns an error.
type TokenBucket struct {
	Rate  float64          // messages a second; 0 means no limit
	Burst int              // 0 means Rate rounded up (at least 1)
	Now   func() time.Time // nil means time.Now

	mu     sync.Mutex
	tokens float64
	last   time.Time // when tokens was last refilled; zero before the first call
}

// Allow implements Limiter. The key is ignored.
func (b *TokenBucket) Allow(_ context.Context, _ string) (bool, time.Duration, error) {
	if b.Rate <= 0 {
		return true, 0, nil
	}
	burst := float64(b.Burst)
	if b.Burst <= 0 {
		burst = max(1, math.Ceil(b.Rate))
	}
	now := nowOr(b.Now)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.last.IsZero() {
		b.tokens = burst
	} else if d := now.Sub(b.last); d > 0 {
		b.tokens = min(burst, b.tokens+d.Seconds()*b.Rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0, nil
	}
	wait := time.Duration((1 - b.tokens) / b.Rate * float64(time.Second))
	return false, max(wait, time.Millisecond), nil
}

// Limiters is a Limiter that allows a message only when each of its
// limiters does. It asks them in order and stops at the first that denies,
// so put the narrowest first: a chat over its own limit then does not spend
// the global budget. A limiter that fails is passed over (failing open, as
// Limiter says); when the others allow the message, Allow reports ok with
// the failures joined in its error.
type Limiters []Limiter

// Allow implements Limiter.
func (ls Limiters) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	var errs []error
	for _, l := range ls {
		ok, after, err := l.Allow(ctx, key)
		switch {
		case err != nil:
			errs = append(errs, err)
		case !ok:
			return false, after, nil
		}
	}
	return true, 0, errors.Join(errs...)
}
