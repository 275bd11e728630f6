// Package redisstore keeps posbot's shared state in Redis, so that several
// stateless replicas can serve one chat: conversation state, delivery dedup,
// per-chat rate limits, per-chat locks, the model-answer cache, the handoff
// leases that keep every replica silent while a person owns a chat, and the
// feed that carries agents' messages to the replica holding a web chat page.
//
// Every Redis call is bounded by Options.Timeout, so a dead or hung Redis
// costs a message a few hundred milliseconds, never a stall. The stores
// report failures as errors and the callers degrade: the engine answers
// statelessly without Sessions, and Dedup, Limiter and Locker fail open (see
// bot.Limiter and bot.Locker for why). The go-redis pool reconnects by itself
// when Redis returns.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultTimeout bounds each Redis call when Options.Timeout is zero.
const DefaultTimeout = 300 * time.Millisecond

// pingTimeout bounds the start-up PING in Open.
const pingTimeout = 2 * time.Second

// Options configure a Client. The zero value is usable.
type Options struct {
	// Prefix starts every key; "posbot:" if empty. Stores add their own part,
	// so sessions live at "posbot:sess:<conversation id>".
	Prefix string
	// Timeout bounds every Redis call, and the dial, read and write of a
	// connection unless the URL sets them; DefaultTimeout if zero.
	Timeout time.Duration
	// Observe, if set, is called after every store operation with the store
	// ("sessions", "dedup", "limiter", "locker", "answers", "redis"), the
	// operation, its latency and its error (nil for success or a miss). It
	// must be safe for concurrent use; metrics.(*Metrics).ObserveStore fits.
	Observe func(store, op string, d time.Duration, err error)
	// Logger gets one warning when Redis calls start failing and one notice
	// when they succeed again; nil discards them.
	Logger *slog.Logger
}

// Client is a connection pool to one Redis database and the factory of the
// stores that use it. It is safe for concurrent use.
type Client struct {
	rdb     *redis.Client
	prefix  string
	timeout time.Duration
	observe func(store, op string, d time.Duration, err error)
	log     *slog.Logger
	down    atomic.Bool // the last call failed; for logging transitions once

	mu      sync.Mutex
	closers []func() // long-lived subscriptions, closed with the Client
}

// Open connects to the Redis at rawURL (redis://[user:pass@]host:port/db or
// rediss:// for TLS) and checks it with a PING bounded by two seconds, so an
// unreachable server is an error, not a hang. Errors never contain the
// URL's password.
func Open(ctx context.Context, rawURL string, opts Options) (*Client, error) {
	ro, err := redis.ParseURL(rawURL)
	if err != nil {
		// url.Parse errors quote the whole URL, password included.
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("parse redis URL: %w", err)
	}
	c := newClient(ro, opts)
	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if err := c.rdb.Ping(pctx).Err(); err != nil {
		c.rdb.Close()
		return nil, fmt.Errorf("ping redis at %s: %w", ro.Addr, err)
	}
	return c, nil
}

func newClient(ro *redis.Options, opts Options) *Client {
	c := &Client{prefix: opts.Prefix, timeout: opts.Timeout, observe: opts.Observe, log: opts.Logger}
	if c.prefix == "" {
		c.prefix = "posbot:"
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	// go-redis waits 5 s by default at each step; a dead Redis must cost a
	// message a fraction of a second instead.
	for _, d := range []*time.Duration{&ro.DialTimeout, &ro.ReadTimeout, &ro.WriteTimeout, &ro.PoolTimeout} {
		if *d == 0 {
			*d = c.timeout
		}
	}
	if ro.DialerRetries == 0 {
		ro.DialerRetries = 1
	}
	ro.ContextTimeoutEnabled = true
	c.rdb = redis.NewClient(ro)
	return c
}

// Ping checks that Redis answers; it is meant for readiness checks.
func (c *Client) Ping(ctx context.Context) error {
	return c.call(ctx, "redis", "ping", func(ctx context.Context) error {
		return c.rdb.Ping(ctx).Err()
	})
}

// Close closes the connection pool and the feed's subscription. Stores
// built from c must not be used after.
func (c *Client) Close() error {
	c.mu.Lock()
	closers := c.closers
	c.closers = nil
	c.mu.Unlock()
	for _, f := range closers {
		f()
	}
	return c.rdb.Close()
}

func (c *Client) onClose(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closers = append(c.closers, f)
}

func (c *Client) key(kind, key string) string {
	return c.prefix + kind + ":" + key
}

// call runs one Redis operation under the per-call timeout, reports it to
// Observe, and wraps its error. redis.Nil is returned unwrapped (a miss).
func (c *Client) call(ctx context.Context, store, op string, f func(ctx context.Context) error) error {
	start := time.Now()
	err := c.try(ctx, f)
	if c.observe != nil {
		c.observe(store, op, time.Since(start), failure(err))
	}
	if failure(err) != nil {
		return fmt.Errorf("redis %s %s: %w", store, op, err)
	}
	return err
}

// try runs f under the per-call timeout and logs when Redis goes away or
// comes back, once per transition rather than once per message.
func (c *Client) try(ctx context.Context, f func(ctx context.Context) error) error {
	cctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	err := f(cctx)
	switch {
	case failure(err) == nil:
		if c.down.CompareAndSwap(true, false) {
			c.log.InfoContext(ctx, "redis reachable again")
		}
	case ctx.Err() == nil: // the caller did not give up: Redis failed
		if c.down.CompareAndSwap(false, true) {
			c.log.WarnContext(ctx, "redis calls failing; answering without shared state until it returns", "err", err)
		}
	}
	return err
}

// failure is err unless it only reports a missing key.
func failure(err error) error {
	if errors.Is(err, redis.Nil) {
		return nil
	}
	return err
}
