package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"

	"github.com/posbot/posbot/metrics"
	"github.com/posbot/posbot/redisstore"
)

// openRedis connects to the Redis at url that replicas share (sessions,
// dedup, rate limits, locks), reporting its calls to m if m is not nil. An
// unreachable server fails within seconds; errors name POSBOT_REDIS_URL and
// never contain the URL's password. Every key starts with prefix
// ("posbot:" if empty).
func openRedis(ctx context.Context, url, prefix string, log *slog.Logger, m *metrics.Metrics) (*redisstore.Client, error) {
	// go-redis prints every failed dial to stderr on its own; send that to
	// the structured log at debug level instead: the Client itself warns once
	// when Redis goes away and notes when it is back.
	redis.SetLogger(redisLogger{log})
	opts := redisstore.Options{Logger: log, Prefix: prefix}
	if m != nil {
		opts.Observe = m.ObserveStore
	}
	c, err := redisstore.Open(ctx, url, opts)
	if err != nil {
		return nil, fmt.Errorf("POSBOT_REDIS_URL: %w", err)
	}
	log.InfoContext(ctx, "shared state in redis")
	return c, nil
}

// redisLogger adapts slog to go-redis's internal logger.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, "go-redis: "+fmt.Sprintf(format, v...))
}
