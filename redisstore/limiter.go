package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/posbot/posbot/bot"
)

var _ bot.Limiter = (*Limiter)(nil)

// fixedWindow counts one hit in KEYS[1] and returns the count and the
// window's remaining milliseconds, starting a window of ARGV[1] ms on the
// first hit. Being one script, INCR and PEXPIRE cannot be separated by a
// crash, which would leave a counter that never expires.
var fixedWindow = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
`)

// Limiter is a fixed-window rate limiter shared by every replica: at most
// limit messages per key in each window, counted in "<prefix>rate:<key>". It
// is safe for concurrent use.
type Limiter struct {
	c      *Client
	limit  int
	window time.Duration
}

// Limiter returns a rate limiter; limit <= 0 means bot.DefaultRateLimit and
// window <= 0 bot.DefaultRateWindow. The window is kept to whole milliseconds.
func (c *Client) Limiter(limit int, window time.Duration) *Limiter {
	if limit <= 0 {
		limit = bot.DefaultRateLimit
	}
	if window < time.Millisecond {
		window = bot.DefaultRateWindow
	}
	return &Limiter{c: c, limit: limit, window: window}
}

// Allow implements bot.Limiter. If Redis fails it returns ok == true with the
// error: the limit fails open.
func (l *Limiter) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	var res []int64
	err := l.c.call(ctx, "limiter", "allow", func(ctx context.Context) (err error) {
		res, err = fixedWindow.Run(ctx, l.c.rdb, []string{l.c.key("rate", key)}, l.window.Milliseconds()).Int64Slice()
		return err
	})
	if err == nil && len(res) != 2 {
		err = fmt.Errorf("redis limiter allow: unexpected reply %v", res)
	}
	if err != nil {
		return true, 0, err
	}
	if res[0] <= int64(l.limit) {
		return true, 0, nil
	}
	return false, max(time.Duration(res[1])*time.Millisecond, time.Millisecond), nil
}
