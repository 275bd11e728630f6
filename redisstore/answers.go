package redisstore

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/posbot/posbot/bot"
)

var _ bot.AnswerCache = (*AnswerCache)(nil)

// AnswerCache keeps model-written answers shared by every replica, at
// "<prefix>ans:<key>" with a TTL, keys coming from bot.AnswerKey. It is safe
// for concurrent use.
type AnswerCache struct {
	c   *Client
	ttl time.Duration
}

// AnswerCache returns the answer cache; ttl <= 0 means bot.DefaultAnswerTTL.
func (c *Client) AnswerCache(ttl time.Duration) *AnswerCache {
	if ttl <= 0 {
		ttl = bot.DefaultAnswerTTL
	}
	return &AnswerCache{c: c, ttl: ttl}
}

// Get implements bot.AnswerCache.
func (a *AnswerCache) Get(ctx context.Context, key string) (string, bool, error) {
	var s string
	err := a.c.call(ctx, "answers", "get", func(ctx context.Context) (err error) {
		s, err = a.c.rdb.Get(ctx, a.c.key("ans", key)).Result()
		return err
	})
	switch {
	case errors.Is(err, redis.Nil):
		return "", false, nil
	case err != nil:
		return "", false, err
	}
	return s, true, nil
}

// Put implements bot.AnswerCache.
func (a *AnswerCache) Put(ctx context.Context, key, answer string) error {
	return a.c.call(ctx, "answers", "put", func(ctx context.Context) error {
		return a.c.rdb.Set(ctx, a.c.key("ans", key), answer, a.ttl).Err()
	})
}
