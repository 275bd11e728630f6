package handoff

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/posbot/posbot/bot"
)

// A channel whose own platform hands conversations to people (Chatwoot's
// agents' inbox) keeps posbot's tickets in step with it through Record,
// Hold and Handback, so that the agent API, the desks and the transcripts
// see those handoffs too. The platform, not a lease, decides who answers:
// such a channel calls the engine itself rather than Gate, none of these
// takes a lease, and none tells the merchant anything (the channel does,
// in its own words, when the platform moves the conversation).

// Record opens the conversation's ticket for a handoff or an escalation
// that channel ch carries out on its own platform, or finds the active
// one; a new ticket gets the conversation's transcript and is announced to
// the desks, as through Gate. created reports whether the ticket is new.
// On a store failure Record returns the drafted ticket, without an ID,
// and the error, so the platform's agents can still be shown its view.
func (s *Service) Record(ctx context.Context, conversationID, ch string, r bot.Reply, st bot.State) (t Ticket, created bool, err error) {
	return s.record(ctx, conversationID, ch, r, st, false)
}

// Hold records that the platform's people took the conversation: its
// active ticket, while open, is claimed by agent (with no lease: it does
// not lapse) and the desks are told. It returns the ticket and whether
// this call claimed it; a conversation without an active ticket, or whose
// ticket someone claimed already, is left as it is.
func (s *Service) Hold(ctx context.Context, conversationID, agent, via string) (Ticket, bool, error) {
	active, err := s.activeTicket(ctx, conversationID)
	if err != nil {
		return Ticket{}, false, notFoundOK(err)
	}
	now := s.now()
	t, err := s.cfg.Tickets.Update(ctx, active.ID, func(t *Ticket) error {
		if t.Status != StatusOpen {
			return errUnchanged
		}
		t.Status, t.ClaimedBy, t.ClaimedAt, t.LeaseUntil = StatusClaimed, agent, now, time.Time{}
		return nil
	})
	if errors.Is(err, errUnchanged) {
		return t, false, nil
	}
	if err != nil {
		return t, false, fmt.Errorf("hold ticket %d: %w", active.ID, err)
	}
	s.putLease(ctx, t)
	s.log.InfoContext(ctx, "ticket claimed", "ticket_id", t.ID, "conversation_id", conversationID, "agent", agent, "via", via)
	s.post(ctx, t, Event{Kind: EventClaimed, Agent: agent}, "")
	return t, true, nil
}

// Handback closes the conversation's active ticket when its platform gives
// the conversation back to the bot; the desks are told. It returns the
// ticket and whether this call closed it; a conversation without an active
// ticket is not an error.
func (s *Service) Handback(ctx context.Context, conversationID, agent, via string) (Ticket, bool, error) {
	active, err := s.activeTicket(ctx, conversationID)
	if err != nil {
		return Ticket{}, false, notFoundOK(err)
	}
	return s.close(ctx, active.ID, agent, via, false)
}

// activeTicket finds the conversation's active ticket: through its lease,
// else among the active tickets (a lease may have expired in Redis while
// the platform held the conversation). It returns ErrNotFound when there
// is none.
func (s *Service) activeTicket(ctx context.Context, conv string) (Ticket, error) {
	if l, err := s.cfg.Leases.Lease(ctx, conv); err == nil {
		if t, err := s.cfg.Tickets.Ticket(ctx, l.TicketID); err == nil && t.Active() && t.ConversationID == conv {
			return t, nil
		}
	}
	ts, err := s.cfg.Tickets.Active(ctx)
	if err != nil {
		return Ticket{}, fmt.Errorf("active tickets: %w", err)
	}
	for _, t := range ts {
		if t.ConversationID == conv {
			return t, nil
		}
	}
	return Ticket{}, fmt.Errorf("conversation %s: %w", conv, ErrNotFound)
}

func notFoundOK(err error) error {
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}
