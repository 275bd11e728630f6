package handoff

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/redact"
)

// States reads a conversation's engine state; *bot.Engine implements it.
type States interface {
	State(ctx context.Context, conversationID string) (bot.State, error)
}

var _ States = (*bot.Engine)(nil)

// Gate is the engine as channels see it: it decides whether the bot or a
// person answers, and opens tickets when the engine says so. Build it with
// Service.Gate. It is safe for concurrent use.
//
// On each message Gate reads the conversation's Lease:
//   - held (a person claimed the ticket, or the merchant asked for one in
//     support hours and waits in the queue): the engine is not asked; the
//     message, redacted, goes to the desks and the transcript; the reply is
//     Silent once an agent has claimed the case, or a short "you are
//     queued, N ahead" while it waits;
//   - lapsed: the conversation goes back to the bot first (merchant and
//     desks are told), then as below;
//   - otherwise the engine answers. While a ticket is open the message
//     also goes to the desks. A reply with Handoff or Escalate opens a
//     ticket (one per conversation: a redelivered handoff finds the open
//     one) and gets the merchant's status appended: queued and how many
//     are ahead, or, outside support hours, when a person will answer
//     with the bot's best steps meanwhile; and the escalation packet for
//     the bank or the provider. The agent summary never stays in the reply.
type Gate struct {
	svc    *Service
	next   channel.Engine
	states States
}

var _ channel.Engine = (*Gate)(nil)

// Gate returns next gated by s; states reads the conversation state next
// keeps (next is often a decorator of a *bot.Engine, which is states).
func (s *Service) Gate(next channel.Engine, states States) *Gate {
	return &Gate{svc: s, next: next, states: states}
}

// Handle implements channel.Engine.
func (g *Gate) Handle(ctx context.Context, m bot.Message) (bot.Reply, error) {
	start := g.svc.now()
	l, found := g.lease(ctx, m.ConversationID)
	if found && l.Held(start) {
		return g.held(ctx, m.ConversationID, l, g.svc.merchantText(m), redact.Redact(m.Text).Text), nil
	}
	r, err := g.next.Handle(ctx, m)
	if err != nil {
		return r, err
	}
	return g.after(ctx, m.ConversationID, m.Channel, r, l, found, start), nil
}

// Feedback implements channel.Engine.
func (g *Gate) Feedback(ctx context.Context, conversationID string, solved bool) (bot.Reply, error) {
	start := g.svc.now()
	l, found := g.lease(ctx, conversationID)
	if found && l.Held(start) {
		return g.held(ctx, conversationID, l, g.svc.feedbackText(solved), ""), nil
	}
	r, err := g.next.Feedback(ctx, conversationID, solved)
	if err != nil {
		return r, err
	}
	return g.after(ctx, conversationID, channelOf(conversationID), r, l, found, start), nil
}

// Reset implements channel.Engine: the merchant starts over, so an active
// ticket closes (the desks are told) and the engine forgets the conversation.
func (g *Gate) Reset(ctx context.Context, conversationID string) error {
	if l, found := g.lease(ctx, conversationID); found {
		if _, err := g.svc.Close(ctx, l.TicketID, "merchant", "merchant"); err != nil {
			g.svc.log.WarnContext(ctx, "ticket not closed on reset", "ticket_id", l.TicketID, "err", err)
		}
	}
	return g.next.Reset(ctx, conversationID)
}

// lease reads the conversation's lease, giving the conversation back to the
// bot first if the lease lapsed. found is false when there is none or the
// store fails (the bot answers: failing open beats silence).
func (g *Gate) lease(ctx context.Context, conv string) (Lease, bool) {
	for range 2 {
		l, err := g.svc.cfg.Leases.Lease(ctx, conv)
		if err != nil {
			if !errors.Is(err, ErrNotFound) {
				g.svc.log.WarnContext(ctx, "lease store unavailable; the bot answers", "conversation_id", conv, "err", err)
			}
			return Lease{}, false
		}
		if l.Until.IsZero() || l.Held(g.svc.now()) {
			return l, true
		}
		if g.svc.lapse(ctx, l.TicketID) {
			continue // read what lapse stored
		}
		// Another replica released it or an agent renewed it: read again.
	}
	return Lease{}, false
}

// held passes a message to the person who owns the conversation.
func (g *Gate) held(ctx context.Context, conv string, l Lease, text, shown string) bot.Reply {
	r := bot.Reply{Target: knowledge.TargetNone, Handoff: true, Sources: []bot.Source{}, TextRedacted: shown}
	t, err := g.svc.cfg.Tickets.Ticket(ctx, l.TicketID)
	if err != nil {
		g.svc.log.WarnContext(ctx, "ticket unavailable; message not relayed", "ticket_id", l.TicketID, "err", err)
		r.Silent, r.Answer = true, g.svc.say(l.Lang, "with_agent")
		return r
	}
	if lim := g.svc.cfg.Limiter; lim != nil {
		ok, after, err := lim.Allow(ctx, "relay:"+conv)
		if err == nil && !ok {
			r.Answer = g.svc.slowDownText(l.Lang, after)
			return r
		}
	}
	g.svc.relay(ctx, t, lastFour(redact.Redact(text).Text), g.svc.now())
	// One line per message, as the engine's "answered".
	g.svc.log.InfoContext(ctx, "relayed to a person", "conversation_id", conv, "ticket_id", t.ID, "agent", l.Agent)
	if l.Agent != "" {
		r.Silent, r.Answer = true, g.svc.say(l.Lang, "with_agent")
		return r
	}
	r.Answer = g.svc.say(l.Lang, "waiting", t.ID, g.svc.ahead(ctx, t))
	return r
}

// after handles the engine's reply: the message goes to an open ticket's
// desks, and a handoff or escalation opens a ticket.
func (g *Gate) after(ctx context.Context, conv, ch string, r bot.Reply, l Lease, found bool, at time.Time) bot.Reply {
	if !found && !r.Handoff && !r.Escalate {
		return r
	}
	st, err := g.states.State(ctx, conv)
	if err != nil && !errors.Is(err, bot.ErrNotFound) {
		g.svc.log.WarnContext(ctx, "conversation state unavailable for the handoff", "conversation_id", conv, "err", err)
	}
	if found {
		if t, err := g.svc.cfg.Tickets.Ticket(ctx, l.TicketID); err == nil {
			g.svc.relay(ctx, t, lastMerchantTurn(st), at)
			g.svc.appendTranscript(ctx, conv, bot.Turn{Role: "bot", Text: lastFour(r.Answer), At: g.svc.now()})
		}
	}
	if r.Handoff || r.Escalate {
		r = g.open(ctx, conv, ch, r, st)
	}
	return r
}

// open opens (or finds) the conversation's ticket and tells the merchant
// where they stand.
func (g *Gate) open(ctx context.Context, conv, ch string, r bot.Reply, st bot.State) bot.Reply {
	s := g.svc
	now := s.now()
	stored, _, err := s.record(ctx, conv, ch, r, st, r.Handoff && s.cfg.Hours.Open(now))
	if err != nil {
		addParagraph(&r, s.say(stored.Lang, "unreachable"))
		r.Answer = strings.TrimSpace(r.Answer)
		return r
	}
	var status string
	switch {
	case !s.cfg.Hours.Open(now):
		status = s.afterHoursText(stored.Lang, s.cfg.Hours, s.cfg.Hours.Next(now), stored.ID, r.Handoff)
		if r.Handoff {
			status += "\n" + s.bestSteps(st, stored.Lang)
		}
	case r.Handoff:
		status = s.queuedText(stored.Lang, stored.ID, s.ahead(ctx, stored))
	default:
		status = s.say(stored.Lang, "escalated", stored.ID)
	}
	addParagraph(&r, status)
	r.Answer = strings.TrimSpace(r.Answer)
	if stored.Packet != "" {
		addParagraph(&r, stored.Packet)
	}
	r.Handoff = r.Handoff || stored.Status == StatusClaimed
	return r
}

// record opens the conversation's ticket for reply r, or finds its active
// one, and puts its lease; hold makes the merchant wait for a person (the
// bot stays silent until Lease has passed). A new ticket gets the
// conversation's transcript and is announced to the desks; created says
// whether it is new. On a store failure it returns the drafted ticket,
// without an ID, and the error.
func (s *Service) record(ctx context.Context, conv, ch string, r bot.Reply, st bot.State, hold bool) (Ticket, bool, error) {
	now := s.now()
	t := s.draft(conv, ch, r, st, now)
	if hold {
		t.LeaseUntil = now.Add(s.cfg.Lease)
	}
	stored, created, err := s.cfg.Tickets.Create(ctx, t)
	if err != nil {
		s.log.ErrorContext(ctx, "ticket not opened", "conversation_id", conv, "err", err)
		return t, false, fmt.Errorf("open ticket: %w", err)
	}
	if !created && hold && stored.Status == StatusOpen && !stored.LeaseUntil.After(now) {
		// Asked again for a person while an escalation waits: join the queue.
		if held, err := s.cfg.Tickets.Update(ctx, stored.ID, func(t *Ticket) error {
			if t.Status != StatusOpen {
				return errUnchanged
			}
			t.LeaseUntil = now.Add(s.cfg.Lease)
			return nil
		}); err == nil {
			stored = held
		}
	}
	s.putLease(ctx, stored)
	if created {
		s.log.InfoContext(ctx, "ticket opened", "ticket_id", stored.ID, "conversation_id", conv, "channel", ch,
			"reason", stored.Reason, "priority", stored.Priority, "target", stored.Target, "held", hold)
		turns := make([]bot.Turn, len(st.History))
		for i, h := range st.History {
			turns[i] = bot.Turn{Role: h.Role, Text: lastFour(h.Text), At: h.At}
		}
		s.appendTranscript(ctx, conv, turns...)
		s.post(ctx, stored, Event{Kind: EventOpened}, "")
	}
	return stored, created, nil
}

// addParagraph adds text to the end of a reply: to its answer and, on a
// copy, to what comes after its sections, so that a client showing the
// sections shows it too.
func addParagraph(r *bot.Reply, text string) {
	r.Answer += "\n\n" + text
	if r.Sections != nil {
		s := r.Sections.Clone()
		s.After = append(s.After, text)
		r.Sections = s
	}
}

// draft is the ticket a reply opens, from the conversation state.
func (s *Service) draft(conv, ch string, r bot.Reply, st bot.State, now time.Time) Ticket {
	base := s.cfg.Base
	lang := st.Facts.Language
	if lang == "" {
		lang = "zh"
	}
	reason := r.Reason
	if reason == "" {
		reason = ReasonAsked
		if !r.Handoff {
			reason = ReasonUnsure
		}
	}
	code := r.Code
	if code == "" {
		code = st.Facts.Code
	}
	t := Ticket{
		ConversationID: conv,
		Channel:        ch,
		Reason:         reason,
		Priority:       priority(reason),
		Target:         or(r.Target, knowledge.TargetNone),
		Code:           code,
		Summary:        lastFour(bot.Summary(base, st, "zh")),
		Lang:           lang,
		Supplied:       s.supplied(st.History),
		CreatedAt:      now,
		AnnouncedAt:    now,
	}
	for _, id := range st.LastIDs {
		if p, ok := base.ByID(id); ok && len(t.Considered) < 3 {
			t.Considered = append(t.Considered, p.Title)
		}
	}
	var tried []string
	for _, id := range st.Tried {
		if p, ok := base.ByID(id); ok {
			t.Steps = append(t.Steps, p.Steps...)
			tried = append(tried, localTitle(p, lang))
		}
	}
	meaning := ""
	if p, ok := base.ByCode(code); ok {
		meaning = strings.TrimSpace(strings.TrimPrefix(localTitle(p, lang), code))
	}
	t.Packet = s.packet(lang, t, meaning, tried)
	return t
}

// bestSteps are the steps of the bot's best diagnosis so far, for a
// merchant who has to wait for a person.
func (s *Service) bestSteps(st bot.State, lang string) string {
	for _, id := range st.LastIDs {
		p, ok := s.cfg.Base.ByID(id)
		if !ok {
			continue
		}
		steps := p.Steps
		if lang == "en" && p.EN != nil {
			steps = p.EN.Steps
		}
		var b strings.Builder
		for i, step := range steps {
			fmt.Fprintf(&b, "%d. %s\n", i+1, step)
		}
		return strings.TrimSpace(b.String())
	}
	return s.say(lang, "no_steps")
}

// ahead counts the tickets waiting unclaimed that opened before t.
func (s *Service) ahead(ctx context.Context, t Ticket) int {
	ts, err := s.cfg.Tickets.Active(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "queue length unknown", "err", err)
		return 0
	}
	n := 0
	for _, o := range ts {
		if o.Status == StatusOpen && o.ID < t.ID {
			n++
		}
	}
	return n
}

func priority(reason string) string {
	switch reason {
	case ReasonFraud:
		return PriorityUrgent
	case ReasonDebited, ReasonFrozen:
		return PriorityHigh
	}
	return PriorityNormal
}

func localTitle(p knowledge.Passage, lang string) string {
	if lang == "en" && p.EN != nil {
		return p.EN.Title
	}
	return p.Title
}

// merchantText is what the merchant sent, as the desk is shown it.
func (s *Service) merchantText(m bot.Message) string {
	text := strings.TrimSpace(m.Text)
	if m.ImageText != "" {
		text = strings.TrimSpace(text + "\n" + s.desk("screenshot", m.ImageText))
	}
	switch {
	case text != "":
	case m.Intent == bot.IntentHuman:
		text = s.desk("merchant_again")
	case m.Intent == bot.IntentSolved, m.Intent == bot.IntentUnsolved:
		// A channel that sends the verdict as a message (the web chat)
		// relays what Feedback relays.
		text = s.feedbackText(m.Intent == bot.IntentSolved)
	}
	return text
}

// feedbackText is a press of 解决了 or 没解决, as the desk is shown it.
func (s *Service) feedbackText(solved bool) string {
	if solved {
		return s.desk("feedback_solved")
	}
	return s.desk("feedback_unsolved")
}

func lastMerchantTurn(st bot.State) string {
	for i := len(st.History) - 1; i >= 0; i-- {
		if st.History[i].Role == "merchant" {
			return st.History[i].Text
		}
	}
	return ""
}

// channelOf names the channel of a conversation id by its prefix ("tg:",
// "http:"), for calls that carry no bot.Message.
func channelOf(conv string) string {
	prefix, _, _ := strings.Cut(conv, ":")
	switch prefix {
	case "tg":
		return "telegram"
	case "wx":
		return "wechat"
	}
	return prefix
}
