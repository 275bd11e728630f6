package channel

import (
	"context"
	"log/slog"

	"github.com/posbot/posbot/dedup"
)

// Dedup remembers which deliveries were seen, so a message a platform
// delivers twice (a Telegram update redelivered, a WeChat MsgId retried) is
// handled once. *dedup.Memory implements it; redisstore.Dedup shares it
// between replicas.
type Dedup interface {
	// FirstSeen reports whether key is seen for the first time, and remembers it.
	FirstSeen(ctx context.Context, key string) (bool, error)
}

// Forgetter is implemented by Dedup stores that can take a key back: a
// channel that accepted a delivery but could not queue it forgets the key,
// so that the platform's redelivery is not dropped as a duplicate.
type Forgetter interface {
	Forget(ctx context.Context, key string) error
}

var _ Forgetter = (*dedup.Memory)(nil)

// FirstSeen reports whether the delivery key is new. When the store fails
// the delivery counts as new, with a warning: a rare double answer beats no
// answer. A duplicate is logged at Info.
func FirstSeen(ctx context.Context, d Dedup, key string, log *slog.Logger) bool {
	first, err := d.FirstSeen(ctx, key)
	if err != nil {
		log.WarnContext(ctx, "dedup store failed; handling the delivery anyway", "key", key, "err", err)
		return true
	}
	if !first {
		log.InfoContext(ctx, "duplicate delivery dropped", "key", key)
	}
	return first
}

// Forget takes key back if d can, so the next delivery of it counts as the
// first; a failure is logged.
func Forget(ctx context.Context, d Dedup, key string, log *slog.Logger) {
	f, ok := d.(Forgetter)
	if !ok {
		return
	}
	if err := f.Forget(ctx, key); err != nil {
		log.WarnContext(ctx, "dedup key not released", "key", key, "err", err)
	}
}
