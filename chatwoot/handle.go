package chatwoot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/handoff"
)

// Chatwoot's conversation statuses.
const (
	statusOpen     = "open"     // agents have it
	statusPending  = "pending"  // the bot has it
	statusResolved = "resolved" // closed; the contact's next message makes it pending again
	statusSnoozed  = "snoozed"  // an agent put it aside
)

// agent is who holds and gives back posbot's tickets of Chatwoot's
// conversations: Chatwoot's agents, whoever of them it is.
const agent = Channel

// handle answers one contact's message on its conversation's worker.
func (a *Adapter) handle(ctx context.Context, in incoming) {
	conv := in.conversationID(a.cfg.AccountID)
	log := a.log.With("conversation_id", conv, "message_id", in.msgID)
	switch {
	case in.status == statusOpen || in.status == statusSnoozed:
		log.InfoContext(ctx, "agents have the conversation; the bot is silent", "status", in.status)
		return
	case a.marks.stale(in.conv, in.msgID):
		log.InfoContext(ctx, "written before the handover took effect; the bot is silent")
		return
	}
	parts, answer, r, answered := a.produce(ctx, conv, in)
	// The message's own context may be spent (the engine timed out): the
	// reply, the apology included, has time of its own.
	ctx, cancel := channel.Outlive(ctx, channel.DefaultSendTimeout)
	defer cancel()
	var tk handoff.Ticket
	if answered && (r.Handoff || r.Escalate) {
		tk = a.record(ctx, log, conv, r)
		answer = strings.TrimSpace(answer + "\n\n" + a.handoffText(tk, r.Handoff))
	}
	last, err := a.send(ctx, log, in.conv, append(parts, a.split(answer)...))
	if err != nil || !answered {
		return
	}
	switch {
	case r.Handoff:
		a.handOver(ctx, log, in.conv, tk, last)
	case r.Escalate:
		a.escalate(ctx, log, in.conv, tk)
	}
}

// produce asks the engine. It returns the notices to send first (about
// an image), the answer, the reply, and whether the engine answered (not
// when an image could not be read, or the engine failed).
func (a *Adapter) produce(ctx context.Context, conv string, in incoming) (notices []string, answer string, r bot.Reply, answered bool) {
	m := bot.Message{Text: in.text}
	switch {
	case in.image != nil:
		img := *in.image
		sc := a.screens.Read(ctx, img.FileSize, in.text, func(ctx context.Context, max int64) ([]byte, error) {
			return a.api.download(ctx, img.DataURL, max)
		})
		if sc.Notice != "" {
			notices = a.split(sc.Notice)
		}
		if !sc.Answer {
			return notices, "", r, false
		}
		m = sc.Message
	case strings.TrimSpace(in.text) == "":
		if in.other { // no words to tell the language by
			return nil, a.text("zh", "unsupported"), r, false
		}
		return nil, "", r, false // nothing to answer (an empty message)
	}
	m.ConversationID, m.Channel = conv, Channel
	r, err := a.engine.Handle(ctx, m)
	if err != nil {
		a.log.ErrorContext(ctx, "no answer", "conversation_id", conv, "err", err)
		return notices, a.text(channel.Lang(m.Text), "failed"), bot.Reply{}, false
	}
	if r.Silent {
		return notices, "", r, true
	}
	answer = r.Answer
	for i, o := range r.Options {
		if line := fmt.Sprintf("%d. %s", i+1, o); !strings.Contains(answer, line) {
			answer += "\n" + line
		}
	}
	return notices, answer, r, true
}

// record records the handoff or escalation as a posbot ticket; when the
// store fails the ticket is the draft, without an ID, and the handoff in
// Chatwoot goes ahead.
func (a *Adapter) record(ctx context.Context, log *slog.Logger, conv string, r bot.Reply) handoff.Ticket {
	var st bot.State
	if a.states != nil {
		var err error
		if st, err = a.states.State(ctx, conv); err != nil && !errors.Is(err, bot.ErrNotFound) {
			log.WarnContext(ctx, "conversation state unavailable for the ticket", "err", err)
		}
	}
	tk, _, err := a.handoffs.Record(ctx, conv, Channel, r, st)
	if err != nil {
		log.ErrorContext(ctx, "ticket not recorded; handing over in Chatwoot anyway", "err", err)
	}
	return tk
}

// handOver opens the conversation, which puts it in the agents' queue and
// silences the bot, then leaves the agents the case as a private note.
// last is the id of the bot's last message before.
func (a *Adapter) handOver(ctx context.Context, log *slog.Logger, conv int64, tk handoff.Ticket, last int64) {
	// The ticket is Chatwoot's before the conversation opens, so that an
	// agent who resolves it at once finds it theirs to close.
	if tk.ID != 0 {
		if _, _, err := a.handoffs.Hold(ctx, conversationID(a.cfg.AccountID, conv), agent, Channel); err != nil {
			log.WarnContext(ctx, "ticket not marked as taken by Chatwoot", "ticket_id", tk.ID, "err", err)
		}
	}
	if err := a.api.toggleStatus(ctx, conv, statusOpen); err != nil {
		log.ErrorContext(ctx, "conversation not handed over: it stays with the bot", "ticket_id", tk.ID, "err", err)
		return
	}
	note, err := a.api.createMessage(ctx, conv, a.handoffs.AgentView(tk), true)
	if err != nil {
		log.ErrorContext(ctx, "agents' note not posted", "ticket_id", tk.ID, "err", err)
	}
	// A message numbered below the note (or, without one, up to the bot's
	// last reply) was written while the conversation was still pending; one
	// above it carries the status that counts.
	a.marks.set(conv, max(note, last+1))
	a.prioritize(ctx, log, conv, tk)
	log.InfoContext(ctx, "conversation handed to Chatwoot's agents", "ticket_id", tk.ID, "reason", tk.Reason, "priority", tk.Priority)
}

// escalate leaves the agents the case as a private note and raises the
// conversation's priority; it stays pending, and the bot answers, until an
// agent takes it.
func (a *Adapter) escalate(ctx context.Context, log *slog.Logger, conv int64, tk handoff.Ticket) {
	if _, err := a.api.createMessage(ctx, conv, a.handoffs.AgentView(tk), true); err != nil {
		log.ErrorContext(ctx, "agents' note not posted", "ticket_id", tk.ID, "err", err)
	}
	a.prioritize(ctx, log, conv, tk)
	log.InfoContext(ctx, "conversation escalated to Chatwoot's agents; the bot keeps answering", "ticket_id", tk.ID,
		"reason", tk.Reason, "priority", tk.Priority)
}

// prioritize gives an urgent or high-priority ticket's conversation that
// priority in Chatwoot (a bot may, since Chatwoot 3.x; an older one
// refuses, which is logged).
func (a *Adapter) prioritize(ctx context.Context, log *slog.Logger, conv int64, tk handoff.Ticket) {
	p := map[string]string{handoff.PriorityUrgent: "urgent", handoff.PriorityHigh: "high"}[tk.Priority]
	if p == "" {
		return
	}
	if err := a.api.togglePriority(ctx, conv, p); err != nil {
		log.WarnContext(ctx, "conversation priority not set", "priority", p, "err", err)
	}
}

// statusChanged follows a conversation's status: open or snoozed, the
// agents have it (an escalated ticket is theirs); resolved or pending, the
// bot has it again: the ticket closes and, if a person had the case, the
// merchant is told the bot is back.
func (a *Adapter) statusChanged(ctx context.Context, conv int64, status string) {
	id := conversationID(a.cfg.AccountID, conv)
	log := a.log.With("conversation_id", id, "status", status)
	switch status {
	case statusOpen, statusSnoozed:
		if tk, ok, err := a.handoffs.Hold(ctx, id, agent, Channel); err != nil {
			log.WarnContext(ctx, "ticket not marked as taken by Chatwoot", "err", err)
		} else if ok {
			log.InfoContext(ctx, "Chatwoot's agents took the escalated conversation", "ticket_id", tk.ID)
		}
	case statusResolved, statusPending:
		tk, ok, err := a.handoffs.Handback(ctx, id, agent, Channel)
		if err != nil {
			log.WarnContext(ctx, "ticket not closed", "err", err)
			return
		}
		if !ok {
			return
		}
		log.InfoContext(ctx, "Chatwoot gave the conversation back to the bot", "ticket_id", tk.ID)
		if tk.ClaimedBy != "" { // a person had it; an escalation nobody took needs no word
			_, _ = a.send(ctx, log, conv, a.split(a.handoffs.ClosedText(tk.Lang)))
		}
	}
}

// send posts parts to the contact in order, stopping at the first that
// fails (logged), and returns the last message's id.
func (a *Adapter) send(ctx context.Context, log *slog.Logger, conv int64, parts []string) (int64, error) {
	var last int64
	for i, p := range parts {
		id, err := a.api.createMessage(ctx, conv, p, false)
		if err != nil {
			log.ErrorContext(ctx, "reply not sent", "part", i+1, "parts", len(parts), "err", err)
			return last, err
		}
		last = id
	}
	return last, nil
}

func (a *Adapter) split(text string) []string {
	return splitRunes(text, a.cfg.MaxTextRunes)
}

// Send implements handoff.Sender for what another desk does with a
// Chatwoot conversation's ticket (the agent API, the Telegram group): the
// notice goes to the contact, and the conversation follows the ticket: it
// goes back to the bot (pending) when the lease lapsed, and is resolved
// when the ticket is closed.
func (a *Adapter) Send(ctx context.Context, conversationID string, n handoff.Notice) error {
	conv, err := a.parseConversation(conversationID)
	if err != nil {
		return err
	}
	log := a.log.With("conversation_id", conversationID, "notice", n.Kind)
	if _, err := a.send(ctx, log, conv, a.split(n.Text)); err != nil {
		return fmt.Errorf("chatwoot: %w", err)
	}
	status := map[string]string{handoff.NoticeResumed: statusPending, handoff.NoticeClosed: statusResolved}[n.Kind]
	if status == "" {
		return nil
	}
	if err := a.api.toggleStatus(ctx, conv, status); err != nil {
		return fmt.Errorf("chatwoot: conversation not set %s: %w", status, err)
	}
	return nil
}

// parseConversation reads "chatwoot:<account>:<conversation>".
func (a *Adapter) parseConversation(id string) (int64, error) {
	rest, ok := strings.CutPrefix(id, Channel+":"+strconv.FormatInt(a.cfg.AccountID, 10)+":")
	conv, err := strconv.ParseInt(rest, 10, 64)
	if !ok || err != nil || conv <= 0 {
		return 0, fmt.Errorf("chatwoot: %q is not a conversation of account %d", id, a.cfg.AccountID)
	}
	return conv, nil
}

// splitRunes cuts text into messages of at most limit characters, at line
// breaks where it can.
func splitRunes(text string, limit int) []string {
	return channel.Split(text, limit, utf8.RuneCountInString)
}
