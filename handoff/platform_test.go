package handoff_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/bot/bottest"
	"github.com/posbot/posbot/handoff"
)

// TestPlatformHandoff follows a handoff carried out on the channel's own
// platform: recorded, held by the platform's people, never lapsing nor
// reminded, given back; the merchant is told nothing by the service.
func TestPlatformHandoff(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRig(t, "", nil)
	const conv = "chatwoot:1:42"
	say := func(text string) bot.Reply {
		rep, err := r.engine.Handle(ctx, bot.Message{ConversationID: conv, Channel: "chatwoot", Text: text})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	say("商户号:123456789012345 刷卡显示交易失败51")
	rep := say("转人工")
	st, err := r.engine.State(ctx, conv)
	if err != nil {
		t.Fatal(err)
	}
	tk, created, err := r.svc.Record(ctx, conv, "chatwoot", rep, st)
	if err != nil || !created || tk.ID != 1 || tk.Status != handoff.StatusOpen || !tk.LeaseUntil.IsZero() {
		t.Fatalf("Record = %+v, %v, %v; want a new open ticket without a lease", tk, created, err)
	}
	if again, created, _ := r.svc.Record(ctx, conv, "chatwoot", rep, st); created || again.ID != 1 {
		t.Errorf("second Record = %+v, created %v; want the active ticket", again, created)
	}
	if v := r.svc.AgentView(tk); !strings.Contains(v, "商户号 123456789012345") || !strings.Contains(v, "chatwoot:1:42") {
		t.Errorf("agent view:\n%s", v)
	}
	_, turns, _ := r.svc.Ticket(ctx, 1)
	if len(turns) < 4 {
		t.Errorf("transcript %+v; want the conversation so far", turns)
	}

	held, ok, err := r.svc.Hold(ctx, conv, "chatwoot", "chatwoot")
	if err != nil || !ok || held.Status != handoff.StatusClaimed || held.ClaimedBy != "chatwoot" || !held.LeaseUntil.IsZero() {
		t.Fatalf("Hold = %+v, %v, %v; want claimed by chatwoot, no lease", held, ok, err)
	}
	if _, ok, _ := r.svc.Hold(ctx, conv, "chatwoot", "chatwoot"); ok {
		t.Error("a second Hold claimed again")
	}
	if _, err := r.svc.Claim(ctx, 1, "alice", "api"); !errors.Is(err, handoff.ErrClaimed) {
		t.Errorf("another desk's claim = %v; want ErrClaimed", err)
	}
	r.clock.Advance(3 * time.Hour) // past any lease and reminder
	before := r.desk.kinds()
	r.svc.Sweep(ctx)
	if tk := r.ticket(t, 1); tk.Status != handoff.StatusClaimed || len(r.desk.kinds()) != len(before) {
		t.Errorf("a sweep changed a held ticket: %+v, desk %v", tk, r.desk.kinds())
	}

	closed, ok, err := r.svc.Handback(ctx, conv, "chatwoot", "chatwoot")
	if err != nil || !ok || closed.Status != handoff.StatusClosed || closed.ClosedBy != "chatwoot" {
		t.Fatalf("Handback = %+v, %v, %v", closed, ok, err)
	}
	if _, ok, err := r.svc.Handback(ctx, conv, "chatwoot", "chatwoot"); ok || err != nil {
		t.Errorf("second Handback = %v, %v; want nothing to close", ok, err)
	}
	want := []handoff.EventKind{handoff.EventOpened, handoff.EventClaimed, handoff.EventClosed}
	if k := r.desk.kinds(); !slices.Equal(k, want) {
		t.Errorf("desk events %v; want %v", k, want)
	}
	if n := r.sender.got(); len(n) != 0 {
		t.Errorf("the service told the merchant %+v; the platform's channel does", n)
	}
	// A conversation the platform never handed over has nothing to hold or close.
	if _, ok, err := r.svc.Hold(ctx, "chatwoot:1:43", "chatwoot", "chatwoot"); ok || err != nil {
		t.Errorf("Hold of a conversation without a ticket = %v, %v", ok, err)
	}
}

// failingTickets is a ticket store that is down.
type failingTickets struct{ handoff.Tickets }

func (failingTickets) Create(context.Context, handoff.Ticket) (handoff.Ticket, bool, error) {
	return handoff.Ticket{}, false, errors.New("store down")
}

func TestRecordStoreDown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, err := handoff.New(handoff.Config{Base: bottest.Base(t), Tickets: failingTickets{}})
	if err != nil {
		t.Fatal(err)
	}
	tk, created, err := svc.Record(ctx, "chatwoot:1:9", "chatwoot",
		bot.Reply{Handoff: true, Reason: handoff.ReasonAsked, Code: "51"}, bot.State{})
	if err == nil || created || tk.ID != 0 || tk.Code != "51" {
		t.Fatalf("Record = %+v, %v, %v; want the draft and the error", tk, created, err)
	}
	if v := svc.AgentView(tk); !strings.Contains(v, "未能登记") || strings.Contains(v, "#0") {
		t.Errorf("view of an unrecorded ticket:\n%s", v)
	}
}
