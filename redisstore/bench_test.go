package redisstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/handoff"
)

// benchMessages is a realistic mix: a vague opener, a triage answer, a code,
// a follow-up. Conversations rotate, so state grows to its bounded size.
var benchMessages = []string{vague, "所有卡都刷不了", "交易失败 51", "没解决", "POS机显示 05 拒绝交易"}

// BenchmarkEngineRedisSessions measures messages per second through the
// engine with conversation state in a real Redis (POSBOT_TEST_REDIS_URL):
// one GET and one SET per message, plus, under "admission", the dedup, rate
// limit and conversation lock a channel would add (three more round trips).
func BenchmarkEngineRedisSessions(b *testing.B) {
	u := testRedisURL(b)
	if u == "" {
		b.Skip("POSBOT_TEST_REDIS_URL is not set")
	}
	c := openTest(b, u, testPrefix(b))
	e := newEngine(b, c.Sessions(0))
	b.Run("sequential", func(b *testing.B) { benchEngine(b, e, nil) })
	b.Run("parallel", func(b *testing.B) { benchEngineParallel(b, e) })
	b.Run("admission", func(b *testing.B) { benchEngine(b, e, c) })
}

// BenchmarkEngineMemorySessions is the baseline: the same messages with state
// in process memory.
func BenchmarkEngineMemorySessions(b *testing.B) {
	e := newEngine(b, &bot.MemorySessions{})
	b.Run("sequential", func(b *testing.B) { benchEngine(b, e, nil) })
	b.Run("parallel", func(b *testing.B) { benchEngineParallel(b, e) })
}

func benchEngine(b *testing.B, e *bot.Engine, admit *Client) {
	ctx := context.Background()
	var (
		dedup  *Dedup
		limit  *Limiter
		locker *Locker
	)
	if admit != nil {
		dedup, limit, locker = admit.Dedup(0), admit.Limiter(1<<30, 0), admit.Locker(0)
	}
	run := rand.Text()[:8] // -count reruns this function on the same key space
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		conv := fmt.Sprintf("bench:%d", i%64)
		if admit != nil {
			if first, err := dedup.FirstSeen(ctx, fmt.Sprintf("bench:update:%s:%d", run, i)); !first || err != nil {
				b.Fatalf("FirstSeen = %v, %v", first, err)
			}
			if ok, _, err := limit.Allow(ctx, conv); !ok || err != nil {
				b.Fatalf("Allow = %v, %v", ok, err)
			}
			unlock, err := locker.Lock(ctx, "conv:"+conv)
			if err != nil {
				b.Fatal(err)
			}
			handle(b, e, conv, benchMessages[i%len(benchMessages)])
			unlock()
		} else {
			handle(b, e, conv, benchMessages[i%len(benchMessages)])
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
}

func benchEngineParallel(b *testing.B, e *bot.Engine) {
	var next atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			// Each goroutine's messages go to conversations of their own
			// index mod 1024, as a channel serialises a chat's messages.
			handle(b, e, fmt.Sprintf("bench:p:%d", i%1024), benchMessages[int(i)%len(benchMessages)])
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
}

func handle(b *testing.B, e *bot.Engine, conv, text string) {
	if _, err := e.Handle(context.Background(), bot.Message{ConversationID: conv, Channel: "bench", Text: text}); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkLeaseLookup is what the handoff gate asks Redis on every message
// (POSBOT_TEST_REDIS_URL): the conversation's lease, found or not.
func BenchmarkLeaseLookup(b *testing.B) {
	u := testRedisURL(b)
	if u == "" {
		b.Skip("POSBOT_TEST_REDIS_URL is not set")
	}
	ctx := context.Background()
	l := openTest(b, u, testPrefix(b)).Leases()
	if err := l.PutLease(ctx, "tg:held", handoff.Lease{TicketID: 1, Agent: "alice"}); err != nil {
		b.Fatal(err)
	}
	for _, conv := range []string{"tg:none", "tg:held"} {
		b.Run(conv, func(b *testing.B) {
			for b.Loop() {
				if _, err := l.Lease(ctx, conv); err != nil && !errors.Is(err, handoff.ErrNotFound) {
					b.Fatal(err)
				}
			}
		})
	}
}
