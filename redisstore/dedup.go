package redisstore

import (
	"context"
	"time"

	"github.com/posbot/posbot/dedup"
)

// Dedup remembers delivery ids (a Telegram update_id, a WeChat MsgId) shared
// by every replica, as "<prefix>dedup:<key>" set with SET NX EX, so a
// redelivered update is answered once. It is safe for concurrent use.
type Dedup struct {
	c   *Client
	ttl time.Duration
}

// Dedup returns the dedup store; ttl <= 0 means dedup.DefaultTTL.
func (c *Client) Dedup(ttl time.Duration) *Dedup {
	if ttl <= 0 {
		ttl = dedup.DefaultTTL
	}
	return &Dedup{c: c, ttl: ttl}
}

// FirstSeen records key and reports whether this is the first time it was
// seen within the TTL. If Redis fails it returns true with the error: dedup
// fails open, because answering a redelivered update twice is better than
// not answering it at all.
func (d *Dedup) FirstSeen(ctx context.Context, key string) (bool, error) {
	var first bool
	err := d.c.call(ctx, "dedup", "first_seen", func(ctx context.Context) (err error) {
		first, err = d.c.rdb.SetNX(ctx, d.c.key("dedup", key), 1, d.ttl).Result()
		return err
	})
	if err != nil {
		return true, err
	}
	return first, nil
}

// Forget deletes key, so that its next delivery counts as the first; the
// Telegram webhook calls it when it accepted an update but could not queue it.
// Forgetting an unknown key is not an error.
func (d *Dedup) Forget(ctx context.Context, key string) error {
	return d.c.call(ctx, "dedup", "forget", func(ctx context.Context) error {
		return d.c.rdb.Del(ctx, d.c.key("dedup", key)).Err()
	})
}
