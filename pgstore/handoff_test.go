package pgstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/pgstore"
)

func TestTickets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := migratedStore(t)
	at := time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)
	in := pgstore.Ticket{ConversationID: "tg:42", Channel: "telegram", Summary: "51 余额不足，持卡人换卡后仍失败",
		Code: "51", Target: "bank", CreatedAt: at}

	got, err := s.CreateTicket(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	want := in
	want.ID, want.Status = got.ID, pgstore.TicketOpen
	if d := cmp.Diff(want, got, cmpopts.EquateApproxTime(time.Microsecond)); d != "" || got.ID == 0 {
		t.Errorf("CreateTicket (-want +got):\n%s", d)
	}
	again, err := s.CreateTicket(ctx, pgstore.Ticket{ConversationID: "tg:42", Channel: "telegram", Summary: "again"})
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != got.ID || again.Summary != in.Summary {
		t.Errorf("second CreateTicket for the conversation = %+v, want the open ticket %d unchanged", again, got.ID)
	}
	other, err := s.CreateTicket(ctx, pgstore.Ticket{ConversationID: "tg:43", Channel: "telegram",
		Summary: "卡号 6222021234567894 刷不了"})
	if err != nil {
		t.Fatal(err)
	}
	if other.ID == got.ID || other.CreatedAt.IsZero() {
		t.Errorf("ticket for another conversation = %+v, want a new one stamped now", other)
	}
	if other.Summary == "卡号 6222021234567894 刷不了" {
		t.Errorf("ticket summary was stored unredacted: %q", other.Summary)
	}
	read, err := s.Ticket(ctx, got.ID)
	if err != nil || read.ID != got.ID {
		t.Errorf("Ticket(%d) = %+v, %v", got.ID, read, err)
	}
	if _, err := s.Ticket(ctx, 999999); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("Ticket(missing) error = %v, want bot.ErrNotFound", err)
	}
}

func TestTranscripts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := migratedStore(t)
	at := time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)
	first := []bot.Turn{
		{Role: "merchant", Text: "刷卡显示交易失败 51", At: at},
		{Role: "bot", Text: "51 表示余额不足……", At: at.Add(time.Second)},
	}
	if err := s.AppendTranscript(ctx, "tg:42", first...); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendTranscript(ctx, "tg:7", bot.Turn{Role: "merchant", Text: "你好", At: at}); err != nil {
		t.Fatal(err)
	}
	next := bot.Turn{Role: "merchant", Text: "卡号 6222021234567894 还是不行", At: at.Add(2 * time.Second)}
	if err := s.AppendTranscript(ctx, "tg:42", next); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendTranscript(ctx, "tg:42"); err != nil {
		t.Errorf("AppendTranscript with no turns: %v", err)
	}
	got, err := s.Transcript(ctx, "tg:42")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("transcript has %d turns, want 3: %+v", len(got), got)
	}
	if d := cmp.Diff(first, got[:2], cmpopts.EquateApproxTime(time.Microsecond)); d != "" {
		t.Errorf("transcript (-want +got):\n%s", d)
	}
	if got[2].Text == next.Text {
		t.Errorf("card number stored unredacted: %q", got[2].Text)
	}
	if none, err := s.Transcript(ctx, "tg:missing"); err != nil || len(none) != 0 {
		t.Errorf("Transcript(unknown) = %v, %v; want empty", none, err)
	}
}
