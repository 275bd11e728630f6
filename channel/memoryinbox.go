package channel

import (
	"context"
	"strconv"
	"sync"
)

var _ InboxStore = (*MemoryInbox)(nil)

// MemoryInbox is an InboxStore in this process: enough for one replica, and
// what is in it is lost when the process stops. Conversations are claimed
// in the order they got their first waiting message. Build it with
// NewMemoryInbox; it is safe for concurrent use.
type MemoryInbox struct {
	max int

	mu    sync.Mutex
	seq   uint64
	n     int
	convs map[string]*memConv
	ready []string // conversations with messages and no owner, oldest first
}

type memConv struct {
	entries []Entry
	owned   bool
	queued  bool // in ready
}

// NewMemoryInbox returns a MemoryInbox holding at most max messages (no
// limit if max <= 0).
func NewMemoryInbox(max int) *MemoryInbox {
	return &MemoryInbox{max: max, convs: map[string]*memConv{}}
}

// Push implements InboxStore.
func (m *MemoryInbox) Push(_ context.Context, key string, payload []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.max > 0 && m.n >= m.max {
		return ErrFull
	}
	c := m.convs[key]
	if c == nil {
		c = &memConv{}
		m.convs[key] = c
	}
	m.seq++
	c.entries = append(c.entries, Entry{ID: strconv.FormatUint(m.seq, 10), Payload: payload})
	m.n++
	m.enqueue(key, c)
	return nil
}

func (m *MemoryInbox) enqueue(key string, c *memConv) {
	if !c.owned && !c.queued && len(c.entries) > 0 {
		c.queued = true
		m.ready = append(m.ready, key)
	}
}

// Claim implements InboxStore.
func (m *MemoryInbox) Claim(_ context.Context, max int) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var keys []string
	for len(keys) < max && len(m.ready) > 0 {
		key := m.ready[0]
		m.ready[0] = ""
		m.ready = m.ready[1:]
		c := m.convs[key]
		if c == nil {
			continue
		}
		c.queued, c.owned = false, true
		keys = append(keys, key)
	}
	if len(m.ready) == 0 {
		m.ready = nil // let the backing array go
	}
	return keys, nil
}

// Head implements InboxStore.
func (m *MemoryInbox) Head(_ context.Context, key string) (Entry, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.convs[key]
	switch {
	case c == nil:
		return Entry{}, false, nil
	case !c.owned:
		return Entry{}, false, ErrNotOwner
	case len(c.entries) == 0:
		delete(m.convs, key)
		return Entry{}, false, nil
	}
	return c.entries[0], true, nil
}

// Pop implements InboxStore.
func (m *MemoryInbox) Pop(_ context.Context, key, id string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.convs[key]
	if c == nil || !c.owned {
		return false, ErrNotOwner
	}
	if len(c.entries) > 0 && c.entries[0].ID == id {
		c.entries[0] = Entry{}
		c.entries = c.entries[1:]
		m.n--
	}
	if len(c.entries) == 0 {
		delete(m.convs, key)
		return false, nil
	}
	return true, nil
}

// Renew implements InboxStore; ownership in memory does not expire.
func (m *MemoryInbox) Renew(context.Context, string) error { return nil }

// Release implements InboxStore.
func (m *MemoryInbox) Release(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.convs[key]
	if c == nil {
		return nil
	}
	c.owned = false
	if len(c.entries) == 0 {
		delete(m.convs, key)
		return nil
	}
	m.enqueue(key, c)
	return nil
}

// Durable implements InboxStore: messages in memory die with the process.
func (m *MemoryInbox) Durable() bool { return false }

// Len is how many messages the inbox holds.
func (m *MemoryInbox) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.n
}

// Leftovers removes and returns every message held, by conversation.
func (m *MemoryInbox) Leftovers() map[string][][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string][][]byte{}
	for key, c := range m.convs {
		for _, e := range c.entries {
			out[key] = append(out[key], e.Payload)
		}
	}
	m.convs, m.ready, m.n = map[string]*memConv{}, nil, 0
	return out
}
