// Package channeltest holds the contract suites every channel.Feed and
// channel.InboxStore must pass, so the in-memory stores and the Redis ones
// behave alike, and the check that a channel package asks the knowledge
// base for the texts it requires (TextKeys).
package channeltest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/posbot/posbot/channel"
)

// Feed runs the channel.Feed contract. open returns two feeds on one fresh
// store (two replicas sharing it; the same feed twice for a memory feed).
func Feed(t *testing.T, open func(t *testing.T) (a, b channel.Feed)) {
	t.Helper()
	t.Run("events reach a subscriber on the other replica, in order", func(t *testing.T) {
		t.Parallel()
		a, b := open(t)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		sub, err := b.Subscribe(ctx, "http:x", "")
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Publish(ctx, "http:other", channel.Event{Kind: "agent", Text: "not for x"}); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if err := a.Publish(ctx, "http:x", channel.Event{Kind: "agent", Text: fmt.Sprint("m", i), TicketID: 7}); err != nil {
				t.Fatal(err)
			}
		}
		var ids []string
		for i := range 3 {
			e := receive(t, ctx, sub)
			if e.Text != fmt.Sprint("m", i) || e.Kind != "agent" || e.TicketID != 7 || e.ID == "" {
				t.Fatalf("event %d = %+v", i, e)
			}
			ids = append(ids, e.ID)
		}
		// A client that reconnects after the first event gets the rest again.
		again, err := a.Subscribe(ctx, "http:x", ids[0])
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i < 3; i++ {
			if e := receive(t, ctx, again); e.ID != ids[i] {
				t.Fatalf("resumed event = %+v, want id %s", e, ids[i])
			}
		}
		// "0" replays what is kept; "" only what is new.
		all, err := b.Subscribe(ctx, "http:x", "0")
		if err != nil {
			t.Fatal(err)
		}
		if e := receive(t, ctx, all); e.ID != ids[0] {
			t.Fatalf("replayed event = %+v, want the first", e)
		}
	})
	t.Run("the channel closes when the context ends", func(t *testing.T) {
		t.Parallel()
		a, _ := open(t)
		ctx, cancel := context.WithCancel(context.Background())
		sub, err := a.Subscribe(ctx, "http:y", "")
		if err != nil {
			t.Fatal(err)
		}
		cancel()
		select {
		case _, ok := <-sub:
			if ok {
				t.Error("an event arrived on a cancelled subscription")
			}
		case <-time.After(10 * time.Second):
			t.Error("the channel did not close")
		}
	})
}

func receive(t *testing.T, ctx context.Context, sub <-chan channel.Event) channel.Event {
	t.Helper()
	select {
	case e, ok := <-sub:
		if !ok {
			t.Fatal("subscription closed")
		}
		return e
	case <-ctx.Done():
		t.Fatal("timed out waiting for an event")
	}
	return channel.Event{}
}
