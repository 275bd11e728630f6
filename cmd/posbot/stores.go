package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/handoff"
	"github.com/posbot/posbot/httpapi"
	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/metrics"
	"github.com/posbot/posbot/pgstore"
	"github.com/posbot/posbot/redisstore"
	"github.com/posbot/posbot/retrieval"
)

// sessionTTL is how long a quiet conversation is remembered in Redis.
const sessionTTL = 24 * time.Hour

// stores are the shared stores configured for serve: Redis for sessions and
// PostgreSQL for knowledge search and outcomes. Unset ones stay in memory.
type stores struct {
	redis *redisstore.Client
	pg    *pgstore.Store
	ready map[string]func(context.Context) error

	cfg       config
	log       *slog.Logger
	global    *bot.TokenBucket    // one budget for the whole process, POSBOT_RATE_GLOBAL
	fallbacks func(reason string) // counts searches answered from memory; nil without metrics
}

func openStores(ctx context.Context, cfg config, log *slog.Logger, m *metrics.Metrics) (*stores, error) {
	st := &stores{ready: map[string]func(context.Context) error{}, cfg: cfg, log: log,
		global: &bot.TokenBucket{Rate: cfg.RateGlobal}}
	if m != nil {
		st.fallbacks = searchFallbacks(m)
	}
	if cfg.RedisURL != "" {
		c, err := openRedis(ctx, cfg.RedisURL, cfg.RedisPrefix, log, m)
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
// cache are shared by all replicas; without it they live in this process,
// sessions capped at POSBOT_MAX_SESSIONS. Either way the process-wide
// POSBOT_RATE_GLOBAL budget comes after the per-conversation limit. With
// PostgreSQL, search asks it under POSBOT_PG_SEARCH_TIMEOUT and falls back
// to the in-memory retriever already in c.
func (st *stores) apply(c *bot.Config) {
	var perConv bot.Limiter
	if st.redis != nil {
		c.Sessions = st.redis.Sessions(sessionTTL)
		c.Locker = st.redis.Locker(0)
		perConv = st.redis.Limiter(0, 0)
		c.Answers = st.redis.AnswerCache(0)
	} else {
		c.Sessions = &bot.MemorySessions{MaxEntries: st.cfg.MaxSessions}
		perConv = &bot.MemoryLimiter{}
		c.Answers = &bot.MemoryAnswerCache{}
	}
	c.Limiter = bot.Limiters{perConv, st.global}
	if st.pg != nil {
		c.Searcher = retrieval.NewFallback(st.pg, c.Searcher, retrieval.FallbackOptions{
			Timeout:    st.cfg.PGSearchTimeout,
			Logger:     st.log.With("primary", "postgres", "fallback", "memory"),
			OnFallback: st.fallbacks,
		})
		c.Outcomes = st.pg
	}
}

// httpOptions configures the HTTP channel: new conversations are limited per
// client address (shared by the replicas with Redis), X-Forwarded-For is
// believed from POSBOT_TRUSTED_PROXIES only, the page gets agents' messages
// from feed, and the agent API serves svc behind POSBOT_AGENT_TOKEN.
func (st *stores) httpOptions(svc *handoff.Service, feed channel.Feed) httpapi.Options {
	o := httpapi.Options{Logger: st.log, NewConversations: &bot.MemoryLimiter{}, TrustedProxies: st.cfg.TrustedProxies,
		Feed: feed, Agents: svc, AgentToken: st.cfg.Handoff.AgentToken}
	if st.redis != nil {
		o.NewConversations = st.redis.Limiter(0, 0)
	}
	return o
}

// searchFallbacks registers posbot_search_fallbacks_total on m and returns
// the function that counts one fallback, for retrieval.FallbackOptions.
func searchFallbacks(m *metrics.Metrics) func(reason string) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "posbot_search_fallbacks_total",
		Help: "Searches answered from the embedded knowledge base because PostgreSQL failed (error), was too slow (timeout) or was being skipped after failures (open).",
	}, []string{"reason"})
	for _, r := range []string{retrieval.FallbackError, retrieval.FallbackTimeout, retrieval.FallbackOpen} {
		c.WithLabelValues(r) // exported as 0 from the start
	}
	m.Registry().MustRegister(c)
	return func(reason string) { c.WithLabelValues(reason).Inc() }
}

// handoff builds the human handoff on the configured stores: tickets and
// transcripts in PostgreSQL, leases, relay dedup and the web chat feed in
// Redis, each in memory when its store is not configured.
func (st *stores) handoff(base *knowledge.Base) (*handoff.Service, channel.Feed, error) {
	h := st.cfg.Handoff
	hc := handoff.Config{Base: base, Lease: h.Lease, RemindAfter: h.RemindAfter, Hours: h.SupportHours,
		Provider: h.Provider, Logger: st.log.With("component", "handoff")}
	var feed channel.Feed = &channel.MemoryFeed{}
	hc.Limiter = &bot.MemoryLimiter{}
	if st.pg != nil {
		hc.Tickets, hc.Transcripts = st.pg, st.pg
	}
	if st.redis != nil {
		hc.Leases, hc.Relays, feed = st.redis.Leases(), st.redis.Dedup(0), st.redis.Feed()
		hc.Limiter = st.redis.Limiter(0, 0)
	}
	svc, err := handoff.New(hc)
	if err != nil {
		return nil, nil, err
	}
	return svc, feed, nil
}

// dedup returns the shared delivery dedup, or nil for an in-process one.
func (st *stores) dedup() channel.Dedup {
	if st.redis == nil {
		return nil
	}
	return st.redis.Dedup(0)
}

// inbox returns the shared inbox called name (one per channel and bot), or
// nil without Redis: messages then wait in memory.
func (st *stores) inbox(name string) channel.InboxStore {
	if st.redis == nil {
		return nil
	}
	return st.redis.Inbox(name, 0)
}

func (st *stores) close() {
	if st.redis != nil {
		st.redis.Close()
	}
	if st.pg != nil {
		st.pg.Close()
	}
}
