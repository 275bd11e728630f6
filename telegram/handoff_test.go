package telegram_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/posbot/posbot/bot/storetest"
	"github.com/posbot/posbot/handoff"
)

const agents = -100500 // the agents' group

// TestHandoffThroughTelegram: a merchant asks for a person; the ticket is
// posted in the agents' group with Claim / Close; an agent claims it and
// replies to the ticket's message; the reply reaches the merchant, and the
// merchant's answer the thread; the bot is silent meanwhile; the agent
// closes the ticket and the bot answers again. All through go-telegram/bot
// against the fake Bot API.
func TestHandoffThroughTelegram(t *testing.T) {
	t.Parallel()
	h := start(t, setup{agentChat: agents})
	const merchant = 7001
	h.api.push(textUpdate(1, merchant, "刷卡显示交易失败51"))
	h.api.waitMessages(t, merchant, 1)
	h.api.push(commandUpdate(2, merchant, "/human"))
	queued := h.api.waitMessages(t, merchant, 2)[1]
	if !strings.Contains(queued.Text, "工单 #1") {
		t.Errorf("merchant was not told the ticket: %s", queued.Text)
	}
	ann := h.api.waitMessages(t, agents, 1)[0]
	for _, want := range []string{"工单 #1", "商户要求转人工", "应答码：51", "商户说", "tg:7001"} {
		if !strings.Contains(ann.Text, want) {
			t.Errorf("announcement lacks %q:\n%s", want, ann.Text)
		}
	}
	claim, ok := ann.data("Claim")
	if _, closeOK := ann.data("Close"); !ok || !closeOK {
		t.Fatalf("announcement buttons %+v, want Claim and Close", ann.Buttons)
	}

	h.api.push(agentCallback(3, agents, ann.ID, "alice", claim))
	taken := h.api.waitMessages(t, merchant, 3)[2]
	if !strings.Contains(taken.Text, "人工客服已接手") {
		t.Errorf("merchant notice %q, want taken", taken.Text)
	}
	claimed := h.api.waitMessages(t, agents, 2)[1]
	if !strings.Contains(claimed.Text, "@alice") || claimed.ReplyTo != ann.ID {
		t.Errorf("claim post %+v, want @alice in the ticket's thread", claimed)
	}
	h.api.waitFor(t, "the claim button answered", func(calls []apiCall) bool {
		for _, c := range calls {
			if c.Method == "answerCallbackQuery" && strings.Contains(c.Form["text"], "已接手工单 #1") {
				return true
			}
		}
		return false
	})

	reply := agentMessage(4, agents, 900, "alice", "您好，请把小票上的参考号发我", ann.ID, ann.Text)
	h.api.push(reply)
	// The same update again is dropped; the same message under another
	// update id is relayed once.
	h.api.push(reply)
	h.api.push(agentMessage(5, agents, 900, "alice", "您好，请把小票上的参考号发我", ann.ID, ann.Text))
	relayed := h.api.waitMessages(t, merchant, 4)[3]
	if relayed.Text != "人工客服：您好，请把小票上的参考号发我" {
		t.Errorf("relayed reply %q", relayed.Text)
	}

	h.api.push(textUpdate(6, merchant, "参考号 123456789012，卡号6222021234567894"))
	back := h.api.waitMessages(t, agents, 3)[2]
	if back.ReplyTo != ann.ID || !strings.Contains(back.Text, "商户：参考号 123456789012") || strings.Contains(back.Text, "2021234567") {
		t.Errorf("merchant message in the thread %+v, want it relayed with the card masked", back)
	}
	// The bot stays silent: the next thing the merchant gets is the answer
	// to /start, which the chat's worker handles after the message above.
	h.api.push(commandUpdate(7, merchant, "/start"))
	got := h.api.waitMessages(t, merchant, 5)
	if !strings.Contains(got[4].Text, "POS 刷卡故障助手") {
		t.Errorf("the bot answered while a person had the chat: %q", got[4].Text)
	}

	h.api.push(agentCallback(8, agents, ann.ID, "alice", "tk:close:1"))
	closed := h.api.waitMessages(t, merchant, 6)[5]
	if !strings.Contains(closed.Text, "人工客服已结束本次服务") {
		t.Errorf("merchant notice %q, want closed", closed.Text)
	}
	h.api.push(textUpdate(9, merchant, "交易失败55"))
	again := h.api.waitMessages(t, merchant, 7)[6]
	if !strings.Contains(again.Text, "55") || !again.hasFeedback() {
		t.Errorf("after close the bot answers: %q", again.Text)
	}
	h.api.push(agentMessage(10, agents, 901, "alice", "还有问题吗", ann.ID, ann.Text))
	refused := h.api.waitFor(t, "the closed ticket's refusal", func(calls []apiCall) bool {
		ms := messages(calls, agents)
		return len(ms) > 0 && strings.Contains(ms[len(ms)-1].Text, "已关闭，消息没有转给商户")
	})
	if n := len(messages(refused, merchant)); n != 7 {
		t.Errorf("merchant got %d messages, want 7", n)
	}
	for _, m := range messages(h.api.snapshot(), merchant) {
		if strings.Contains(m.Text, "商户说") || strings.Contains(m.Text, "摘要") {
			t.Errorf("the merchant was shown the agents' summary:\n%s", m.Text)
		}
	}
}

// Agents talking among themselves in the group, and merchants' commands
// there, get no bot answer; /tickets lists the open tickets.
func TestAgentGroupIsNotAMerchant(t *testing.T) {
	t.Parallel()
	h := start(t, setup{agentChat: agents})
	h.api.push(agentMessage(1, agents, 10, "bob", "交易失败51 怎么处理来着？", 0, ""))
	h.api.push(commandUpdate(2, agents, "/tickets"))
	list := h.api.waitMessages(t, agents, 1)
	if len(list) != 1 || !strings.Contains(list[0].Text, "没有待处理的工单") {
		t.Errorf("group messages %+v; want only the /tickets answer", list)
	}
	h.api.push(commandUpdate(3, 7101, "/human"))
	h.api.waitMessages(t, agents, 2)
	h.api.push(commandUpdate(4, agents, "/tickets"))
	if l := h.api.waitMessages(t, agents, 3)[2]; !strings.Contains(l.Text, "工单 #1") {
		t.Errorf("/tickets = %q", l.Text)
	}
}

// An unclaimed ticket is announced again after RemindAfter, in its thread
// with the buttons; a lapsed lease gives the chat back to the bot.
func TestTicketReminderInGroup(t *testing.T) {
	t.Parallel()
	clock := storetest.NewClock()
	h := start(t, setup{agentChat: agents, handoff: func(c *handoff.Config) {
		c.Now, c.RemindAfter, c.Lease = clock.Now, 10*time.Minute, 30*time.Minute
	}})
	h.api.push(commandUpdate(1, 7201, "/human"))
	ann := h.api.waitMessages(t, agents, 1)[0]
	h.api.waitMessages(t, 7201, 1)
	clock.Advance(11 * time.Minute)
	h.svc.Sweep(context.Background())
	rem := h.api.waitMessages(t, agents, 2)[1]
	if !strings.Contains(rem.Text, "仍无人接手") || rem.ReplyTo != ann.ID {
		t.Errorf("reminder %+v", rem)
	}
	if _, ok := rem.data("Claim"); !ok {
		t.Errorf("reminder without Claim: %+v", rem.Buttons)
	}
	clock.Advance(20 * time.Minute)
	h.svc.Sweep(context.Background())
	if n := h.api.waitMessages(t, 7201, 2)[1]; !strings.Contains(n.Text, "我先继续帮你") {
		t.Errorf("merchant notice after the queue lapsed: %q", n.Text)
	}
}
