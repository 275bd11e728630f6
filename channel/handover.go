package channel

import (
	"context"
	"sync"
	"time"
)

// Handover passes an answer from the job that produces it to the request
// that waits for it, for platforms that take an answer in the response
// only for a while (a WeChat callback, a bridge request) and otherwise
// want it pushed: exactly one of the two sends it. Make it with
// NewHandover; it is safe for concurrent use.
type Handover[T any] struct {
	mu    sync.Mutex
	state int
	v     T
	ready chan struct{}
}

const (
	handoverWaiting = iota
	handoverTaken   // the request answers with v
	handoverPushed  // the job pushes
)

// NewHandover returns a Handover whose request waits.
func NewHandover[T any]() *Handover[T] { return &Handover[T]{ready: make(chan struct{})} }

// Offer gives v to the request if it still waits and inResponse allows it
// (the answer fits a response), and reports whether the request took it;
// if not, the job pushes v itself.
func (h *Handover[T]) Offer(v T, inResponse bool) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.state != handoverWaiting {
		return false
	}
	h.state = handoverPushed
	if inResponse {
		h.state, h.v = handoverTaken, v
	}
	close(h.ready)
	return h.state == handoverTaken
}

// Wait waits up to d, or until ctx is done, for the answer. It returns it
// and true when the request is to send it; false when the job pushes it,
// now or when it is ready.
func (h *Handover[T]) Wait(ctx context.Context, d time.Duration) (T, bool) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-h.ready:
	case <-t.C:
	case <-ctx.Done():
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.state == handoverTaken {
		return h.v, true
	}
	h.state = handoverPushed
	var zero T
	return zero, false
}
