package main

import (
	"context"
	"log/slog"
	"testing"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/metrics"
)

// Without shared stores, serve's engine holds at most POSBOT_MAX_SESSIONS
// conversations, limits each conversation and then the whole process, and
// the HTTP channel limits new conversations per client.
func TestStoresInMemoryAreBounded(t *testing.T) {
	t.Parallel()
	cfg, err := loadConfig(env(map[string]string{"POSBOT_MAX_SESSIONS": "123", "POSBOT_RATE_GLOBAL": "7", "POSBOT_TRUSTED_PROXIES": "10.0.0.1"}))
	if err != nil {
		t.Fatal(err)
	}
	st, err := openStores(context.Background(), cfg, slog.New(slog.DiscardHandler), metrics.New())
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	var c bot.Config
	st.apply(&c)
	if s, ok := c.Sessions.(*bot.MemorySessions); !ok || s.MaxEntries != 123 {
		t.Errorf("Sessions = %#v, want MemorySessions capped at 123", c.Sessions)
	}
	ls, ok := c.Limiter.(bot.Limiters)
	if !ok || len(ls) != 2 {
		t.Fatalf("Limiter = %#v, want the per-conversation and the global limiter", c.Limiter)
	}
	if _, ok := ls[0].(*bot.MemoryLimiter); !ok {
		t.Errorf("first limiter %T, want the per-conversation MemoryLimiter", ls[0])
	}
	if b, ok := ls[1].(*bot.TokenBucket); !ok || b.Rate != 7 {
		t.Errorf("second limiter %#v, want a TokenBucket of 7 a second", ls[1])
	}
	o := st.httpOptions(nil, nil)
	if o.NewConversations == nil || len(o.TrustedProxies) != 1 || o.Logger == nil {
		t.Errorf("httpOptions = %+v, want a new-conversation limiter, the trusted proxy and the logger", o)
	}
}
