package pgstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/handoff"
	"github.com/posbot/posbot/handoff/handofftest"
	"github.com/posbot/posbot/pgstore"
)

func TestTickets(t *testing.T) {
	t.Parallel()
	handofftest.Tickets(t, func(t *testing.T) handoff.Tickets {
		s, _ := migratedStore(t)
		return s
	})
}

func TestTranscripts(t *testing.T) {
	t.Parallel()
	handofftest.Transcripts(t, func(t *testing.T) handoff.Transcripts {
		s, _ := migratedStore(t)
		return s
	})
}

// A ticket and a transcript outlive the conversation, so the store masks
// card data again whatever it is given.
func TestHandoffStoredRedacted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := migratedStore(t)
	const card = "6222021234567894"
	tk, _, err := s.Create(ctx, handoff.Ticket{ConversationID: "tg:43", Channel: "telegram", Summary: "卡号 " + card + " 刷不了"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(tk.Summary, card) {
		t.Errorf("ticket summary stored unredacted: %q", tk.Summary)
	}
	if _, err := s.Update(ctx, tk.ID, func(t *handoff.Ticket) error { t.Summary = "卡号 " + card; return nil }); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Ticket(ctx, tk.ID); strings.Contains(got.Summary, card) {
		t.Errorf("updated summary stored unredacted: %q", got.Summary)
	}
	if err := s.AppendTranscript(ctx, "tg:43", bot.Turn{Role: "agent", Text: "是 " + card + " 吗", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if turns, _ := s.Transcript(ctx, "tg:43"); len(turns) != 1 || strings.Contains(turns[0].Text, card) {
		t.Errorf("transcript = %+v, want the card masked", turns)
	}
}

// Tickets survive a restart: a store opened again on the database finds
// them, claimed and with their desk references, and carries on.
func TestTicketsSurviveRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, dsn := migratedStore(t)
	tk, _, err := s.Create(ctx, handofftestTicket("tg:44"))
	if err != nil {
		t.Fatal(err)
	}
	lease := time.Now().Add(time.Hour).Truncate(time.Microsecond)
	if _, err := s.Update(ctx, tk.ID, func(t *handoff.Ticket) error {
		t.Status, t.ClaimedBy, t.LeaseUntil = handoff.StatusClaimed, "alice", lease
		t.DeskRefs = map[string]string{"telegram": "-100:7"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	again, err := pgstore.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	active, err := again.Active(ctx)
	if err != nil || len(active) != 1 {
		t.Fatalf("Active after restart = %+v, %v", active, err)
	}
	got := active[0]
	if got.ID != tk.ID || got.Status != handoff.StatusClaimed || got.ClaimedBy != "alice" ||
		!got.LeaseUntil.Equal(lease) || got.DeskRefs["telegram"] != "-100:7" {
		t.Errorf("ticket after restart = %+v", got)
	}
	if _, err := again.Update(ctx, tk.ID, func(t *handoff.Ticket) error { t.Status = handoff.StatusClosed; return nil }); err != nil {
		t.Errorf("closing after restart: %v", err)
	}
}

func handofftestTicket(conv string) handoff.Ticket {
	return handoff.Ticket{ConversationID: conv, Channel: "telegram", Reason: handoff.ReasonAsked, Target: "bank",
		Code: "51", Summary: "应答码：51", Lang: "zh", Supplied: handoff.Supplied{CardLast4: "7894"}}
}
