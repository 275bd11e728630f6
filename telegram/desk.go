package telegram

import (
	"context"
	"errors"
	"fmt"
	"regexp"
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

// ticketRef finds the ticket a desk message is about: every message posted
// to the group names it as "工单 #<id>".
var ticketRef = regexp.MustCompile(`工单 #(\d+)`)

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
		kb = ticketKeyboard(t.ID, true)
	case handoff.EventReminder, handoff.EventReleased:
		kb = ticketKeyboard(t.ID, true)
	case handoff.EventClaimed:
		kb = ticketKeyboard(t.ID, false)
	}
	text := d.a.handoff.EventText(t, e)
	if e.Kind == handoff.EventOpened {
		text = "🆕 " + text + "\n\n回复本消息即可回复商户。"
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

func ticketKeyboard(id int64, claim bool) *inlineKeyboard {
	var row []inlineButton
	if claim {
		row = append(row, inlineButton{Text: "✋ 接手 Claim", CallbackData: fmt.Sprintf("%sclaim:%d", cbTicket, id)})
	}
	row = append(row, inlineButton{Text: "✅ 关闭 Close", CallbackData: fmt.Sprintf("%sclose:%d", cbTicket, id)})
	return &inlineKeyboard{InlineKeyboard: [][]inlineButton{row}}
}

// fromAgentChat reports whether an update comes from the agent group.
func (a *Adapter) fromAgentChat(in incoming) bool {
	return a.cfg.AgentChatID != 0 && a.handoff != nil && in.chatID == a.cfg.AgentChatID
}

// deskKey is the inbox key of an agent group update: its ticket, so
// one ticket's actions keep their order and different tickets run in
// parallel.
func deskKey(in incoming) string {
	if id := ticketOf(in); id != 0 {
		return "desk:" + strconv.FormatInt(id, 10)
	}
	return "desk"
}

// ticketOf is the ticket an agent group update is about, 0 if none.
func ticketOf(in incoming) int64 {
	if in.kind == kindCallback {
		_, id := parseTicketCallback(in.data)
		return id
	}
	if m := ticketRef.FindStringSubmatch(in.replyText); m != nil {
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
	id := ticketOf(in)
	switch in.kind {
	case kindCallback:
		action, _ := parseTicketCallback(in.data)
		var err error
		notice := ""
		switch action {
		case "claim":
			_, err = a.handoff.Claim(ctx, id, in.from, deskName)
			notice = fmt.Sprintf("已接手工单 #%d", id)
		case "close":
			_, err = a.handoff.Close(ctx, id, in.from, deskName)
			notice = fmt.Sprintf("已关闭工单 #%d", id)
		default:
			notice = textStaleButton
		}
		if err != nil {
			notice = deskError(id, err)
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
			_, _ = a.post(ctx, in.chatID, deskError(id, err), nil, in.messageID)
		}
	case kindCommand:
		if in.command == "tickets" && (in.target == "" || strings.EqualFold(in.target, a.username)) {
			a.listTickets(ctx, in)
		}
	case kindImage, kindOther:
		if id != 0 {
			_, _ = a.post(ctx, in.chatID, fmt.Sprintf("工单 #%d：目前只能把文字转给商户，请用文字回复。", id), nil, in.messageID)
		}
	}
}

// listTickets answers /tickets with the open tickets, oldest first.
func (a *Adapter) listTickets(ctx context.Context, in incoming) {
	ts, err := a.handoff.Active(ctx)
	if err != nil {
		a.log.Warn("tickets not listed", "err", err)
		_ = a.reply(ctx, in.chatID, "暂时读不到工单，请稍后再试。", nil)
		return
	}
	if len(ts) == 0 {
		_ = a.reply(ctx, in.chatID, "现在没有待处理的工单。", nil)
		return
	}
	var b strings.Builder
	for _, t := range ts {
		who := "待接手"
		if t.ClaimedBy != "" {
			who = t.ClaimedBy
		}
		fmt.Fprintf(&b, "工单 #%d · %s · %s · %s · %s\n", t.ID, t.Priority, or(t.Code, "无应答码"), who, t.CreatedAt.Format("01-02 15:04"))
	}
	_ = a.reply(ctx, in.chatID, b.String(), nil)
}

// deskError tells an agent why a ticket action did not happen.
func deskError(id int64, err error) string {
	switch {
	case errors.Is(err, handoff.ErrClosed):
		return fmt.Sprintf("工单 #%d 已关闭，消息没有转给商户。", id)
	case errors.Is(err, handoff.ErrClaimed):
		return fmt.Sprintf("工单 #%d 已由其他客服接手。", id)
	case errors.Is(err, handoff.ErrNotFound):
		return fmt.Sprintf("找不到工单 #%d。", id)
	}
	return fmt.Sprintf("工单 #%d：没能送达商户，请稍后再试。", id)
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
