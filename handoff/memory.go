package handoff

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/posbot/posbot/bot"
)

var (
	_ Tickets     = (*MemoryTickets)(nil)
	_ Transcripts = (*MemoryTranscripts)(nil)
	_ Leases      = (*MemoryLeases)(nil)
)

// Bounds of the memory stores, so memory stays bounded however many
// conversations come and go.
const (
	// DefaultMaxClosed is how many closed tickets MemoryTickets keeps.
	DefaultMaxClosed = 10_000
	// DefaultMaxTurns is how many turns MemoryTranscripts keeps per conversation.
	DefaultMaxTurns = 200
	// DefaultMaxTranscripts is how many conversations MemoryTranscripts keeps.
	DefaultMaxTranscripts = 10_000
)

// MemoryTickets keeps tickets in process memory: every active ticket and
// the newest DefaultMaxClosed closed ones. Its zero value is ready to use
// and it is safe for concurrent use.
type MemoryTickets struct {
	Now func() time.Time // nil means time.Now

	mu     sync.Mutex
	next   int64
	byID   map[int64]*Ticket
	active map[string]int64 // conversation → active ticket
	closed []int64          // closed tickets, oldest first
}

func (m *MemoryTickets) init() {
	if m.byID == nil {
		m.byID, m.active = map[int64]*Ticket{}, map[string]int64{}
	}
}

// Create implements Tickets.
func (m *MemoryTickets) Create(_ context.Context, t Ticket) (Ticket, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	if id, ok := m.active[t.ConversationID]; ok {
		return clone(*m.byID[id]), false, nil
	}
	m.next++
	t.ID, t.Status = m.next, StatusOpen
	if t.CreatedAt.IsZero() {
		t.CreatedAt = nowOr(m.Now)
	}
	t = clone(t)
	m.byID[t.ID] = &t
	m.active[t.ConversationID] = t.ID
	return clone(t), true, nil
}

// Ticket implements Tickets.
func (m *MemoryTickets) Ticket(_ context.Context, id int64) (Ticket, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.byID[id]
	if !ok {
		return Ticket{}, fmt.Errorf("ticket %d: %w", id, ErrNotFound)
	}
	return clone(*t), nil
}

// Active implements Tickets.
func (m *MemoryTickets) Active(context.Context) ([]Ticket, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Ticket, 0, len(m.active))
	for _, id := range m.active {
		out = append(out, clone(*m.byID[id]))
	}
	slices.SortFunc(out, func(a, b Ticket) int { return int(a.ID - b.ID) })
	return out, nil
}

// Update implements Tickets.
func (m *MemoryTickets) Update(_ context.Context, id int64, change func(*Ticket) error) (Ticket, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.byID[id]
	if !ok {
		return Ticket{}, fmt.Errorf("ticket %d: %w", id, ErrNotFound)
	}
	t := clone(*cur)
	if err := change(&t); err != nil {
		return clone(*cur), err
	}
	t.ID, t.ConversationID, t.CreatedAt = cur.ID, cur.ConversationID, cur.CreatedAt
	if t.Active() && !cur.Active() {
		if other, busy := m.active[t.ConversationID]; busy && other != id {
			return clone(*cur), fmt.Errorf("reopen ticket %d: conversation has active ticket %d", id, other)
		}
	}
	*cur = clone(t)
	if t.Active() {
		m.active[t.ConversationID] = id
	} else if m.active[t.ConversationID] == id {
		delete(m.active, t.ConversationID)
		m.closed = append(m.closed, id)
		for len(m.closed) > DefaultMaxClosed {
			if old := m.byID[m.closed[0]]; old != nil && !old.Active() {
				delete(m.byID, m.closed[0])
			}
			m.closed = m.closed[1:]
		}
	}
	return clone(t), nil
}

// clone copies the ticket's slices and map, so callers never share them
// with the store.
func clone(t Ticket) Ticket {
	t.Considered = slices.Clone(t.Considered)
	t.Steps = slices.Clone(t.Steps)
	t.DeskRefs = maps.Clone(t.DeskRefs)
	return t
}

// MemoryTranscripts keeps transcripts in process memory: the newest
// DefaultMaxTurns turns of each of the newest DefaultMaxTranscripts
// conversations. Its zero value is ready to use and it is safe for
// concurrent use.
type MemoryTranscripts struct {
	mu    sync.Mutex
	turns map[string][]bot.Turn
	order []string // conversations by first write, oldest first
}

// AppendTranscript implements Transcripts.
func (m *MemoryTranscripts) AppendTranscript(_ context.Context, conversationID string, turns ...bot.Turn) error {
	if len(turns) == 0 {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.turns == nil {
		m.turns = map[string][]bot.Turn{}
	}
	old, ok := m.turns[conversationID]
	if !ok {
		m.order = append(m.order, conversationID)
		for len(m.order) > DefaultMaxTranscripts {
			delete(m.turns, m.order[0])
			m.order = m.order[1:]
		}
	}
	all := append(old, turns...)
	if n := len(all); n > DefaultMaxTurns {
		all = slices.Clone(all[n-DefaultMaxTurns:])
	}
	m.turns[conversationID] = all
	return nil
}

// Transcript implements Transcripts.
func (m *MemoryTranscripts) Transcript(_ context.Context, conversationID string) ([]bot.Turn, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.turns[conversationID]), nil
}

// MemoryLeases keeps leases in process memory, for one replica. Its zero
// value is ready to use and it is safe for concurrent use. It holds one
// entry per active ticket; entries go when their ticket closes.
type MemoryLeases struct {
	mu sync.Mutex
	m  map[string]Lease
}

// Lease implements Leases.
func (m *MemoryLeases) Lease(_ context.Context, conversationID string) (Lease, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.m[conversationID]
	if !ok {
		return Lease{}, ErrNotFound
	}
	return l, nil
}

// PutLease implements Leases.
func (m *MemoryLeases) PutLease(_ context.Context, conversationID string, l Lease) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[string]Lease{}
	}
	m.m[conversationID] = l
	return nil
}

// DropLease implements Leases.
func (m *MemoryLeases) DropLease(_ context.Context, conversationID string, ticketID int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.m[conversationID]; ok && l.TicketID == ticketID {
		delete(m.m, conversationID)
	}
	return nil
}

func nowOr(now func() time.Time) time.Time {
	if now != nil {
		return now()
	}
	return time.Now()
}
