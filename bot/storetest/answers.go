package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/knowledge"
)

// AnswerCache runs the bot.AnswerCache contract. open returns an empty cache
// whose entries expire ttl after they were written.
func AnswerCache(t *testing.T, open func(t *testing.T, ttl time.Duration) (bot.AnswerCache, Advance)) {
	t.Helper()
	ctx := context.Background()
	draft := bot.Draft{Lang: "zh", Code: "51", Question: "刷卡 51 交易失败",
		Passages: []knowledge.Passage{{ID: "code-51"}, {ID: "code-61"}}}
	k1 := bot.AnswerKey(draft)
	en := draft
	en.Lang = "en"
	k2 := bot.AnswerKey(en)
	const answer = "51 表示余额不足：请持卡人换一张卡，或联系发卡银行。"

	get := func(t *testing.T, c bot.AnswerCache, key string) (string, bool) {
		t.Helper()
		a, ok, err := c.Get(ctx, key)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		return a, ok
	}
	put := func(t *testing.T, c bot.AnswerCache, key, a string) {
		t.Helper()
		if err := c.Put(ctx, key, a); err != nil {
			t.Fatalf("Put: %v", err)
		}
	}

	t.Run("miss", func(t *testing.T) {
		t.Parallel()
		c, _ := open(t, TTL)
		if a, ok := get(t, c, k1); ok || a != "" {
			t.Fatalf("Get(missing) = %q, %v; want \"\", false", a, ok)
		}
	})
	t.Run("put then get, keys independent", func(t *testing.T) {
		t.Parallel()
		c, _ := open(t, TTL)
		put(t, c, k1, answer)
		if a, ok := get(t, c, k1); !ok || a != answer {
			t.Fatalf("Get = %q, %v; want %q, true", a, ok, answer)
		}
		if _, ok := get(t, c, k2); ok {
			t.Fatal("Get(other key) hit, want miss")
		}
	})
	t.Run("put overwrites", func(t *testing.T) {
		t.Parallel()
		c, _ := open(t, TTL)
		put(t, c, k1, "old")
		put(t, c, k1, answer)
		if a, _ := get(t, c, k1); a != answer {
			t.Fatalf("Get after overwrite = %q, want %q", a, answer)
		}
	})
	t.Run("expires after ttl", func(t *testing.T) {
		t.Parallel()
		c, advance := open(t, TTL)
		put(t, c, k1, answer)
		advance(TTL + slack)
		if _, ok := get(t, c, k1); ok {
			t.Fatal("Get after ttl hit, want miss")
		}
	})
	t.Run("answer key", func(t *testing.T) {
		t.Parallel()
		if k1 == k2 || k1 != bot.AnswerKey(draft) {
			t.Fatalf("AnswerKey is not a function of the draft: %q, %q", k1, k2)
		}
		other := draft
		other.Passages = []knowledge.Passage{{ID: "code-61"}, {ID: "code-51"}}
		if bot.AnswerKey(other) == k1 {
			t.Fatal("AnswerKey ignores the passages")
		}
		a, b := draft, draft
		a.Code, a.Question = "5", "1x"
		b.Code, b.Question = "51", "x"
		if bot.AnswerKey(a) == bot.AnswerKey(b) {
			t.Fatal("AnswerKey does not separate its parts")
		}
	})
}
