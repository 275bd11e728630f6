package handoff

import (
	"fmt"
	"strings"
	"time"
)

// What the handoff says to merchants and agents is data: the knowledge
// base's data/dialogue/handoff.yaml, checked at load against the keys
// knowledge.HandoffMerchantTexts and knowledge.HandoffAgentTexts name.
// TestTextKeys checks that those are the keys this package uses: call
// say and desk with a literal key (or a literal prefix and a value whose
// every constant is listed there).

// say is merchant text key in lang, formatted with args.
func (s *Service) say(lang, key string, args ...any) string {
	return s.texts.Merchant.Get(lang, key, args...)
}

// desk is agent text key, formatted with args.
func (s *Service) desk(key string, args ...any) string {
	return s.texts.Agent.Get(key, args...)
}

// name is what agents read for value (a priority, a reason, a target):
// agent text prefix+value, or value itself when there is none.
func (s *Service) name(prefix, value string) string {
	if v, ok := s.texts.Agent[prefix+value]; ok {
		return v
	}
	return value
}

// queuedText tells the merchant the case is in the queue and how many are ahead.
func (s *Service) queuedText(lang string, id int64, ahead int) string {
	if ahead == 0 {
		return s.say(lang, "queued_next", id)
	}
	return s.say(lang, "queued", id, ahead)
}

// afterHoursText says when a person will answer: before the bot's best
// steps (steps) or after its answer.
func (s *Service) afterHoursText(lang string, h Hours, next time.Time, id int64, steps bool) string {
	c := s.texts.Calendar(lang)
	zone := h.Location().String()
	if z, ok := c.Zones[zone]; ok {
		zone = z
	}
	hours, day, when := h.describe(c), c.Weekdays[next.Weekday()], next.Format("01-02 15:04")
	if steps {
		return s.say(lang, "after_hours_steps", hours, zone, id, day, when)
	}
	return s.say(lang, "after_hours", hours, zone, id, day, when)
}

// slowDownText answers a message over the relay limit, which the agent
// does not get.
func (s *Service) slowDownText(lang string, after time.Duration) string {
	return s.say(lang, "slow_down", max(1, int(after.Round(time.Second).Seconds())))
}

// resumedText tells the merchant the bot answers again.
func (s *Service) resumedText(lang string, hadAgent bool) string {
	if hadAgent {
		return s.say(lang, "resumed_agent")
	}
	return s.say(lang, "resumed_busy")
}

// EscalatedText tells the merchant, in lang, that a person will also
// follow up ticket id: what Gate adds to an escalated answer, for a
// channel whose platform escalates on its own (Chatwoot).
func (s *Service) EscalatedText(lang string, id int64) string {
	return s.say(lang, "escalated", id)
}

// ClosedText tells the merchant, in lang, that the agent closed the case
// and the bot answers again: what a desk's Close sends, for a channel
// whose platform gives the conversation back on its own (Chatwoot).
func (s *Service) ClosedText(lang string) string {
	return s.say(lang, "closed")
}

// AgentView is the ticket as an agent reads it on a desk: priority,
// reason, code, target, what the merchant supplied, the bot's summary, the
// causes considered and the steps already given. It never reaches the
// merchant.
func (s *Service) AgentView(t Ticket) string {
	var b strings.Builder
	if t.ID == 0 { // Record's draft when the ticket store failed
		b.WriteString(s.desk("title_unrecorded", s.name("priority_", t.Priority), s.name("reason_", t.Reason)) + "\n")
	} else {
		b.WriteString(s.desk("title", t.ID, s.name("priority_", t.Priority), s.name("reason_", t.Reason)) + "\n")
	}
	b.WriteString(s.desk("channel", t.Channel, t.ConversationID) + "\n")
	// The engine's summary may show the code already, in the same words.
	if code := s.desk("code", t.Code); t.Code != "" && !strings.Contains(t.Summary, code) {
		b.WriteString(code + "\n")
	}
	b.WriteString(s.desk("target", s.name("target_", t.Target)) + "\n")
	if v := s.suppliedLines(t.Supplied); v != "" {
		b.WriteString(s.desk("supplied", v) + "\n")
	}
	if t.Summary != "" {
		b.WriteString("\n" + t.Summary + "\n")
	}
	if len(t.Considered) > 0 {
		b.WriteString("\n" + s.desk("considered", strings.Join(t.Considered, s.desk("list_separator"))) + "\n")
	}
	if len(t.Steps) > 0 {
		b.WriteString(s.desk("steps") + "\n")
		for i, step := range t.Steps {
			fmt.Fprintf(&b, "%d. %s\n", i+1, step)
		}
	}
	return strings.TrimSpace(b.String())
}

func (s *Service) suppliedLines(v Supplied) string {
	var parts []string
	for _, f := range []struct{ value, line string }{
		{v.MerchantNo, s.desk("supplied_merchant_no", v.MerchantNo)},
		{v.TerminalNo, s.desk("supplied_terminal_no", v.TerminalNo)},
		{v.RefNo, s.desk("supplied_ref_no", v.RefNo)},
		{v.Time, s.desk("supplied_time", v.Time)},
		{v.Amount, s.desk("supplied_amount", v.Amount)},
		{v.CardLast4, s.desk("supplied_card_last4", v.CardLast4)},
	} {
		if f.value != "" {
			parts = append(parts, f.line)
		}
	}
	return strings.Join(parts, s.desk("supplied_separator"))
}

// EventText is how an event reads on a desk, after the ticket's number.
func (s *Service) EventText(t Ticket, e Event) string {
	switch e.Kind {
	case EventOpened:
		return s.AgentView(t)
	case EventReminder:
		return s.desk("event_reminder", t.ID, s.waited(t))
	case EventClaimed:
		return s.desk("event_claimed", t.ID, e.Agent)
	case EventMerchant:
		return s.desk("event_merchant", t.ID, e.Text)
	case EventAgent:
		return s.desk("event_agent", t.ID, e.Agent, e.Text)
	case EventReleased:
		return s.desk("event_released", t.ID)
	case EventClosed:
		if e.Agent == "merchant" {
			return s.desk("event_closed_by_merchant", t.ID)
		}
		return s.desk("event_closed", t.ID, e.Agent)
	}
	return s.desk("event_other", t.ID, e.Kind)
}

// waited is how long a reminded ticket has waited: Service sets
// AnnouncedAt to the reminder's time before posting it.
func (s *Service) waited(t Ticket) string {
	if t.AnnouncedAt.IsZero() {
		return s.desk("waited_unknown")
	}
	return t.AnnouncedAt.Sub(t.CreatedAt).Round(time.Minute).String()
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
