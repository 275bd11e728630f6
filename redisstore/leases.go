package redisstore

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/posbot/posbot/handoff"
)

// LeaseTTL is how long a conversation's lease is kept after it was last
// written. A ticket nobody touches for longer loses its lease: the bot then
// answers, and the next handoff finds the ticket again.
const LeaseTTL = 7 * 24 * time.Hour

var _ handoff.Leases = (*Leases)(nil)

// dropLease deletes KEYS[1] only if it is still the lease of ticket ARGV[1].
var dropLease = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'ticket_id') == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// Leases keeps each conversation's handoff.Lease in Redis, shared by every
// replica, as a hash at "<prefix>lease:<conversation id>" that expires
// LeaseTTL after it was last written. It is safe for concurrent use.
type Leases struct{ c *Client }

// Leases returns the lease store.
func (c *Client) Leases() *Leases { return &Leases{c: c} }

// Lease implements handoff.Leases.
func (l *Leases) Lease(ctx context.Context, conversationID string) (handoff.Lease, error) {
	var m map[string]string
	err := l.c.call(ctx, "leases", "get", func(ctx context.Context) (err error) {
		m, err = l.c.rdb.HGetAll(ctx, l.c.key("lease", conversationID)).Result()
		return err
	})
	if err != nil {
		return handoff.Lease{}, err
	}
	if len(m) == 0 {
		return handoff.Lease{}, handoff.ErrNotFound
	}
	id, err := strconv.ParseInt(m["ticket_id"], 10, 64)
	if err != nil {
		return handoff.Lease{}, errors.New("redis leases get: malformed lease")
	}
	lease := handoff.Lease{TicketID: id, Agent: m["agent"], Lang: m["lang"]}
	if ms, _ := strconv.ParseInt(m["until_ms"], 10, 64); ms > 0 {
		lease.Until = time.UnixMilli(ms)
	}
	return lease, nil
}

// PutLease implements handoff.Leases. Until is kept to the millisecond.
func (l *Leases) PutLease(ctx context.Context, conversationID string, lease handoff.Lease) error {
	var until int64
	if !lease.Until.IsZero() {
		until = lease.Until.UnixMilli()
	}
	k := l.c.key("lease", conversationID)
	return l.c.call(ctx, "leases", "put", func(ctx context.Context) error {
		_, err := l.c.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, k, "ticket_id", lease.TicketID, "agent", lease.Agent, "until_ms", until, "lang", lease.Lang)
			p.Expire(ctx, k, LeaseTTL)
			return nil
		})
		return err
	})
}

// DropLease implements handoff.Leases with a compare-and-delete script, so
// a late drop of an old ticket never removes a newer ticket's lease.
func (l *Leases) DropLease(ctx context.Context, conversationID string, ticketID int64) error {
	return l.c.call(ctx, "leases", "drop", func(ctx context.Context) error {
		return dropLease.Run(ctx, l.c.rdb, []string{l.c.key("lease", conversationID)}, strconv.FormatInt(ticketID, 10)).Err()
	})
}
