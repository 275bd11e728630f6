package handoff

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/dedup"
	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/redact"
	"github.com/posbot/posbot/understand"
)

// Defaults used for zero Config fields.
const (
	// DefaultLease is how long a person owns a conversation after their last
	// action (POSBOT_HANDOFF_LEASE): past it the bot answers again.
	DefaultLease = 30 * time.Minute
	// DefaultRemindAfter is how long a ticket waits unclaimed before it is
	// announced again (POSBOT_HANDOFF_REMIND_AFTER).
	DefaultRemindAfter = 10 * time.Minute
	// postTimeout bounds one post to a desk and one notice to a merchant.
	postTimeout = 10 * time.Second
)

// Config holds a Service's parts and settings. Base is required; nil stores
// are kept in memory.
type Config struct {
	// Base names the causes considered and the steps given, and gives code
	// meanings, the engine's summary, the words that read what the
	// merchant supplied, and everything the handoff says.
	Base        *knowledge.Base
	Tickets     Tickets
	Transcripts Transcripts
	Leases      Leases
	// Relays remembers which agent messages were relayed, so a message
	// delivered twice (to two replicas, or retried by an API client)
	// reaches the merchant once; shared (Redis) across replicas.
	Relays channel.Dedup
	// Lease is how long a person owns a conversation after their last
	// action; 0 means DefaultLease.
	Lease time.Duration
	// RemindAfter is how long a ticket waits unclaimed before it is
	// announced again; 0 means DefaultRemindAfter.
	RemindAfter time.Duration
	// Hours are the support hours; the zero value means always.
	Hours Hours
	// Provider fills the provider-side escalation packet.
	Provider Provider
	// Limiter bounds, per conversation, the messages relayed to a person
	// (key "relay:<conversation id>"), since they do not pass the engine's
	// limit; nil means no limit.
	Limiter bot.Limiter
	Logger  *slog.Logger
	Now     func() time.Time
}

// Service runs the ticket lifecycle: it opens tickets for Gate, announces
// them to the desks, relays between merchant and agent, and lets desks and
// the agent API claim, reply to and close tickets. Run reminds desks of
// unclaimed tickets and gives the conversation back to the bot when a lease
// lapses. Build it with New, then Attach the desks and SetSender the
// channels before serving. It is safe for concurrent use, also by several
// replicas sharing its stores.
type Service struct {
	cfg   Config
	log   *slog.Logger
	texts *knowledge.Handoff
	facts *understand.FactReader

	mu      sync.RWMutex
	desks   []Desk
	senders map[string]Sender
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Base == nil {
		return nil, errors.New("handoff: Base is required")
	}
	if cfg.Tickets == nil {
		cfg.Tickets = &MemoryTickets{Now: cfg.Now}
	}
	if cfg.Transcripts == nil {
		cfg.Transcripts = &MemoryTranscripts{}
	}
	if cfg.Leases == nil {
		cfg.Leases = &MemoryLeases{}
	}
	if cfg.Relays == nil {
		cfg.Relays = &dedup.Memory{Now: cfg.Now}
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.RemindAfter <= 0 {
		cfg.RemindAfter = DefaultRemindAfter
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	texts := cfg.Base.Handoff()
	if texts == nil {
		return nil, errors.New("handoff: the knowledge base has no handoff texts (data/dialogue/handoff.yaml)")
	}
	facts, err := understand.NewFactReader(cfg.Base)
	if err != nil {
		return nil, fmt.Errorf("handoff: %w", err)
	}
	return &Service{cfg: cfg, log: cfg.Logger, texts: texts, facts: facts, senders: map[string]Sender{}}, nil
}

// Attach adds a desk: every ticket event is posted to it from now on.
func (s *Service) Attach(d Desk) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.desks = append(s.desks, d)
}

// SetSender sets how merchants of channel ("telegram", "http") are written to.
func (s *Service) SetSender(channel string, snd Sender) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.senders[channel] = snd
}

func (s *Service) now() time.Time { return s.cfg.Now() }

// Active returns the tickets that are open or claimed, oldest first.
func (s *Service) Active(ctx context.Context) ([]Ticket, error) {
	return s.cfg.Tickets.Active(ctx)
}

// Ticket returns a ticket and its conversation's redacted transcript.
func (s *Service) Ticket(ctx context.Context, id int64) (Ticket, []bot.Turn, error) {
	t, err := s.cfg.Tickets.Ticket(ctx, id)
	if err != nil {
		return Ticket{}, nil, err
	}
	turns, err := s.cfg.Transcripts.Transcript(ctx, t.ConversationID)
	if err != nil {
		return t, nil, fmt.Errorf("ticket %d: %w", id, err)
	}
	return t, turns, nil
}

// Claim gives ticket id to agent, who owns the conversation from then on:
// the bot stays silent and the merchant is told a person took the case.
// Claiming a ticket one holds already changes nothing. It returns ErrClosed
// for a closed ticket and ErrClaimed when another agent holds it. via names
// where the claim came from (a desk's name, "api").
func (s *Service) Claim(ctx context.Context, id int64, agent, via string) (Ticket, error) {
	now := s.now()
	var already bool
	t, err := s.cfg.Tickets.Update(ctx, id, func(t *Ticket) error {
		switch {
		case t.Status == StatusClosed:
			return ErrClosed
		case t.Status == StatusClaimed && t.ClaimedBy != agent:
			return fmt.Errorf("%w (%s)", ErrClaimed, t.ClaimedBy)
		case t.Status == StatusClaimed:
			already = true
		}
		t.Status, t.ClaimedBy, t.LeaseUntil = StatusClaimed, agent, now.Add(s.cfg.Lease)
		if !already {
			t.ClaimedAt = now
		}
		return nil
	})
	if err != nil {
		return t, fmt.Errorf("claim ticket %d: %w", id, err)
	}
	s.putLease(ctx, t)
	if !already {
		s.log.InfoContext(ctx, "ticket claimed", "ticket_id", id, "conversation_id", t.ConversationID, "agent", agent, "via", via)
		s.notify(ctx, t, NoticeTaken, s.say(t.Lang, "taken"))
		s.post(ctx, t, Event{Kind: EventClaimed, Agent: agent}, "")
	}
	return t, nil
}

// Reply relays an agent's message to the merchant on the merchant's
// channel, claiming the ticket for agent if nobody had, and renews the
// lease. key identifies the message where it was written (a Telegram
// message id, an Idempotency-Key): a key seen before for this ticket is not
// relayed again, on any replica. "" means no dedup. via is where the reply
// came from; the other desks are shown it.
func (s *Service) Reply(ctx context.Context, id int64, agent, text, key, via string) (Ticket, error) {
	relayed := false
	if key != "" {
		t, err := s.cfg.Tickets.Ticket(ctx, id)
		if err != nil {
			return t, fmt.Errorf("reply to ticket %d: %w", id, err)
		}
		// The ticket's creation time keeps keys apart should ticket ids
		// start over (a new database under the same Redis).
		dk := fmt.Sprintf("relay:%d.%d:%s", id, t.CreatedAt.UnixMicro(), key)
		if !channel.FirstSeen(ctx, s.cfg.Relays, dk, s.log) {
			return t, nil
		}
		defer func() {
			if !relayed { // let a retry through
				channel.Forget(context.WithoutCancel(ctx), s.cfg.Relays, dk, s.log)
			}
		}()
	}
	now := s.now()
	var claimed bool
	t, err := s.cfg.Tickets.Update(ctx, id, func(t *Ticket) error {
		if t.Status == StatusClosed {
			return ErrClosed
		}
		if t.Status == StatusOpen {
			claimed = true
			t.Status, t.ClaimedBy, t.ClaimedAt = StatusClaimed, agent, now
		}
		t.LeaseUntil = now.Add(s.cfg.Lease)
		return nil
	})
	if err != nil {
		return t, fmt.Errorf("reply to ticket %d: %w", id, err)
	}
	s.putLease(ctx, t)
	if claimed {
		s.post(ctx, t, Event{Kind: EventClaimed, Agent: agent}, "")
	}
	if err := s.send(ctx, t, Notice{Kind: NoticeAgent, Text: s.say(t.Lang, "agent_says", text), TicketID: t.ID}); err != nil {
		return t, fmt.Errorf("reply to ticket %d: %w", id, err)
	}
	relayed = true
	red := lastFour(redact.Redact(text).Text)
	s.appendTranscript(ctx, t.ConversationID, bot.Turn{Role: "agent", Text: red, At: now})
	s.post(ctx, t, Event{Kind: EventAgent, Text: red, Agent: agent}, via)
	s.log.InfoContext(ctx, "agent reply relayed", "ticket_id", id, "conversation_id", t.ConversationID, "agent", agent, "via", via)
	return t, nil
}

// Close closes ticket id: the conversation is the bot's again, and the
// merchant is told (unless agent is "merchant", who closed it by starting
// over). Closing a closed ticket changes nothing.
func (s *Service) Close(ctx context.Context, id int64, agent, via string) (Ticket, error) {
	t, _, err := s.close(ctx, id, agent, via, agent != "merchant")
	return t, err
}

// close closes ticket id, telling the desks and, with notify, the
// merchant; closed reports whether this call closed it.
func (s *Service) close(ctx context.Context, id int64, agent, via string, notify bool) (t Ticket, closed bool, err error) {
	now := s.now()
	var already bool
	t, err = s.cfg.Tickets.Update(ctx, id, func(t *Ticket) error {
		if t.Status == StatusClosed {
			already = true
			return nil
		}
		t.Status, t.ClosedAt, t.ClosedBy, t.LeaseUntil = StatusClosed, now, agent, time.Time{}
		return nil
	})
	if err != nil {
		return t, false, fmt.Errorf("close ticket %d: %w", id, err)
	}
	if already {
		return t, false, nil
	}
	if err := s.cfg.Leases.DropLease(ctx, t.ConversationID, t.ID); err != nil {
		s.log.WarnContext(ctx, "lease not dropped", "ticket_id", id, "err", err)
	}
	s.log.InfoContext(ctx, "ticket closed", "ticket_id", id, "conversation_id", t.ConversationID, "agent", agent, "via", via)
	if notify {
		s.notify(ctx, t, NoticeClosed, s.say(t.Lang, "closed"))
	}
	s.post(ctx, t, Event{Kind: EventClosed, Agent: agent}, "")
	return t, true, nil
}

// Sweep does once what Run does periodically: it gives back to the bot
// every conversation whose lease lapsed, telling the merchant and the
// desks, and announces again, in support hours, every ticket left
// unclaimed for RemindAfter. Replicas may sweep at once: each change is
// made, and told, by one of them.
func (s *Service) Sweep(ctx context.Context) {
	ts, err := s.cfg.Tickets.Active(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "tickets not swept", "err", err)
		return
	}
	now := s.now()
	for _, t := range ts {
		switch {
		case !t.LeaseUntil.IsZero() && !now.Before(t.LeaseUntil):
			s.lapse(ctx, t.ID)
		case t.Status == StatusOpen && s.cfg.Hours.Open(now) && now.Sub(t.AnnouncedAt) >= s.cfg.RemindAfter:
			s.remind(ctx, t)
		}
	}
}

// Run sweeps every interval (a quarter of the shorter of Lease and
// RemindAfter, between 1 s and 30 s) until ctx is done.
func (s *Service) Run(ctx context.Context) error {
	every := min(s.cfg.Lease, s.cfg.RemindAfter) / 4
	every = min(max(every, time.Second), 30*time.Second)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			s.Sweep(ctx)
		}
	}
}

// Restore puts back the lease of every active ticket that has none, so a
// restart of a replica without shared leases (no Redis) keeps the bot
// silent in conversations a person owns. Call it at start-up.
func (s *Service) Restore(ctx context.Context) error {
	ts, err := s.cfg.Tickets.Active(ctx)
	if err != nil {
		return fmt.Errorf("restore leases: %w", err)
	}
	for _, t := range ts {
		if _, err := s.cfg.Leases.Lease(ctx, t.ConversationID); errors.Is(err, ErrNotFound) {
			s.putLease(ctx, t)
		}
	}
	return nil
}

// lapse gives the conversation of ticket id back to the bot if its lease
// has run out: the ticket waits in the queue again, unclaimed. It reports
// whether this call made the change.
func (s *Service) lapse(ctx context.Context, id int64) bool {
	now := s.now()
	var agent string
	t, err := s.cfg.Tickets.Update(ctx, id, func(t *Ticket) error {
		if !t.Active() || t.LeaseUntil.IsZero() || now.Before(t.LeaseUntil) {
			return errUnchanged
		}
		agent = t.ClaimedBy
		t.Status, t.ClaimedBy, t.ClaimedAt, t.LeaseUntil, t.AnnouncedAt = StatusOpen, "", time.Time{}, time.Time{}, now
		return nil
	})
	if err != nil {
		if !errors.Is(err, errUnchanged) {
			s.log.WarnContext(ctx, "lease not released", "ticket_id", id, "err", err)
		}
		return false
	}
	s.putLease(ctx, t)
	s.log.InfoContext(ctx, "lease lapsed; the bot answers again", "ticket_id", id, "conversation_id", t.ConversationID, "agent", agent)
	s.notify(ctx, t, NoticeResumed, s.resumedText(t.Lang, agent != ""))
	s.post(ctx, t, Event{Kind: EventReleased, Agent: agent}, "")
	return true
}

// remind announces an unclaimed ticket again, once across replicas: the
// replica whose update finds AnnouncedAt as it read it posts.
func (s *Service) remind(ctx context.Context, seen Ticket) {
	now := s.now()
	t, err := s.cfg.Tickets.Update(ctx, seen.ID, func(t *Ticket) error {
		if t.Status != StatusOpen || !t.AnnouncedAt.Equal(seen.AnnouncedAt) {
			return errUnchanged
		}
		t.AnnouncedAt = now
		return nil
	})
	if err != nil {
		if !errors.Is(err, errUnchanged) {
			s.log.WarnContext(ctx, "ticket not reminded", "ticket_id", seen.ID, "err", err)
		}
		return
	}
	s.log.InfoContext(ctx, "unclaimed ticket announced again", "ticket_id", t.ID)
	s.post(ctx, t, Event{Kind: EventReminder}, "")
}

// errUnchanged aborts an Update whose condition no longer holds.
var errUnchanged = errors.New("handoff: nothing to change")

// relay passes a merchant's message to the desks and the transcript.
func (s *Service) relay(ctx context.Context, t Ticket, text string, at time.Time) {
	if strings.TrimSpace(text) == "" {
		return // a button press the engine kept as an empty turn
	}
	text = lastFour(text)
	s.appendTranscript(ctx, t.ConversationID, bot.Turn{Role: "merchant", Text: text, At: at})
	s.post(ctx, t, Event{Kind: EventMerchant, Text: text}, "")
}

func (s *Service) putLease(ctx context.Context, t Ticket) {
	l := Lease{TicketID: t.ID, Agent: t.ClaimedBy, Until: t.LeaseUntil, Lang: t.Lang}
	if err := s.cfg.Leases.PutLease(ctx, t.ConversationID, l); err != nil {
		s.log.WarnContext(ctx, "lease not stored", "ticket_id", t.ID, "err", err)
	}
}

func (s *Service) appendTranscript(ctx context.Context, conv string, turns ...bot.Turn) {
	if err := s.cfg.Transcripts.AppendTranscript(ctx, conv, turns...); err != nil {
		s.log.WarnContext(ctx, "transcript not stored", "conversation_id", conv, "err", err)
	}
}

// post tells every desk but skip about e; for EventOpened it keeps the
// references the desks return.
func (s *Service) post(ctx context.Context, t Ticket, e Event, skip string) {
	s.mu.RLock()
	desks := append([]Desk(nil), s.desks...)
	s.mu.RUnlock()
	refs := map[string]string{}
	for _, d := range desks {
		if d.Name() == skip {
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, postTimeout)
		ref, err := d.Post(pctx, t, e)
		cancel()
		if err != nil {
			s.log.WarnContext(ctx, "desk not told", "desk", d.Name(), "ticket_id", t.ID, "event", string(e.Kind), "err", err)
			continue
		}
		if ref != "" {
			refs[d.Name()] = ref
		}
	}
	if e.Kind != EventOpened || len(refs) == 0 {
		return
	}
	_, err := s.cfg.Tickets.Update(ctx, t.ID, func(t *Ticket) error {
		if t.DeskRefs == nil {
			t.DeskRefs = map[string]string{}
		}
		maps.Copy(t.DeskRefs, refs)
		return nil
	})
	if err != nil {
		s.log.WarnContext(ctx, "desk references not stored", "ticket_id", t.ID, "err", err)
	}
}

// send writes n to the ticket's merchant on their channel.
func (s *Service) send(ctx context.Context, t Ticket, n Notice) error {
	s.mu.RLock()
	snd := s.senders[t.Channel]
	s.mu.RUnlock()
	if snd == nil {
		return fmt.Errorf("no sender for channel %q", t.Channel)
	}
	sctx, cancel := context.WithTimeout(ctx, postTimeout)
	defer cancel()
	if err := snd.Send(sctx, t.ConversationID, n); err != nil {
		return fmt.Errorf("send to %s: %w", t.ConversationID, err)
	}
	return nil
}

// notify is send with the failure logged: status notices are best effort.
func (s *Service) notify(ctx context.Context, t Ticket, kind, text string) {
	if err := s.send(ctx, t, Notice{Kind: kind, Text: text, TicketID: t.ID}); err != nil {
		s.log.WarnContext(ctx, "merchant not told", "ticket_id", t.ID, "notice", kind, "err", err)
	}
}
