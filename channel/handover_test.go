package channel

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestHandover(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := NewHandover[string]()
	go h.Offer("answer", true)
	if v, ok := h.Wait(ctx, 10*time.Second); !ok || v != "answer" {
		t.Errorf("Wait = %q, %v; want the answer", v, ok)
	}
	late := NewHandover[string]()
	if _, ok := late.Wait(ctx, time.Millisecond); ok {
		t.Error("Wait took an answer that never came")
	}
	if late.Offer("late", true) {
		t.Error("a late answer went to a request that stopped waiting")
	}
	long := NewHandover[string]()
	if long.Offer("too long", false) {
		t.Error("an answer that does not fit was taken")
	}
	if _, ok := long.Wait(ctx, 10*time.Second); ok {
		t.Error("Wait took an answer that does not fit")
	}
	// Whatever the timing, exactly one side sends.
	for range 200 {
		h := NewHandover[int]()
		var wg sync.WaitGroup
		var offered, waited bool
		wg.Go(func() { offered = h.Offer(1, true) })
		wg.Go(func() { _, waited = h.Wait(ctx, time.Microsecond) })
		wg.Wait()
		if offered != waited {
			t.Fatalf("Offer took %v, Wait took %v: one side must send", offered, waited)
		}
	}
}
