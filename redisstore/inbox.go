package redisstore

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/posbot/posbot/channel"
)

// Defaults of Client.Inbox.
const (
	// DefaultInboxLease is how long a replica owns a conversation without
	// renewing it: when a replica dies, its conversations wait this long
	// for another.
	DefaultInboxLease = 30 * time.Second
	// DefaultInboxTTL is how long a conversation's waiting messages are kept.
	DefaultInboxTTL = 24 * time.Hour
	// DefaultInboxMax is how many messages one conversation may have waiting.
	DefaultInboxMax = 500
)

var _ channel.InboxStore = (*Inbox)(nil)

// Inbox is a channel.InboxStore shared by every replica. Under
// "<prefix>inbox:<name>:" it keeps each conversation's waiting messages in
// a list (q:<key>), in the order they were pushed; the conversations that
// have messages in a sorted set (ready) scored by when they may be claimed;
// and the owner of a conversation being answered (o:<key>: the replica's
// token, with a lease). A replica claims a conversation only when it has
// no owner, so one conversation is answered by one replica at a time, in
// order, wherever its messages arrived; a replica that stops hands its
// conversations over (Release), and one that dies loses them when its
// lease ends. Every step is one Lua script, so a push never falls between
// the owner's last look and its letting go. Time is Redis's (TIME), not the
// replicas' clocks. It is safe for concurrent use; each Inbox value is one
// owner, so a process makes one per name.
type Inbox struct {
	c     *Client
	base  string
	token string
	lease time.Duration
	ttl   time.Duration
	max   int
}

// Inbox returns the shared inboxes called name (one per channel and bot,
// such as "tg:123456"); lease <= 0 means DefaultInboxLease.
func (c *Client) Inbox(name string, lease time.Duration) *Inbox {
	if lease < time.Millisecond {
		lease = DefaultInboxLease
	}
	return &Inbox{c: c, base: c.key("inbox", name) + ":", token: crand.Text(), lease: lease,
		ttl: DefaultInboxTTL, max: DefaultInboxMax}
}

func (q *Inbox) keys(key string) []string {
	return []string{q.base + "q:" + key, q.base + "o:" + key, q.base + "ready"}
}

// nowMS is the Lua prelude that reads Redis's clock in milliseconds.
const nowMS = `local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

// KEYS: queue, owner, ready, pushed (the entry's marker). ARGV: entry, key,
// ttl ms, max, marker ttl ms. A push tried again after an answer that got
// lost finds the marker and is not pushed twice.
var inboxPush = redis.NewScript(nowMS + `
if redis.call('EXISTS', KEYS[4]) == 1 then return 1 end
if redis.call('LLEN', KEYS[1]) >= tonumber(ARGV[4]) then return -1 end
redis.call('SET', KEYS[4], 1, 'PX', ARGV[5])
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[3], 'NX', now, ARGV[2])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
return 1
`)

// KEYS: ready. ARGV: max.
var inboxDue = redis.NewScript(nowMS + `
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
`)

// KEYS: queue, owner, ready. ARGV: token, lease ms, key. Claiming again
// what this owner claimed already (an answer that got lost) succeeds.
var inboxClaim = redis.NewScript(nowMS + `
if not redis.call('ZSCORE', KEYS[3], ARGV[3]) then return 0 end
if redis.call('LLEN', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[3], ARGV[3])
  return 0
end
local owner = redis.call('GET', KEYS[2])
if owner and owner ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[3], 'XX', now + tonumber(ARGV[2]), ARGV[3])
return 1
`)

// KEYS: queue, owner, ready. ARGV: token, lease ms, key. Returns false when
// not the owner, "" (with the conversation given up) when empty.
var inboxHead = redis.NewScript(nowMS + `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return false end
local e = redis.call('LINDEX', KEYS[1], 0)
if not e then
  redis.call('ZREM', KEYS[3], ARGV[3])
  redis.call('DEL', KEYS[2])
  return ''
end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], 'XX', now + tonumber(ARGV[2]), ARGV[3])
return e
`)

// KEYS: queue, owner, ready. ARGV: token, lease ms, key, id. Returns -1 when
// not the owner, else how many wait (0: given up).
var inboxPop = redis.NewScript(nowMS + `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return -1 end
local e = redis.call('LINDEX', KEYS[1], 0)
if e and string.sub(e, 1, string.len(ARGV[4]) + 1) == ARGV[4] .. ':' then
  redis.call('LPOP', KEYS[1])
end
local n = redis.call('LLEN', KEYS[1])
if n == 0 then
  redis.call('ZREM', KEYS[3], ARGV[3])
  redis.call('DEL', KEYS[2])
  return 0
end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], 'XX', now + tonumber(ARGV[2]), ARGV[3])
return n
`)

// KEYS: queue, owner, ready. ARGV: token, lease ms, key.
var inboxRenew = redis.NewScript(nowMS + `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], 'XX', now + tonumber(ARGV[2]), ARGV[3])
return 1
`)

// KEYS: queue, owner, ready. ARGV: token, key.
var inboxRelease = redis.NewScript(nowMS + `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2])
if redis.call('LLEN', KEYS[1]) > 0 then
  redis.call('ZADD', KEYS[3], now, ARGV[2])
else
  redis.call('ZREM', KEYS[3], ARGV[2])
end
return 1
`)

func ms(d time.Duration) int64 { return d.Milliseconds() }

// inboxAttempts is how often a step whose answer did not come is tried
// again: each step is safe to repeat (a push is marked, a pop names its
// entry), and a repeat beats a message answered twice or a conversation
// waiting out a lease because Redis was slow for a moment.
const inboxAttempts = 3

// markerTTL is how long a pushed entry's marker is kept: long enough for the
// push's retries.
const markerTTL = 10 * time.Minute

// retry runs one step through Client.call, again while it fails for want
// of an answer (a timeout, a broken connection) and ctx is not done.
func (q *Inbox) retry(ctx context.Context, op string, f func(ctx context.Context) error) error {
	var err error
	for range inboxAttempts {
		if err = q.c.call(ctx, "inbox", op, f); err == nil || errors.Is(err, redis.Nil) || ctx.Err() != nil {
			return err
		}
		var rerr redis.Error
		if errors.As(err, &rerr) {
			return err // Redis answered: an error that will not change
		}
	}
	return err
}

// Push implements channel.InboxStore: it returns once Redis holds the
// message.
func (q *Inbox) Push(ctx context.Context, key string, payload []byte) error {
	id := crand.Text()
	entry := id + ":" + string(payload)
	keys := append(q.keys(key), q.base+"e:"+id)
	var n int64
	err := q.retry(ctx, "push", func(ctx context.Context) (err error) {
		n, err = inboxPush.Run(ctx, q.c.rdb, keys, entry, key, ms(q.ttl), q.max, ms(markerTTL)).Int64()
		return err
	})
	if err != nil {
		return err
	}
	if n < 0 {
		return channel.ErrFull
	}
	return nil
}

// Claim implements channel.InboxStore.
func (q *Inbox) Claim(ctx context.Context, max int) ([]string, error) {
	var due []string
	err := q.retry(ctx, "due", func(ctx context.Context) (err error) {
		due, err = inboxDue.Run(ctx, q.c.rdb, []string{q.base + "ready"}, max).StringSlice()
		return err
	})
	if err != nil {
		return nil, err
	}
	var claimed []string
	for _, key := range due {
		var ok int64
		err := q.retry(ctx, "claim", func(ctx context.Context) (err error) {
			ok, err = inboxClaim.Run(ctx, q.c.rdb, q.keys(key), q.token, ms(q.lease), key).Int64()
			return err
		})
		if err != nil {
			return claimed, err
		}
		if ok == 1 {
			claimed = append(claimed, key)
		}
	}
	return claimed, nil
}

// Head implements channel.InboxStore.
func (q *Inbox) Head(ctx context.Context, key string) (channel.Entry, bool, error) {
	var v any
	err := q.retry(ctx, "head", func(ctx context.Context) (err error) {
		v, err = inboxHead.Run(ctx, q.c.rdb, q.keys(key), q.token, ms(q.lease), key).Result()
		return err
	})
	if errors.Is(err, redis.Nil) {
		return channel.Entry{}, false, channel.ErrNotOwner
	}
	if err != nil {
		return channel.Entry{}, false, err
	}
	s, _ := v.(string)
	if s == "" {
		return channel.Entry{}, false, nil
	}
	id, payload, ok := strings.Cut(s, ":")
	if !ok {
		return channel.Entry{}, false, fmt.Errorf("redis inbox head: malformed entry in %s", key)
	}
	return channel.Entry{ID: id, Payload: []byte(payload)}, true, nil
}

// Pop implements channel.InboxStore.
func (q *Inbox) Pop(ctx context.Context, key, id string) (bool, error) {
	var n int64
	tries := 0
	err := q.retry(ctx, "pop", func(ctx context.Context) (err error) {
		tries++
		n, err = inboxPop.Run(ctx, q.c.rdb, q.keys(key), q.token, ms(q.lease), key, id).Int64()
		return err
	})
	switch {
	case err != nil:
		return false, err
	case n < 0 && tries > 1:
		// An earlier try emptied the inbox and gave the conversation up.
		return false, nil
	case n < 0:
		return false, channel.ErrNotOwner
	}
	return n > 0, nil
}

// Renew implements channel.InboxStore.
func (q *Inbox) Renew(ctx context.Context, key string) error {
	var ok int64
	err := q.retry(ctx, "renew", func(ctx context.Context) (err error) {
		ok, err = inboxRenew.Run(ctx, q.c.rdb, q.keys(key), q.token, ms(q.lease), key).Int64()
		return err
	})
	if err == nil && ok == 0 {
		return channel.ErrNotOwner
	}
	return err
}

// Release implements channel.InboxStore.
func (q *Inbox) Release(ctx context.Context, key string) error {
	return q.retry(ctx, "release", func(ctx context.Context) error {
		return inboxRelease.Run(ctx, q.c.rdb, q.keys(key), q.token, key).Err()
	})
}

// Durable implements channel.InboxStore: messages in Redis outlive the
// replica that took them (within the TTL, and as long as Redis keeps them).
func (q *Inbox) Durable() bool { return true }
