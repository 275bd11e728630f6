package redisstore

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/bot/storetest"
	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/channel/channeltest"
	"github.com/posbot/posbot/handoff"
	"github.com/posbot/posbot/handoff/handofftest"
)

func TestSessions(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			storetest.Sessions(t, func(t *testing.T, ttl time.Duration) (bot.Sessions, storetest.Advance) {
				c, _, advance := b.open(t)
				return c.Sessions(ttl), advance
			})
		})
	}
}

func TestDedup(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			storetest.Dedup(t, func(t *testing.T, ttl time.Duration) (storetest.Deduper, storetest.Advance) {
				c, _, advance := b.open(t)
				return c.Dedup(ttl), advance
			})
		})
	}
}

func TestLimiter(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			storetest.Limiter(t, func(t *testing.T, limit int, window time.Duration) (bot.Limiter, storetest.Advance) {
				c, _, advance := b.open(t)
				return c.Limiter(limit, window), advance
			})
		})
	}
}

func TestLocker(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			storetest.Locker(t, func(t *testing.T) (bot.Locker, bot.Locker) {
				c1, c2, _ := b.open(t)
				return c1.Locker(0), c2.Locker(0)
			})
		})
	}
}

func TestAnswerCache(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			storetest.AnswerCache(t, func(t *testing.T, ttl time.Duration) (bot.AnswerCache, storetest.Advance) {
				c, _, advance := b.open(t)
				return c.AnswerCache(ttl), advance
			})
		})
	}
}

// A holder that dies keeps the chat locked only until its lease runs out, and
// its late unlock cannot release the next holder's lock.
func TestLockerLeaseExpires(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			c1, c2, advance := b.open(t)
			const lease = 300 * time.Millisecond
			a, bl := c1.Locker(lease), c2.Locker(lease)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			staleUnlock, err := a.Lock(ctx, "conv:1")
			if err != nil {
				t.Fatal(err)
			}
			advance(lease + 100*time.Millisecond)
			unlock, err := bl.Lock(ctx, "conv:1")
			if err != nil {
				t.Fatalf("Lock after the holder's lease ran out: %v", err)
			}
			defer unlock()
			staleUnlock()
			if n, err := c1.rdb.Exists(ctx, c1.key("lock", "conv:1")).Result(); err != nil || n != 1 {
				t.Fatalf("after a stale unlock the lock exists = %d (%v), want 1", n, err)
			}
		})
	}
}

func TestSessionsKeyLayout(t *testing.T) {
	t.Parallel()
	c, _, _ := openMiniredis(t)
	ctx := context.Background()
	if err := c.Sessions(time.Hour).Put(ctx, "tg:42", bot.State{Facts: bot.Facts{Code: "51"}}); err != nil {
		t.Fatal(err)
	}
	got, err := c.rdb.Get(ctx, "posbot:sess:tg:42").Result()
	if err != nil {
		t.Fatalf("GET posbot:sess:tg:42: %v", err)
	}
	if !strings.Contains(got, `"code":"51"`) {
		t.Errorf("stored value %s is not the state's JSON", got)
	}
	if ttl := c.rdb.TTL(ctx, "posbot:sess:tg:42").Val(); ttl <= 0 || ttl > time.Hour {
		t.Errorf("TTL = %v, want (0, 1h]", ttl)
	}
}

func TestSessionsCorruptValue(t *testing.T) {
	t.Parallel()
	c, _, _ := openMiniredis(t)
	ctx := context.Background()
	c.rdb.Set(ctx, "posbot:sess:tg:1", "{not json", 0)
	_, err := c.Sessions(0).Get(ctx, "tg:1")
	if err == nil || errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("Get(corrupt) error = %v, want a decode error", err)
	}
}

func TestObserve(t *testing.T) {
	t.Parallel()
	type call struct {
		store, op string
		failed    bool
	}
	var mu sync.Mutex
	var calls []call
	mr := startMiniredis(t)
	c, err := Open(context.Background(), "redis://"+mr.Addr(), Options{Observe: func(store, op string, d time.Duration, err error) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, call{store, op, err != nil})
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	c.Sessions(0).Get(ctx, "missing") // a miss is not a failure
	c.Sessions(0).Put(ctx, "x", bot.State{})
	c.Dedup(0).FirstSeen(ctx, "u1")
	c.Limiter(0, 0).Allow(ctx, "x")
	unlock, _ := c.Locker(0).Lock(ctx, "x")
	unlock()
	c.AnswerCache(0).Get(ctx, "k")
	c.Ping(ctx)
	want := []call{
		{"sessions", "get", false}, {"sessions", "put", false}, {"dedup", "first_seen", false},
		{"limiter", "allow", false}, {"locker", "lock", false}, {"locker", "unlock", false},
		{"answers", "get", false}, {"redis", "ping", false},
	}
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != len(want) {
		t.Fatalf("observed %v, want %v", calls, want)
	}
	for i := range want {
		if calls[i] != want[i] {
			t.Errorf("call %d observed as %v, want %v", i, calls[i], want[i])
		}
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name, url, want string
	}{
		{"not a redis URL", "http://127.0.0.1:6379", "parse redis URL"},
		{"bad port keeps the password out", "redis://:s3cret@127.0.0.1:notaport/0", "parse redis URL"},
		{"nobody listening", "redis://:s3cret@" + closedAddr(t) + "/0", "ping redis at 127.0.0.1:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Open(ctx, tt.url, Options{})
			if err == nil {
				c.Close()
				t.Fatal("Open succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q leaks the password", err)
			}
		})
	}
}

func TestLeases(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			handofftest.Leases(t, func(t *testing.T) handoff.Leases {
				c, _, _ := b.open(t)
				return c.Leases()
			})
		})
	}
}

func TestFeed(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			channeltest.Feed(t, func(t *testing.T) (channel.Feed, channel.Feed) {
				c1, c2, _ := b.open(t)
				return c1.Feed(), c2.Feed()
			})
		})
	}
}

func TestInbox(t *testing.T) {
	t.Run("miniredis", func(t *testing.T) {
		channeltest.InboxStore(t, func(t *testing.T) (channel.InboxStore, channel.InboxStore, time.Duration, func(time.Duration)) {
			mr := startMiniredis(t)
			now := time.Now()
			mr.SetTime(now)
			u := "redis://" + mr.Addr() + "/0"
			a, b := openTest(t, u, "posbot:"), openTest(t, u, "posbot:")
			const lease = time.Minute
			return a.Inbox("tg:1", lease), b.Inbox("tg:1", lease), lease, func(d time.Duration) {
				now = now.Add(d)
				mr.SetTime(now)
				mr.FastForward(d)
			}
		})
	})
	if u := testRedisURL(t); u != "" {
		t.Run("redis", func(t *testing.T) {
			channeltest.InboxStore(t, func(t *testing.T) (channel.InboxStore, channel.InboxStore, time.Duration, func(time.Duration)) {
				p := testPrefix(t)
				const lease = 400 * time.Millisecond
				return openTest(t, u, p).Inbox("tg:1", lease), openTest(t, u, p).Inbox("tg:1", lease), lease, time.Sleep
			})
		})
	}
}
