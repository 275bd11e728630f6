// Package storetest holds the contract suites that every implementation of
// posbot's stores must pass, so memory, Redis and PostgreSQL backends behave
// alike: run them against the in-memory stores always, and against a shared
// backend when its test URL is set.
//
// Each suite runs its cases as parallel subtests and calls open once per case,
// so open must return a fresh, empty store (a distinct key prefix is enough)
// and be safe to call from parallel subtests.
package storetest

import (
	"sync"
	"time"
)

// Advance lets d pass for a store under test: a fake clock's step for a
// memory store, a real sleep (or miniredis's FastForward) for a shared one.
type Advance func(d time.Duration)

// TTL is the time-to-live (or rate window) the suites ask stores for. It is
// short because a real Redis has to be waited for in real time.
const TTL = time.Second

// slack is how far past an expiry the suites advance the clock, to be safe
// from Redis's millisecond expiry and timer jitter.
const slack = 150 * time.Millisecond

// Clock is a fake clock for memory stores. Its zero value is not usable; use
// NewClock. It is safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock set to a fixed instant.
func NewClock() *Clock {
	return &Clock{now: time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)}
}

// Now returns the clock's current time; pass it as a store's Now.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d; it is an Advance.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
