// Package handofftest holds the contract suites every implementation of the
// handoff stores (handoff.Tickets, handoff.Transcripts, handoff.Leases) must
// pass, so memory, Redis and PostgreSQL behave alike. Run them against the
// memory stores always and against a shared backend when its test URL is set.
//
// Each suite runs its cases as parallel subtests and calls open once per
// case, so open must return a fresh, empty store and be safe to call from
// parallel subtests.
package handofftest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/handoff"
)

// at is a fixed instant the suites store, to the microsecond (PostgreSQL's
// precision).
var at = time.Date(2026, 11, 25, 9, 30, 0, 123456000, time.UTC)

var approx = cmpopts.EquateApproxTime(time.Millisecond)

// full is a ticket with every field set.
func full(conv string) handoff.Ticket {
	return handoff.Ticket{
		ConversationID: conv,
		Channel:        "telegram",
		Reason:         handoff.ReasonDebited,
		Priority:       handoff.PriorityHigh,
		Target:         "provider",
		Code:           "96",
		Summary:        "应答码：96\n商户说：扣款了但是小票没出",
		Lang:           "zh",
		Supplied:       handoff.Supplied{MerchantNo: "123456789012345", TerminalNo: "12345678", RefNo: "123456789012", Time: "14:32", Amount: "128.50元", CardLast4: "7894"},
		Considered:     []string{"96 系统故障", "通讯失败"},
		Steps:          []string{"重新签到", "联系服务商"},
		Packet:         "【可转发给 POS 服务商】…",
		CreatedAt:      at,
		AnnouncedAt:    at,
		DeskRefs:       map[string]string{"telegram": "42"},
	}
}

// Tickets runs the handoff.Tickets contract.
func Tickets(t *testing.T, open func(t *testing.T) handoff.Tickets) {
	t.Helper()
	ctx := context.Background()
	t.Run("create and read", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		in := full("tg:1")
		got, created, err := s.Create(ctx, in)
		if err != nil || !created {
			t.Fatalf("Create = %v, %v; want created", created, err)
		}
		want := in
		want.ID, want.Status = got.ID, handoff.StatusOpen
		if d := cmp.Diff(want, got, approx); d != "" || got.ID == 0 {
			t.Errorf("Create (-want +got):\n%s", d)
		}
		read, err := s.Ticket(ctx, got.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, read, approx); d != "" {
			t.Errorf("Ticket (-want +got):\n%s", d)
		}
		if _, err := s.Ticket(ctx, got.ID+1000); !errors.Is(err, handoff.ErrNotFound) {
			t.Errorf("Ticket(unknown) error = %v, want ErrNotFound", err)
		}
	})
	t.Run("one active ticket per conversation", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		first, _, err := s.Create(ctx, full("tg:2"))
		if err != nil {
			t.Fatal(err)
		}
		again, created, err := s.Create(ctx, handoff.Ticket{ConversationID: "tg:2", Channel: "telegram", Summary: "again"})
		if err != nil || created || again.ID != first.ID || again.Summary != first.Summary {
			t.Errorf("second Create = %+v, %v, %v; want the first ticket, not created", again, created, err)
		}
		other, created, err := s.Create(ctx, handoff.Ticket{ConversationID: "http:x", Channel: "http"})
		if err != nil || !created || other.ID == first.ID || other.CreatedAt.IsZero() {
			t.Errorf("Create for another conversation = %+v, %v, %v; want a new ticket stamped now", other, created, err)
		}
	})
	t.Run("concurrent creates make one ticket", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		var made atomic.Int32
		ids := make(chan int64, 8)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				got, created, err := s.Create(ctx, full("tg:3"))
				if err != nil {
					t.Error(err)
					return
				}
				if created {
					made.Add(1)
				}
				ids <- got.ID
			})
		}
		wg.Wait()
		close(ids)
		if n := made.Load(); n != 1 {
			t.Errorf("%d of 8 concurrent creates made a ticket, want 1", n)
		}
		var first int64
		for id := range ids {
			if first == 0 {
				first = id
			}
			if id != first {
				t.Errorf("creates returned tickets %d and %d", first, id)
			}
		}
	})
	t.Run("update and close", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a, _, _ := s.Create(ctx, full("tg:4"))
		b, _, _ := s.Create(ctx, full("tg:5"))
		claimed, err := s.Update(ctx, a.ID, func(t *handoff.Ticket) error {
			t.Status, t.ClaimedBy, t.ClaimedAt, t.LeaseUntil = handoff.StatusClaimed, "alice", at, at.Add(time.Hour)
			t.DeskRefs = map[string]string{"telegram": "42", "chatwoot": "7"}
			t.ID, t.ConversationID = 999, "tg:other" // cannot change
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := a
		want.Status, want.ClaimedBy, want.ClaimedAt, want.LeaseUntil = handoff.StatusClaimed, "alice", at, at.Add(time.Hour)
		want.DeskRefs = map[string]string{"telegram": "42", "chatwoot": "7"}
		if d := cmp.Diff(want, claimed, approx); d != "" {
			t.Errorf("Update (-want +got):\n%s", d)
		}
		if read, _ := s.Ticket(ctx, a.ID); !cmp.Equal(want, read, approx) {
			t.Errorf("Update not stored: %+v", read)
		}
		refused := errors.New("no")
		if _, err := s.Update(ctx, a.ID, func(t *handoff.Ticket) error { t.ClaimedBy = "bob"; return refused }); !errors.Is(err, refused) {
			t.Errorf("Update with a failing change = %v, want its error", err)
		}
		if read, _ := s.Ticket(ctx, a.ID); read.ClaimedBy != "alice" {
			t.Errorf("a failed change was stored: claimed by %q", read.ClaimedBy)
		}
		if _, err := s.Update(ctx, a.ID+1000, func(*handoff.Ticket) error { return nil }); !errors.Is(err, handoff.ErrNotFound) {
			t.Errorf("Update(unknown) = %v, want ErrNotFound", err)
		}
		active, err := s.Active(ctx)
		if err != nil || len(active) != 2 || active[0].ID != a.ID || active[1].ID != b.ID {
			t.Fatalf("Active = %+v, %v; want tickets %d and %d, oldest first", active, err, a.ID, b.ID)
		}
		closed, err := s.Update(ctx, a.ID, func(t *handoff.Ticket) error {
			t.Status, t.ClosedAt, t.ClosedBy, t.LeaseUntil = handoff.StatusClosed, at, "alice", time.Time{}
			return nil
		})
		if err != nil || closed.Status != handoff.StatusClosed || closed.ClosedBy != "alice" || !closed.LeaseUntil.IsZero() {
			t.Fatalf("close = %+v, %v", closed, err)
		}
		if active, _ := s.Active(ctx); len(active) != 1 || active[0].ID != b.ID {
			t.Errorf("Active after close = %+v, want only %d", active, b.ID)
		}
		next, created, err := s.Create(ctx, full("tg:4"))
		if err != nil || !created || next.ID == a.ID {
			t.Errorf("Create after close = %+v, %v, %v; want a new ticket", next, created, err)
		}
	})
	t.Run("concurrent updates see each other", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		tk, _, _ := s.Create(ctx, handoff.Ticket{ConversationID: "tg:6", Channel: "telegram"})
		var wg sync.WaitGroup
		for i := range 10 {
			wg.Go(func() {
				if _, err := s.Update(ctx, tk.ID, func(t *handoff.Ticket) error {
					t.Steps = append(t.Steps, fmt.Sprint(i))
					return nil
				}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if got, _ := s.Ticket(ctx, tk.ID); len(got.Steps) != 10 {
			t.Errorf("10 concurrent updates left %d steps: an update did not see the one before", len(got.Steps))
		}
	})
}

// Transcripts runs the handoff.Transcripts contract.
func Transcripts(t *testing.T, open func(t *testing.T) handoff.Transcripts) {
	t.Helper()
	ctx := context.Background()
	t.Run("append in order", func(t *testing.T) {
		t.Parallel()
		s := open(t)
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
		agent := bot.Turn{Role: "agent", Text: "您好，我来看一下", At: at.Add(2 * time.Second)}
		if err := s.AppendTranscript(ctx, "tg:42", agent); err != nil {
			t.Fatal(err)
		}
		if err := s.AppendTranscript(ctx, "tg:42"); err != nil {
			t.Errorf("AppendTranscript with no turns: %v", err)
		}
		got, err := s.Transcript(ctx, "tg:42")
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(append(first, agent), got, approx); d != "" {
			t.Errorf("transcript (-want +got):\n%s", d)
		}
		if none, err := s.Transcript(ctx, "tg:missing"); err != nil || len(none) != 0 {
			t.Errorf("Transcript(unknown) = %v, %v; want empty", none, err)
		}
	})
}

// Leases runs the handoff.Leases contract.
func Leases(t *testing.T, open func(t *testing.T) handoff.Leases) {
	t.Helper()
	ctx := context.Background()
	t.Run("put, read, drop", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		if _, err := s.Lease(ctx, "tg:1"); !errors.Is(err, handoff.ErrNotFound) {
			t.Fatalf("Lease(unknown) error = %v, want ErrNotFound", err)
		}
		queued := handoff.Lease{TicketID: 7, Until: at.Add(30 * time.Minute), Lang: "zh"}
		if err := s.PutLease(ctx, "tg:1", queued); err != nil {
			t.Fatal(err)
		}
		got, err := s.Lease(ctx, "tg:1")
		if err != nil || !cmp.Equal(queued, got, approx) {
			t.Errorf("Lease = %+v, %v; want %+v", got, err, queued)
		}
		claimed := handoff.Lease{TicketID: 7, Agent: "tg:@alice", Until: at.Add(time.Hour), Lang: "en"}
		if err := s.PutLease(ctx, "tg:1", claimed); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Lease(ctx, "tg:1"); !cmp.Equal(claimed, got, approx) {
			t.Errorf("Lease after a second put = %+v, want %+v", got, claimed)
		}
		open := handoff.Lease{TicketID: 8}
		if err := s.PutLease(ctx, "http:a", open); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Lease(ctx, "http:a"); !cmp.Equal(open, got) || !got.Until.IsZero() {
			t.Errorf("a lease without Until = %+v, want %+v", got, open)
		}
		if err := s.DropLease(ctx, "tg:1", 8); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Lease(ctx, "tg:1"); err != nil {
			t.Errorf("DropLease of another ticket dropped the lease: %v", err)
		}
		if err := s.DropLease(ctx, "tg:1", 7); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Lease(ctx, "tg:1"); !errors.Is(err, handoff.ErrNotFound) {
			t.Errorf("Lease after DropLease = %v, want ErrNotFound", err)
		}
		if err := s.DropLease(ctx, "tg:never", 1); err != nil {
			t.Errorf("DropLease(unknown) = %v, want nil", err)
		}
	})
}
