package bot_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/bot/storetest"
)

func TestTokenBucket(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := storetest.NewClock()
	b := &bot.TokenBucket{Rate: 2, Burst: 3, Now: c.Now}
	for i, key := range []string{"conv:a", "conv:b", "conv:c"} { // the burst, whatever the keys
		if ok, _, _ := b.Allow(ctx, key); !ok {
			t.Fatalf("message %d of the burst denied", i+1)
		}
	}
	ok, after, err := b.Allow(ctx, "conv:d")
	if ok || err != nil || after != 500*time.Millisecond {
		t.Fatalf("after the burst Allow = %v, %v, %v; want denied for 500ms (2 a second)", ok, after, err)
	}
	c.Advance(500 * time.Millisecond)
	if ok, _, _ := b.Allow(ctx, "conv:d"); !ok {
		t.Fatal("denied after a token's time")
	}
	c.Advance(time.Hour) // refills to the burst, not beyond
	for range 3 {
		b.Allow(ctx, "conv:e")
	}
	if ok, _, _ := b.Allow(ctx, "conv:e"); ok {
		t.Fatal("an hour's idleness allowed more than the burst")
	}
	if ok, _, _ := (&bot.TokenBucket{}).Allow(ctx, "conv:a"); !ok {
		t.Fatal("zero TokenBucket denied: want no limit")
	}
}

// limiterFunc adapts a function to bot.Limiter and counts its calls.
type limiterFunc struct {
	calls int
	allow func() (bool, time.Duration, error)
}

func (l *limiterFunc) Allow(context.Context, string) (bool, time.Duration, error) {
	l.calls++
	return l.allow()
}

func TestLimiters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	allows := func() (bool, time.Duration, error) { return true, 0, nil }
	denies := func() (bool, time.Duration, error) { return false, time.Second, nil }
	fails := func() (bool, time.Duration, error) { return true, 0, errors.New("redis down") }

	conv, global := &limiterFunc{allow: denies}, &limiterFunc{allow: allows}
	if ok, after, err := (bot.Limiters{conv, global}).Allow(ctx, "conv:1"); ok || after != time.Second || err != nil {
		t.Errorf("first denies: Allow = %v, %v, %v; want denied for 1s", ok, after, err)
	}
	if global.calls != 0 {
		t.Error("the global limiter was asked about a message its conversation's limiter denied")
	}

	conv, global = &limiterFunc{allow: fails}, &limiterFunc{allow: denies}
	if ok, _, err := (bot.Limiters{conv, global}).Allow(ctx, "conv:1"); ok || err != nil {
		t.Errorf("first fails, second denies: Allow = %v, %v; want denied", ok, err)
	}
	conv.allow = fails
	global.allow = allows
	if ok, _, err := (bot.Limiters{conv, global}).Allow(ctx, "conv:1"); !ok || err == nil {
		t.Errorf("first fails, second allows: Allow = %v, %v; want allowed with the failure reported", ok, err)
	}
}

// Over the global limit, a merchant gets the engine's polite reply, not an error.
func TestEngineGlobalLimitIsAPoliteReply(t *testing.T) {
	t.Parallel()
	c := storetest.NewClock()
	e, _ := newEngine(t, func(cfg *bot.Config) {
		cfg.Limiter = bot.Limiters{&bot.MemoryLimiter{Now: c.Now}, &bot.TokenBucket{Rate: 1, Burst: 1, Now: c.Now}}
		cfg.Now = c.Now
	})
	if r := ask(t, e, "conv:a", "刷卡显示交易失败51"); r.Code != "51" {
		t.Fatalf("first message answered %+v, want code 51", r)
	}
	r := ask(t, e, "conv:b", "刷卡显示交易失败51") // another chat, over the global budget
	if r.Code != "" || !strings.Contains(r.Answer, "1 秒后再发") {
		t.Errorf("over the global limit: answer %q (code %q), want the polite wait-and-resend reply", r.Answer, r.Code)
	}
}
