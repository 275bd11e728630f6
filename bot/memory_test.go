package bot_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/bot/storetest"
)

// held returns which of ids s still has.
func held(t *testing.T, s *bot.MemorySessions, ids ...string) []string {
	t.Helper()
	var got []string
	for _, id := range ids {
		_, err := s.Get(context.Background(), id)
		switch {
		case err == nil:
			got = append(got, id)
		case !errors.Is(err, bot.ErrNotFound):
			t.Fatalf("Get(%s): %v", id, err)
		}
	}
	return got
}

func put(t *testing.T, s *bot.MemorySessions, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := s.Put(context.Background(), id, bot.State{Facts: bot.Facts{Code: id}}); err != nil {
			t.Fatalf("Put(%s): %v", id, err)
		}
	}
}

func TestMemorySessionsEvictsLeastRecentlyUsed(t *testing.T) {
	t.Parallel()
	c := storetest.NewClock()
	s := &bot.MemorySessions{MaxEntries: 3, TTL: time.Hour, Now: c.Now}
	put(t, s, "a", "b", "c")
	held(t, s, "a") // a is now more recent than b and c
	put(t, s, "d")  // evicts b, the least recently used
	if d := cmp.Diff([]string{"a", "c", "d"}, held(t, s, "a", "b", "c", "d")); d != "" {
		t.Errorf("after a 4th conversation (-want +got):\n%s", d)
	}
	put(t, s, "c", "e") // rewriting c makes a the least recently used
	if d := cmp.Diff([]string{"c", "d", "e"}, held(t, s, "a", "c", "d", "e")); d != "" {
		t.Errorf("after rewriting c and a 5th conversation (-want +got):\n%s", d)
	}
	if n := s.Len(); n != 3 {
		t.Errorf("Len = %d, want the cap 3", n)
	}
}

func TestMemorySessionsDropsExpiredLazily(t *testing.T) {
	t.Parallel()
	c := storetest.NewClock()
	s := &bot.MemorySessions{TTL: time.Minute, Now: c.Now}
	var old []string
	for i := range 10 {
		old = append(old, fmt.Sprint("old", i))
	}
	put(t, s, old...)
	c.Advance(time.Minute)
	put(t, s, "new0")
	if n := s.Len(); n <= 1 || n >= 11 {
		t.Errorf("Len after one Put = %d: want a few expired entries dropped, neither none nor all at once", n)
	}
	for i := 1; i < 10; i++ {
		put(t, s, fmt.Sprint("new", i))
	}
	if n := s.Len(); n != 10 {
		t.Errorf("Len = %d after 10 more Puts, want the expired entries gone and the 10 new ones held", n)
	}
	if got := held(t, s, old...); len(got) != 0 {
		t.Errorf("expired conversations still readable: %v", got)
	}
}

func TestMemoryLimiterBoundedKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := storetest.NewClock()
	l := &bot.MemoryLimiter{Limit: 1, Window: time.Minute, MaxKeys: 2, Now: c.Now}
	allow := func(key string) bool {
		ok, _, err := l.Allow(ctx, key)
		if err != nil {
			t.Fatalf("Allow(%s): %v", key, err)
		}
		return ok
	}
	for _, k := range []string{"a", "b", "a"} { // a is over its limit and used last
		allow(k)
	}
	allow("c") // a third key evicts b, the least recently used
	if allow("a") {
		t.Error("a allowed: the most recently used key must keep its window")
	}
	if !allow("b") {
		t.Error("b still limited: want its window forgotten when c evicted it")
	}
}

func TestMemoryOutcomesBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := &bot.MemoryOutcomes{MaxEntries: 3}
	for i := range 10 {
		if err := o.Record(ctx, bot.Outcome{ConversationID: fmt.Sprint(i), PassageID: "code-51", Solved: i%2 == 0}); err != nil {
			t.Fatal(err)
		}
	}
	var convs []string
	for _, oc := range o.All() {
		convs = append(convs, oc.ConversationID)
	}
	if d := cmp.Diff([]string{"7", "8", "9"}, convs); d != "" {
		t.Errorf("All (-want +got):\n%s", d)
	}
	if d := cmp.Diff(map[string][2]int{"code-51": {5, 5}}, o.ByPassage()); d != "" {
		t.Errorf("ByPassage counts every outcome (-want +got):\n%s", d)
	}
}

// BenchmarkMemorySessionsPut measures Put into a full store: a new
// conversation (which evicts the least recently used) and a rewrite of a
// held one.
func BenchmarkMemorySessionsPut(b *testing.B) {
	ctx := context.Background()
	st := bot.State{Facts: bot.Facts{Code: "51", Language: "zh"},
		History: []bot.Turn{{Role: "merchant", Text: "刷卡显示交易失败51"}, {Role: "bot", Text: "51 表示余额不足"}}}
	for _, n := range []int{10_000, 100_000} {
		keys := make([]string, 2*n)
		for i := range keys {
			keys[i] = fmt.Sprintf("http:%032x", i)
		}
		full := func() *bot.MemorySessions {
			s := &bot.MemorySessions{MaxEntries: n}
			for _, k := range keys[:n] {
				_ = s.Put(ctx, k, st)
			}
			return s
		}
		b.Run(fmt.Sprintf("entries=%d/new", n), func(b *testing.B) {
			s := full()
			i := n
			for b.Loop() {
				_ = s.Put(ctx, keys[i%len(keys)], st) // every key was evicted since its last Put
				i++
			}
		})
		b.Run(fmt.Sprintf("entries=%d/rewrite", n), func(b *testing.B) {
			s := full()
			i := 0
			for b.Loop() {
				_ = s.Put(ctx, keys[i%n], st)
				i++
			}
		})
	}
}
