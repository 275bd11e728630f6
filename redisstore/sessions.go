package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/posbot/posbot/bot"
)

// DefaultSessionTTL is how long a conversation is remembered after its last
// message when Client.Sessions is given no TTL.
const DefaultSessionTTL = 24 * time.Hour

var _ bot.Sessions = (*Sessions)(nil)

// Sessions stores conversation state as JSON in one string key per
// conversation, "<prefix>sess:<id>", expiring TTL after its last Put. It is
// safe for concurrent use; concurrent Puts of one conversation are last
// writer wins, which is why the engine holds a bot.Locker around a message.
type Sessions struct {
	c   *Client
	ttl time.Duration
}

// Sessions returns the conversation store; ttl <= 0 means DefaultSessionTTL.
func (c *Client) Sessions(ttl time.Duration) *Sessions {
	if ttl <= 0 {
		ttl = DefaultSessionTTL
	}
	return &Sessions{c: c, ttl: ttl}
}

// Get implements bot.Sessions. It returns bot.ErrNotFound for an unknown or
// expired conversation.
func (s *Sessions) Get(ctx context.Context, id string) (bot.State, error) {
	var b []byte
	err := s.c.call(ctx, "sessions", "get", func(ctx context.Context) (err error) {
		b, err = s.c.rdb.Get(ctx, s.c.key("sess", id)).Bytes()
		return err
	})
	if errors.Is(err, redis.Nil) {
		return bot.State{}, bot.ErrNotFound
	}
	if err != nil {
		return bot.State{}, err
	}
	var st bot.State
	if err := json.Unmarshal(b, &st); err != nil {
		return bot.State{}, fmt.Errorf("decode session %s: %w", id, err)
	}
	return st, nil
}

// Put implements bot.Sessions with SET ... EX, so every write renews the TTL.
func (s *Sessions) Put(ctx context.Context, id string, st bot.State) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode session %s: %w", id, err)
	}
	return s.c.call(ctx, "sessions", "put", func(ctx context.Context) error {
		return s.c.rdb.Set(ctx, s.c.key("sess", id), b, s.ttl).Err()
	})
}

// Delete implements bot.Sessions. Deleting a missing conversation is not an error.
func (s *Sessions) Delete(ctx context.Context, id string) error {
	return s.c.call(ctx, "sessions", "delete", func(ctx context.Context) error {
		return s.c.rdb.Del(ctx, s.c.key("sess", id)).Err()
	})
}
