package bot_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"
	"testing"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/bot/bottest"
)

// heapInuse is the heap in use after a full collection.
func heapInuse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// TestEngineMemoryBounded sends ten times as many distinct conversations
// through the engine as its in-memory stores may hold: the stores stay at
// their cap and the heap stays where it was when they first filled up. It
// runs 10,000 conversations against a cap of 1,000, or 100,000 against
// 10,000 with POSBOT_BENCH_LARGE=1 (about a minute on two cores). It is not
// parallel: other tests would move the heap.
func TestEngineMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("drives 10,000 conversations")
	}
	capN, total := 1_000, 10_000
	if os.Getenv("POSBOT_BENCH_LARGE") != "" {
		capN, total = 10_000, 100_000
	}
	sessions := &bot.MemorySessions{MaxEntries: capN}
	limiter := &bot.MemoryLimiter{MaxKeys: capN}
	e := bottest.Engine(t, func(c *bot.Config) {
		c.Sessions, c.Limiter, c.Answers = sessions, limiter, &bot.MemoryAnswerCache{}
	})
	ctx := context.Background()
	send := func(from, to int) {
		var wg sync.WaitGroup
		workers := runtime.GOMAXPROCS(0)
		for w := range workers {
			wg.Go(func() {
				for i := from + w; i < to; i += workers {
					m := bot.Message{ConversationID: fmt.Sprintf("http:%032x", i), Channel: "test", Text: "刷卡显示交易失败51"}
					if r, err := e.Handle(ctx, m); err != nil || r.Code != "51" {
						t.Errorf("Handle(%s) = code %q, %v", m.ConversationID, r.Code, err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	send(0, 100) // warm up what every engine allocates once
	start := heapInuse()
	send(100, capN)
	full := heapInuse()
	send(capN, total)
	end := heapInuse()
	runtime.KeepAlive(e) // measured with the engine and its stores alive

	mb := func(b uint64) float64 { return float64(b) / (1 << 20) }
	fill := int64(full) - int64(start)
	growth := int64(end) - int64(full)
	t.Logf("HeapInuse: %.1f MB before, %.1f MB at %d conversations, %.1f MB at %d (%.1f KB a held conversation); %d sessions held",
		mb(start), mb(full), capN, mb(end), total, float64(fill)/float64(capN-100)/1024, sessions.Len())
	if n := sessions.Len(); n > capN {
		t.Errorf("%d sessions held, want at most the cap %d", n, capN)
	}
	// Unbounded, the heap would grow nine times the fill; allow half of
	// one fill (and 4 MB) for collector noise.
	if limit := max(fill/2, 4<<20); growth > limit {
		t.Errorf("heap grew %.1f MB from %d to %d conversations, want under %.1f MB: memory is not bounded",
			float64(growth)/(1<<20), capN, total, float64(limit)/(1<<20))
	}
}
