package handoff

import (
	"fmt"
	"strings"
	"time"
)

// The texts below are what the handoff says to merchants and agents.
// TODO(knowledge): move to knowledge/data texts, per language, validated at
// load, with the engine's own texts.

// text picks the merchant's language: English for "en", Chinese otherwise.
func text(lang, zh, en string) string {
	if lang == "en" {
		return en
	}
	return zh
}

// queuedText tells the merchant the case is in the queue and how many are ahead.
func queuedText(lang string, id int64, ahead int) string {
	if ahead == 0 {
		return text(lang,
			fmt.Sprintf("已为你转接人工客服（工单 #%d），你是下一位。客服接手后会直接在这里回复你。", id),
			fmt.Sprintf("I have passed this to a human agent (ticket #%d); you are next in line. The agent will answer right here.", id))
	}
	return text(lang,
		fmt.Sprintf("已为你转接人工客服（工单 #%d），前面还有 %d 位在等待。客服接手后会直接在这里回复你。", id, ahead),
		fmt.Sprintf("I have passed this to a human agent (ticket #%d); %d ahead of you. The agent will answer right here.", id, ahead))
}

// waitingText answers a message written while the merchant waits for a person.
func waitingText(lang string, id int64, ahead int) string {
	return text(lang,
		fmt.Sprintf("收到，已转给人工客服（工单 #%d），前面还有 %d 位，请稍候。", id, ahead),
		fmt.Sprintf("Got it, passed to the agent (ticket #%d); %d ahead of you, please wait.", id, ahead))
}

// withAgentText is the status line of a message that went to the agent.
func withAgentText(lang string) string {
	return text(lang, "已转给人工客服，请等待客服回复。", "Sent to the agent; they will reply here.")
}

// escalatedText follows an answer that a person must also follow up.
func escalatedText(lang string, id int64) string {
	return text(lang,
		fmt.Sprintf("这个情况我也已转给人工客服跟进（工单 #%d），客服接手后会在这里联系你；在此之前请先按上面的步骤处理。", id),
		fmt.Sprintf("I have also passed this to a human agent (ticket #%d), who will contact you here; until then please follow the steps above.", id))
}

// afterHoursText says when a person will answer: before the bot's best
// steps (steps) or after its answer.
func afterHoursText(lang string, h Hours, next time.Time, id int64, steps bool) string {
	zone := h.Location().String()
	days := strings.TrimSpace(strings.TrimSuffix(h.String(), zone))
	when := next.Format("01-02 15:04")
	if lang == "en" {
		s := fmt.Sprintf("Our agents work %s (%s); a person will answer your ticket #%d after %s %s.", days, zone, id, next.Weekday().String()[:3], when)
		if steps {
			return s + " Meanwhile, here is what to try:"
		}
		return s + " Until then please follow the steps above."
	}
	if zone == "Asia/Shanghai" {
		zone = "北京时间"
	}
	s := fmt.Sprintf("现在不在人工客服的服务时间（%s，%s）。已为你登记工单 #%d，客服会在 %s %s 之后回复你。",
		zhDays(days), zone, id, zhWeekday(next.Weekday()), when)
	if steps {
		return s + "在此之前，你可以先试试："
	}
	return s + "在此之前请先按上面的步骤处理。"
}

// noStepsText stands in for steps when the bot has no diagnosis yet.
func noStepsText(lang string) string {
	return text(lang, "把终端屏幕上的应答码或提示文字发给我，我先帮你排查。",
		"Send me the code or the words on the terminal's screen and I will check what to do.")
}

func zhWeekday(d time.Weekday) string {
	return [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}[d]
}

// zhDays renders the day names of an hours spec in Chinese.
func zhDays(s string) string {
	r := strings.NewReplacer("Mon", "周一", "Tue", "周二", "Wed", "周三", "Thu", "周四", "Fri", "周五",
		"Sat", "周六", "Sun", "周日", "daily", "每天", "-", "至", "/", "、")
	// Only the day names: the times keep their dashes.
	var out []string
	for _, part := range strings.Split(s, ",") {
		f := strings.Fields(part)
		if len(f) == 2 {
			part = r.Replace(f[0]) + " " + f[1]
		}
		out = append(out, strings.TrimSpace(part))
	}
	return strings.Join(out, "，")
}

// slowDownText answers a message over the relay limit, which the agent
// does not get.
func slowDownText(lang string, after time.Duration) string {
	secs := max(1, int(after.Round(time.Second).Seconds()))
	return text(lang, fmt.Sprintf("消息发得太快了，这条没有转给客服。请 %d 秒后再发。", secs),
		fmt.Sprintf("Too many messages at once; this one did not reach the agent. Please send it again in %d s.", secs))
}

func takenText(lang string) string {
	return text(lang, "人工客服已接手你的问题，接下来请直接在这里和客服沟通。",
		"A human agent has taken your case; talk to them right here.")
}

func agentText(lang, msg string) string {
	return text(lang, "人工客服：", "Agent: ") + msg
}

func closedText(lang string) string {
	return text(lang, "人工客服已结束本次服务。如果还有问题，直接发给我，我会继续帮你。",
		"The agent has closed your case. If anything else comes up, just write to me and I will help.")
}

func resumedText(lang string, hadAgent bool) string {
	if hadAgent {
		return text(lang, "人工客服暂时没有回复，我先继续帮你；客服回来后会接着在这里回复你。",
			"The agent has not replied for a while, so I will carry on helping you; they will answer here when they are back.")
	}
	return text(lang, "客服暂时都在忙，我先继续帮你；有客服接手时会在这里通知你。",
		"All agents are busy, so I will carry on helping you; you will hear here when one takes your case.")
}

// Agent-facing words (agents read Chinese).
var (
	priorityNames = map[string]string{PriorityUrgent: "🔴 紧急", PriorityHigh: "🟠 优先", PriorityNormal: "普通"}
	reasonNames   = map[string]string{ReasonAsked: "商户要求转人工", ReasonNotSolved: "按步骤处理后仍未解决",
		ReasonUnsure: "多轮对话仍无法确定原因", ReasonFraud: "疑似欺诈", ReasonFrozen: "商户账户被冻结",
		ReasonDebited: "已扣款但交易失败"}
	targetNames = map[string]string{"bank": "发卡行（持卡人联系银行）", "provider": "POS 服务商 / 收单机构", "none": "无需转交"}
)

// AgentView is the ticket as an agent reads it on a desk: priority,
// reason, code, target, what the merchant supplied, the bot's summary, the
// causes considered and the steps already given. It never reaches the
// merchant.
func AgentView(t Ticket) string {
	var b strings.Builder
	head := fmt.Sprintf("工单 #%d", t.ID)
	if t.ID == 0 {
		head = "工单（未能登记）" // Record's draft when the ticket store failed
	}
	fmt.Fprintf(&b, "%s · %s · %s\n", head, or(priorityNames[t.Priority], t.Priority), or(reasonNames[t.Reason], t.Reason))
	fmt.Fprintf(&b, "渠道：%s（%s）\n", t.Channel, t.ConversationID)
	if t.Code != "" && !strings.Contains(t.Summary, "应答码：") {
		fmt.Fprintf(&b, "应答码：%s\n", t.Code)
	}
	fmt.Fprintf(&b, "转交方向：%s\n", or(targetNames[t.Target], t.Target))
	if s := suppliedLines(t.Supplied); s != "" {
		b.WriteString("商户提供：" + s + "\n")
	}
	if t.Summary != "" {
		b.WriteString("\n" + t.Summary + "\n")
	}
	if len(t.Considered) > 0 {
		b.WriteString("\n考虑过的原因：" + strings.Join(t.Considered, "；") + "\n")
	}
	if len(t.Steps) > 0 {
		b.WriteString("已给出的步骤：\n")
		for i, s := range t.Steps {
			fmt.Fprintf(&b, "%d. %s\n", i+1, s)
		}
	}
	return strings.TrimSpace(b.String())
}

func suppliedLines(s Supplied) string {
	var parts []string
	add := func(label, v string) {
		if v != "" {
			parts = append(parts, label+" "+v)
		}
	}
	add("商户号", s.MerchantNo)
	add("终端号", s.TerminalNo)
	add("参考号", s.RefNo)
	add("时间", s.Time)
	add("金额", s.Amount)
	add("卡号后四位", s.CardLast4)
	return strings.Join(parts, "，")
}

// EventText is how an event reads on a desk, after the ticket's number.
func EventText(t Ticket, e Event) string {
	switch e.Kind {
	case EventOpened:
		return AgentView(t)
	case EventReminder:
		return fmt.Sprintf("⏰ 工单 #%d 仍无人接手（已等待 %s）", t.ID, waited(t))
	case EventClaimed:
		return fmt.Sprintf("✋ 工单 #%d 已由 %s 接手", t.ID, e.Agent)
	case EventMerchant:
		return fmt.Sprintf("💬 工单 #%d 商户：%s", t.ID, e.Text)
	case EventAgent:
		return fmt.Sprintf("↩️ 工单 #%d 客服 %s：%s", t.ID, e.Agent, e.Text)
	case EventReleased:
		return fmt.Sprintf("⌛ 工单 #%d 客服长时间未回复，已重新排队，机器人先继续回答商户", t.ID)
	case EventClosed:
		if e.Agent == "merchant" {
			return fmt.Sprintf("✅ 工单 #%d 已关闭：商户重新开始了对话", t.ID)
		}
		return fmt.Sprintf("✅ 工单 #%d 已由 %s 关闭，机器人恢复回答", t.ID, e.Agent)
	}
	return fmt.Sprintf("工单 #%d：%s", t.ID, e.Kind)
}

// waited is how long a reminded ticket has waited: Service sets
// AnnouncedAt to the reminder's time before posting it.
func waited(t Ticket) string {
	if t.AnnouncedAt.IsZero() {
		return "一段时间"
	}
	return t.AnnouncedAt.Sub(t.CreatedAt).Round(time.Minute).String()
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
