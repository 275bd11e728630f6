package bot

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"
)

var (
	_ Sessions = (*MemorySessions)(nil)
	_ Outcomes = (*MemoryOutcomes)(nil)
)

// DefaultMaxSessions is how many conversations MemorySessions holds when
// MaxEntries is zero.
const DefaultMaxSessions = 50_000

// MemorySessions keeps conversation state in process memory, each entry
// expiring TTL after its last write. It holds at most MaxEntries
// conversations: a new one beyond that evicts the least recently used (read
// or written), so memory stays bounded under any number of conversations at
// the price of a long-quiet conversation starting over. Expired entries are
// dropped when read and a few per Put from the least recently used end, so
// every call is O(1) and none scans the store. Its zero value is ready to
// use and it is safe for concurrent use.
type MemorySessions struct {
	TTL        time.Duration    // 0 means 24 hours
	MaxEntries int              // 0 means DefaultMaxSessions
	Now        func() time.Time // nil means time.Now

	mu  sync.Mutex
	lru lru[State]
}

// Get implements Sessions.
func (s *MemorySessions) Get(_ context.Context, id string) (State, error) {
	now := nowOr(s.Now)
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.lru.get(id, now)
	if e == nil {
		return State{}, ErrNotFound
	}
	return e.val, nil
}

// Put implements Sessions.
func (s *MemorySessions) Put(_ context.Context, id string, st State) error {
	ttl := s.TTL
	if ttl <= 0 {
		ttl = 24 * time.Hour
	}
	limit := s.MaxEntries
	if limit <= 0 {
		limit = DefaultMaxSessions
	}
	now := nowOr(s.Now)
	s.mu.Lock()
	defer s.mu.Unlock()
	e, _ := s.lru.put(id, now, limit)
	e.val, e.expires = st, now.Add(ttl)
	return nil
}

// Delete implements Sessions.
func (s *MemorySessions) Delete(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lru.delete(id)
	return nil
}

// Len returns the number of conversations held, counting expired ones not
// yet dropped; it is at most MaxEntries.
func (s *MemorySessions) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lru.len()
}

// DefaultMaxOutcomes is how many outcomes MemoryOutcomes keeps for All when
// MaxEntries is zero.
const DefaultMaxOutcomes = 10_000

// MemoryOutcomes records outcomes in process memory. It counts every outcome
// by passage (passages are few) and keeps only the newest MaxEntries
// outcomes themselves, so memory stays bounded. Its zero value is ready to
// use and it is safe for concurrent use.
type MemoryOutcomes struct {
	MaxEntries int // 0 means DefaultMaxOutcomes

	mu     sync.Mutex
	list   []Outcome // newest last; trimmed to MaxEntries when it reaches twice that
	counts map[string][2]int
}

func (o *MemoryOutcomes) max() int {
	if o.MaxEntries <= 0 {
		return DefaultMaxOutcomes
	}
	return o.MaxEntries
}

// Record implements Outcomes.
func (o *MemoryOutcomes) Record(_ context.Context, oc Outcome) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.counts == nil {
		o.counts = make(map[string][2]int)
	}
	c := o.counts[oc.PassageID]
	if oc.Solved {
		c[0]++
	} else {
		c[1]++
	}
	o.counts[oc.PassageID] = c
	o.list = append(o.list, oc)
	if keep := o.max(); len(o.list) >= 2*keep {
		// Trimming once per keep records keeps Record amortised O(1).
		n := copy(o.list, o.list[len(o.list)-keep:])
		clear(o.list[n:])
		o.list = o.list[:n]
	}
	return nil
}

// ByPassage returns how often each passage solved or did not solve a
// problem, counting every outcome recorded.
func (o *MemoryOutcomes) ByPassage() map[string][2]int {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := make(map[string][2]int, len(o.counts))
	maps.Copy(m, o.counts)
	return m
}

// All returns the newest MaxEntries outcomes, oldest first.
func (o *MemoryOutcomes) All() []Outcome {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.list[max(0, len(o.list)-o.max()):])
}
