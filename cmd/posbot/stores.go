package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/metrics"
	"github.com/posbot/posbot/pgstore"
	"github.com/posbot/posbot/redisstore"
	"github.com/posbot/posbot/telegram"
)

// sessionTTL is how long a quiet conversation is remembered in Redis.
const sessionTTL = 24 * time.Hour

// stores are the shared stores configured for serve: Redis for sessions and
// PostgreSQL for knowledge search and outcomes. Unset ones stay in memory.
type stores struct {
	redis *redisstore.Client
	pg    *pgstore.Store
	ready map[string]func(context.Context) error
}

func openStores(ctx context.Context, cfg config, log *slog.Logger, m *metrics.Metrics) (*stores, error) {
	st := &stores{ready: map[string]func(context.Context) error{}}
	if cfg.RedisURL != "" {
		c, err := openRedis(ctx, cfg.RedisURL, log, m)
		if err != nil {
			return nil, err
		}
		st.redis = c
		st.ready["redis"] = c.Ping
	}
	if cfg.PostgresURL != "" {
		s, err := openPostgres(ctx, cfg.PostgresURL, embedderFor(cfg))
		if err != nil {
			st.close()
			return nil, err
		}
		st.pg = s
		st.ready["postgres"] = s.Ping
	}
	return st, nil
}

// apply puts the configured stores into the engine's configuration: with
// Redis, sessions, the per-conversation lock and rate limit and the answer
// cache are shared by all replicas; without it they live in this process.
func (st *stores) apply(c *bot.Config) {
	if st.redis != nil {
		c.Sessions = st.redis.Sessions(sessionTTL)
		c.Locker = st.redis.Locker(0)
		c.Limiter = st.redis.Limiter(0, 0)
		c.Answers = st.redis.AnswerCache(0)
	} else {
		c.Limiter = &bot.MemoryLimiter{}
		c.Answers = &bot.MemoryAnswerCache{}
	}
	if st.pg != nil {
		c.Searcher = st.pg
		c.Outcomes = st.pg
	}
}

// dedup returns the shared delivery dedup, or nil for an in-process one.
func (st *stores) dedup() telegram.Dedup {
	if st.redis == nil {
		return nil
	}
	return st.redis.Dedup(0)
}

func (st *stores) close() {
	if st.redis != nil {
		st.redis.Close()
	}
	if st.pg != nil {
		st.pg.Close()
	}
}
