package telegram

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/posbot/posbot/handoff"
	"github.com/posbot/posbot/logging"
)

// The agent group is a handoff desk: each ticket is posted there with its
// summary and Claim / Close buttons, and every later event of the ticket as
// a reply to that post, so a ticket reads as a thread. An agent answers a
// merchant by replying to any message of the thread; /tickets lists the
// open ones.

var (
	_ handoff.Sender = (*Adapter)(nil)
	_ handoff.Desk   = desk{}
)

// deskName keys the Telegram desk's references in handoff.Ticket.DeskRefs.
const deskName = "telegram"

// Callback data of the ticket buttons: "tk:claim:<id>", "tk:close:<id>".
const cbTicket = "tk:"

// Send implements handoff.Sender: it writes to a merchant's chat
// ("tg:<chat id>") at any time, not only in reply to an update.
func (a *Adapter) Send(ctx context.Context, conversationID string, n handoff.Notice) error {
	id, err := strconv.ParseInt(strings.TrimPrefix(conversationID, "tg:"), 10, 64)
	if err != nil || !strings.HasPrefix(conversationID, "tg:") {
		return fmt.Errorf("telegram: %q is not a Telegram conversation", conversationID)
	}
	return a.reply(ctx, id, n.Text, nil)
}

// Desk returns the agent group (Config.AgentChatID) as a handoff.Desk, or
// nil when there is none or no handoff service (Deps.Handoff).
func (a *Adapter) Desk() handoff.Desk {
	if a.cfg.AgentChatID == 0 || a.handoff == nil {
		return nil
	}
	return desk{a}
}

// desk posts ticket events to the agent group.
type desk struct{ a *Adapter }

func (d desk) Name() string { return deskName }

// Post implements handoff.Desk. The announcement of a new ticket returns
// its message id, which later posts reply to.
func (d desk) Post(ctx context.Context, t handoff.Ticket, e handoff.Event) (string, error) {
	replyTo, _ := strconv.Atoi(t.DeskRefs[deskName])
	var kb *inlineKeyboard
	switch e.Kind {
	case handoff.EventOpened:
		replyTo = 0
		kb = d.a.ticketKeyboard(t.ID, true)
	case handoff.EventReminder, handoff.EventReleased:
		kb = d.a.ticketKeyboard(t.ID, true)
	case handoff.EventClaimed:
		kb = d.a.ticketKeyboard(t.ID, false)
	}
	text := d.a.handoff.EventText(t, e)
	if e.Kind == handoff.EventOpened {
		text = d.a.deskText("opened", text)
	}
	id, err := d.a.post(ctx, d.a.cfg.AgentChatID, text, kb, replyTo)
	if err != nil {
		return "", err
	}
	if e.Kind == handoff.EventOpened {
		return strconv.Itoa(id), nil
	}
	return "", nil
}

func (a *Adapter) ticketKeyboard(id int64, claim bool) *inlineKeyboard {
	var row []inlineButton
	if claim {
		row = append(row, inlineButton{Text: a.deskText("claim_button"), CallbackData: fmt.Sprintf("%sclaim:%d", cbTicket, id)})
	}
	row = append(row, inlineButton{Text: a.deskText("close_button"), CallbackData: fmt.Sprintf("%sclose:%d", cbTicket, id)})
	return &inlineKeyboard{InlineKeyboard: [][]inlineButton{row}}
}

// fromAgentChat reports whether an update comes from the agent group.
func (a *Adapter) fromAgentChat(in incoming) bool {
	return a.cfg.AgentChatID != 0 && a.handoff != nil && in.chatID == a.cfg.AgentChatID
}

// deskKey is the inbox key of an agent group update: its ticket, so
// one ticket's actions keep their order and different tickets run in
// parallel.
func (a *Adapter) deskKey(in incoming) string {
	if id := a.ticketOf(in); id != 0 {
		return "desk:" + strconv.FormatInt(id, 10)
	}
	return "desk"
}

// ticketOf is the ticket an agent group update is about, 0 if none.
func (a *Adapter) ticketOf(in incoming) int64 {
	if in.kind == kindCallback {
		_, id := parseTicketCallback(in.data)
		return id
	}
	if m := a.ticket.FindStringSubmatch(in.replyText); m != nil {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		return id
	}
	return 0
}

func parseTicketCallback(data string) (action string, id int64) {
	rest, ok := strings.CutPrefix(data, cbTicket)
	if !ok {
		return "", 0
	}
	action, num, _ := strings.Cut(rest, ":")
	id, err := strconv.ParseInt(num, 10, 64)
	if err != nil || (action != "claim" && action != "close") {
		return "", 0
	}
	return action, id
}

// deskUpdate acts on an update from the agent group: a button press claims
// or closes a ticket, a reply to a ticket's message goes to the merchant,
// /tickets lists the open tickets. Anything else is the agents' own talk.
func (a *Adapter) deskUpdate(ctx context.Context, in incoming) {
	ctx = logging.With(ctx, "update_id", in.updateID)
	id := a.ticketOf(in)
	switch in.kind {
	case kindCallback:
		action, _ := parseTicketCallback(in.data)
		var err error
		notice := ""
		switch action {
		case "claim":
			_, err = a.handoff.Claim(ctx, id, in.from, deskName)
			notice = a.deskText("claimed", id)
		case "close":
			_, err = a.handoff.Close(ctx, id, in.from, deskName)
			notice = a.deskText("closed", id)
		default:
			notice = a.deskText("stale_button")
		}
		if err != nil {
			notice = a.deskError(id, err)
			a.log.Info("ticket action refused", "ticket_id", id, "action", action, "err", err)
		}
		if _, err := a.bot.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: in.queryID, Text: notice}); err != nil {
			a.log.Debug("callback query not answered", "chat_id", in.chatID, "err", a.scrub(err))
		}
	case kindText:
		if id == 0 {
			return // not a reply to a ticket: the agents' own conversation
		}
		key := fmt.Sprintf("tg:%d:%d", in.chatID, in.messageID)
		if _, err := a.handoff.Reply(ctx, id, in.from, in.text, key, deskName); err != nil {
			a.log.Info("agent reply not relayed", "ticket_id", id, "err", err)
			_, _ = a.post(ctx, in.chatID, a.deskError(id, err), nil, in.messageID)
		}
	case kindCommand:
		if in.command == "tickets" && (in.target == "" || strings.EqualFold(in.target, a.username)) {
			a.listTickets(ctx, in)
		}
	case kindImage, kindOther:
		if id != 0 {
			_, _ = a.post(ctx, in.chatID, a.deskText("text_only", id), nil, in.messageID)
		}
	}
}

// listTickets answers /tickets with the open tickets, oldest first.
func (a *Adapter) listTickets(ctx context.Context, in incoming) {
	ts, err := a.handoff.Active(ctx)
	if err != nil {
		a.log.Warn("tickets not listed", "err", err)
		_ = a.reply(ctx, in.chatID, a.deskText("list_failed"), nil)
		return
	}
	if len(ts) == 0 {
		_ = a.reply(ctx, in.chatID, a.deskText("list_empty"), nil)
		return
	}
	var b strings.Builder
	for _, t := range ts {
		who := or(t.ClaimedBy, a.deskText("unclaimed"))
		b.WriteString(a.deskText("list_line", t.ID, t.Priority, or(t.Code, a.deskText("no_code")), who, t.CreatedAt.Format("01-02 15:04")) + "\n")
	}
	_ = a.reply(ctx, in.chatID, b.String(), nil)
}

// deskError tells an agent why a ticket action did not happen.
func (a *Adapter) deskError(id int64, err error) string {
	switch {
	case errors.Is(err, handoff.ErrClosed):
		return a.deskText("ticket_closed", id)
	case errors.Is(err, handoff.ErrClaimed):
		return a.deskText("ticket_claimed", id)
	case errors.Is(err, handoff.ErrNotFound):
		return a.deskText("ticket_not_found", id)
	}
	return a.deskText("not_delivered", id)
}

// agentName names the agent who sent an update: @username, or the first
// name with the user id.
func agentName(u *models.User) string {
	switch {
	case u == nil:
		return "telegram"
	case u.Username != "":
		return "@" + u.Username
	}
	return fmt.Sprintf("%s (%d)", u.FirstName, u.ID)
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
