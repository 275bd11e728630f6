package redisstore

import (
	"context"
	"testing"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/handoff"
)

// TestEveryKeyHasTTL writes through every store and checks that each key
// posbot left in Redis expires: nothing accumulates however many chats come
// and go.
func TestEveryKeyHasTTL(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			c, _, _ := b.open(t)
			if err := c.Sessions(0).Put(ctx, "tg:1", bot.State{}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Dedup(0).FirstSeen(ctx, "tg:update:1"); err != nil {
				t.Fatal(err)
			}
			for range 3 {
				if _, _, err := c.Limiter(0, 0).Allow(ctx, "conv:tg:1"); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.AnswerCache(0).Put(ctx, "v1:abc", "answer"); err != nil {
				t.Fatal(err)
			}
			if err := c.Leases().PutLease(ctx, "tg:1", handoff.Lease{TicketID: 1}); err != nil {
				t.Fatal(err)
			}
			if err := c.Feed().Publish(ctx, "http:1", channel.Event{Kind: "agent", Text: "您好"}); err != nil {
				t.Fatal(err)
			}
			if err := c.Cursors().PutCursor(ctx, "ww1:wk1", "4gw7MepFLfgF2VC5npN"); err != nil {
				t.Fatal(err)
			}
			unlock, err := c.Locker(0).Lock(ctx, "conv:tg:1")
			if err != nil {
				t.Fatal(err)
			}
			defer unlock()
			// An inbox with a message waiting, its conversation owned.
			in := c.Inbox("tg:9", 0)
			if err := in.Push(ctx, "tg:1", []byte("update")); err != nil {
				t.Fatal(err)
			}
			if keys, err := in.Claim(ctx, 1); err != nil || len(keys) != 1 {
				t.Fatalf("Claim = %v, %v", keys, err)
			}

			var keys int
			iter := c.rdb.Scan(ctx, 0, c.prefix+"*", 100).Iterator()
			for iter.Next(ctx) {
				keys++
				ttl, err := c.rdb.PTTL(ctx, iter.Val()).Result()
				if err != nil {
					t.Fatal(err)
				}
				if ttl <= 0 {
					t.Errorf("key %s has no TTL (PTTL %v)", iter.Val(), ttl)
				}
			}
			if err := iter.Err(); err != nil {
				t.Fatal(err)
			}
			if keys != 12 {
				t.Errorf("found %d keys, want 12 (session, dedup, rate, answer, lease, feed, cursor, lock; inbox list, owner, ready set, push marker)", keys)
			}
		})
	}
}
