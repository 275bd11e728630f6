// Package dedup remembers which keys were already seen, so a message that a
// channel delivers twice (Telegram redelivers a webhook update it thinks was
// lost) is handled once.
package dedup

import (
	"context"
	"sync"
	"time"
)

// Defaults used for zero Memory fields.
const (
	DefaultTTL = 24 * time.Hour
	DefaultMax = 100_000
)

// Memory remembers keys in process memory for TTL. It holds at most Max keys;
// beyond that the oldest are forgotten first, so memory stays bounded under
// any load at the price of a rare duplicate. The zero value is ready to use
// and it is safe for concurrent use.
type Memory struct {
	// TTL is how long a key is remembered; 0 means DefaultTTL.
	TTL time.Duration
	// Max bounds the number of keys held; 0 means DefaultMax.
	Max int
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu    sync.Mutex
	seen  map[string]time.Time // key → expiry
	queue []entry              // keys in insertion order, for expiry and eviction
	head  int                  // first live element of queue
}

type entry struct {
	key     string
	expires time.Time
}

// FirstSeen reports whether key is seen for the first time within the TTL,
// and remembers it. It never returns an error; the error is there for stores
// that can fail.
func (m *Memory) FirstSeen(_ context.Context, key string) (bool, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen == nil {
		m.seen = make(map[string]time.Time)
	}
	m.expire(now)
	if exp, ok := m.seen[key]; ok && now.Before(exp) {
		return false, nil
	}
	exp := now.Add(m.ttl())
	m.seen[key] = exp
	m.queue = append(m.queue, entry{key: key, expires: exp})
	for len(m.seen) > m.max() {
		m.pop()
	}
	return true, nil
}

// Forget removes key, so that its next delivery counts as the first. Channels
// call it when they accepted a key but could not take the message on.
func (m *Memory) Forget(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.seen, key) // its queue entry is skipped when it comes up
	return nil
}

// Len returns the number of keys held.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.seen)
}

// expire drops keys whose TTL has passed. The queue is in insertion order and
// the TTL is fixed, so expired keys are at its front.
func (m *Memory) expire(now time.Time) {
	for m.head < len(m.queue) && !now.Before(m.queue[m.head].expires) {
		m.pop()
	}
}

// pop forgets the oldest queued key, unless it was written again since.
func (m *Memory) pop() {
	if m.head >= len(m.queue) {
		return
	}
	e := m.queue[m.head]
	m.queue[m.head] = entry{}
	m.head++
	if exp, ok := m.seen[e.key]; ok && exp.Equal(e.expires) {
		delete(m.seen, e.key)
	}
	// Compact once the dead prefix is half the slice, so the slice does not
	// grow without bound.
	if m.head > 1024 && m.head*2 >= len(m.queue) {
		m.queue = append(m.queue[:0:0], m.queue[m.head:]...)
		m.head = 0
	}
}

func (m *Memory) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

func (m *Memory) ttl() time.Duration {
	if m.TTL > 0 {
		return m.TTL
	}
	return DefaultTTL
}

func (m *Memory) max() int {
	if m.Max > 0 {
		return m.Max
	}
	return DefaultMax
}
