package storetest_test

import (
	"testing"
	"time"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/bot/storetest"
	"github.com/posbot/posbot/dedup"
)

func TestMemorySessions(t *testing.T) {
	storetest.Sessions(t, func(t *testing.T, ttl time.Duration) (bot.Sessions, storetest.Advance) {
		c := storetest.NewClock()
		return &bot.MemorySessions{TTL: ttl, Now: c.Now}, c.Advance
	})
}

func TestMemoryDedup(t *testing.T) {
	storetest.Dedup(t, func(t *testing.T, ttl time.Duration) (storetest.Deduper, storetest.Advance) {
		c := storetest.NewClock()
		return &dedup.Memory{TTL: ttl, Now: c.Now}, c.Advance
	})
}

func TestMemoryLimiter(t *testing.T) {
	storetest.Limiter(t, func(t *testing.T, limit int, window time.Duration) (bot.Limiter, storetest.Advance) {
		c := storetest.NewClock()
		return &bot.MemoryLimiter{Limit: limit, Window: window, Now: c.Now}, c.Advance
	})
}

func TestMemoryLocker(t *testing.T) {
	storetest.Locker(t, func(t *testing.T) (bot.Locker, bot.Locker) {
		l := &bot.MemoryLocker{}
		return l, l
	})
}

func TestMemoryAnswerCache(t *testing.T) {
	storetest.AnswerCache(t, func(t *testing.T, ttl time.Duration) (bot.AnswerCache, storetest.Advance) {
		c := storetest.NewClock()
		return &bot.MemoryAnswerCache{TTL: ttl, Now: c.Now}, c.Advance
	})
}
