package bot

import (
	"context"
	"sync"
	"time"
)

var (
	_ Sessions = (*MemorySessions)(nil)
	_ Outcomes = (*MemoryOutcomes)(nil)
)

// MemorySessions keeps conversation state in process memory, each entry
// expiring TTL after its last write. It is safe for concurrent use.
type MemorySessions struct {
	TTL time.Duration    // 0 means 24 hours
	Now func() time.Time // nil means time.Now

	mu sync.Mutex
	m  map[string]memoryEntry
}

type memoryEntry struct {
	state   State
	expires time.Time
}

func (s *MemorySessions) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Get implements Sessions.
func (s *MemorySessions) Get(_ context.Context, id string) (State, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[id]
	if !ok || !s.now().Before(e.expires) {
		delete(s.m, id)
		return State{}, ErrNotFound
	}
	return e.state, nil
}

// Put implements Sessions.
func (s *MemorySessions) Put(_ context.Context, id string, st State) error {
	ttl := s.TTL
	if ttl <= 0 {
		ttl = 24 * time.Hour
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string]memoryEntry)
	}
	now := s.now()
	// Sweep expired entries now and then so an idle process does not grow.
	if len(s.m) > 0 && len(s.m)%1024 == 0 {
		for k, e := range s.m {
			if !now.Before(e.expires) {
				delete(s.m, k)
			}
		}
	}
	s.m[id] = memoryEntry{state: st, expires: now.Add(ttl)}
	return nil
}

// Delete implements Sessions.
func (s *MemorySessions) Delete(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
	return nil
}

// MemoryOutcomes records outcomes in process memory. It is safe for concurrent use.
type MemoryOutcomes struct {
	mu   sync.Mutex
	list []Outcome
}

// Record implements Outcomes.
func (o *MemoryOutcomes) Record(_ context.Context, oc Outcome) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.list = append(o.list, oc)
	return nil
}

// ByPassage returns how often each passage solved or did not solve a problem.
func (o *MemoryOutcomes) ByPassage() map[string][2]int {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := make(map[string][2]int)
	for _, oc := range o.list {
		c := m[oc.PassageID]
		if oc.Solved {
			c[0]++
		} else {
			c[1]++
		}
		m[oc.PassageID] = c
	}
	return m
}

// All returns every recorded outcome, oldest first.
func (o *MemoryOutcomes) All() []Outcome {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Outcome(nil), o.list...)
}
