package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/metrics"
	"github.com/posbot/posbot/retrieval"
)

// serviceURLs returns the test Redis and PostgreSQL, failing in CI when they
// are not configured and skipping elsewhere.
func serviceURLs(t *testing.T) (redisURL, pgURL string) {
	t.Helper()
	redisURL, pgURL = os.Getenv("POSBOT_TEST_REDIS_URL"), os.Getenv("POSBOT_TEST_POSTGRES_URL")
	if redisURL == "" || pgURL == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("POSBOT_TEST_REDIS_URL and POSBOT_TEST_POSTGRES_URL must be set in CI")
		}
		t.Skip("POSBOT_TEST_REDIS_URL or POSBOT_TEST_POSTGRES_URL not set")
	}
	return redisURL, pgURL
}

// runNonce tells this test run's Redis keys from those earlier runs left
// behind (with their TTLs) in the shared test database.
var runNonce = func() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}()

// redisPrefix is the Redis key prefix of one test: its replicas share it,
// other tests (run in parallel, or by an earlier run) never see their keys,
// inboxes or leases.
func redisPrefix(t testing.TB) string {
	return "posbot:test:" + runNonce + ":" + strings.SplitN(t.Name(), "/", 2)[0] + ":"
}

// withPrefix gives cfg the test's Redis key prefix unless it has one.
func withPrefix(t testing.TB, cfg config) config {
	if cfg.RedisPrefix == "" {
		cfg.RedisPrefix = redisPrefix(t)
	}
	return cfg
}

func randomID(t *testing.T) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}

// replica builds one serve stack (engine, shared stores) the way run does.
func replica(t *testing.T, cfg config, base *knowledge.Base) (*bot.Engine, *stores) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := openStores(context.Background(), withPrefix(t, cfg), log, metrics.New())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.close)
	e, err := buildEngine(context.Background(), cfg, base, "hybrid", log, st.apply)
	if err != nil {
		t.Fatal(err)
	}
	return e, st
}

// TestTwoReplicas runs two engines sharing one Redis and one PostgreSQL: a
// delivery sent to both is answered once, a conversation started on one
// continues on the other, and their messages for one chat never interleave.
func TestTwoReplicas(t *testing.T) {
	redisURL, pgURL := serviceURLs(t)
	ctx := context.Background()
	base, err := knowledge.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	if err := runIngest(ctx, pgURL, base, retrieval.NewHashEmbedder(0), io.Discard); err != nil {
		t.Fatal(err)
	}
	cfg := config{RedisURL: redisURL, PostgresURL: pgURL, Retriever: "hybrid"}
	a, sa := replica(t, cfg, base)
	b, sb := replica(t, cfg, base)
	run := randomID(t)

	t.Run("one delivery, one answer", func(t *testing.T) {
		var answered atomic.Int32
		var wg sync.WaitGroup
		for _, r := range []struct {
			e *bot.Engine
			s *stores
		}{{a, sa}, {b, sb}, {a, sa}, {b, sb}} {
			wg.Go(func() {
				first, err := r.s.dedup().FirstSeen(ctx, "tg:upd:"+run)
				if err != nil {
					t.Error(err)
					return
				}
				if !first {
					return
				}
				if _, err := r.e.Handle(ctx, bot.Message{ConversationID: "tg:" + run, Text: "交易失败51"}); err != nil {
					t.Error(err)
				}
				answered.Add(1)
			})
		}
		wg.Wait()
		if n := answered.Load(); n != 1 {
			t.Fatalf("delivery answered %d times", n)
		}
	})

	t.Run("conversation moves between replicas", func(t *testing.T) {
		conv := "move:" + run
		q, err := a.Handle(ctx, bot.Message{ConversationID: conv, Text: "刷卡失败了"})
		if err != nil || !q.Clarify {
			t.Fatalf("first reply %+v, %v; want a clarifying question", q, err)
		}
		r, err := b.Handle(ctx, bot.Message{ConversationID: conv, Text: "第二个"})
		if err != nil {
			t.Fatal(err)
		}
		if r.Clarify || len(r.Sources) == 0 || r.Sources[0].ID != "msg-one-card-fail" {
			t.Fatalf("replica B did not continue: clarify=%v sources=%v", r.Clarify, r.Sources)
		}
	})

	t.Run("one chat is never answered concurrently", func(t *testing.T) {
		conv := "lock:" + run
		var wg sync.WaitGroup
		for i := range 6 {
			e := a
			if i%2 == 1 {
				e = b
			}
			wg.Go(func() {
				if _, err := e.Handle(ctx, bot.Message{ConversationID: conv, Text: "错误码A0"}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		st, err := a.State(ctx, conv)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.History) != 12 {
			t.Fatalf("%d turns stored for 6 messages on two replicas, want 12", len(st.History))
		}
	})
}

// TestRedisPrefix: with POSBOT_REDIS_PREFIX every key serve writes for a
// conversation starts with it, and none with the default "posbot:".
func TestRedisPrefix(t *testing.T) {
	redisURL, _ := serviceURLs(t)
	ctx := context.Background()
	base, err := knowledge.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	prefix := "posbot-prefix-test:" + randomID(t) + ":"
	cfg, err := loadConfig(env(map[string]string{"POSBOT_REDIS_URL": redisURL, "POSBOT_REDIS_PREFIX": prefix}))
	if err != nil {
		t.Fatal(err)
	}
	e, _ := replica(t, cfg, base)
	conv := "prefix-" + randomID(t)
	if _, err := e.Handle(ctx, bot.Message{ConversationID: conv, Text: "刷卡显示51"}); err != nil {
		t.Fatal(err)
	}
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	rc := redis.NewClient(opts)
	defer rc.Close()
	mine, err := rc.Keys(ctx, prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(mine, func(k string) bool { return strings.Contains(k, conv) }) {
		t.Errorf("no key of the conversation under %q: %v", prefix, mine)
	}
	if other, _ := rc.Keys(ctx, "posbot:*"+conv+"*").Result(); len(other) > 0 {
		t.Errorf("keys under the default prefix: %v", other)
	}
	for _, k := range mine {
		rc.Del(ctx, k)
	}
}
