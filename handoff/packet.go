package handoff

import (
	"fmt"
	"strings"
)

// Provider is the merchant's POS service provider as configured
// (POSBOT_PROVIDER_NAME, POSBOT_PROVIDER_HOTLINE). Both may be empty.
type Provider struct {
	Name    string
	Hotline string
}

// packet is the escalation text for a ticket: for the bank, what the
// merchant tells the customer and what not to do; for the provider, a
// short text the merchant can forward, with what the merchant supplied.
// It holds only values the merchant supplied (a card by its last four
// digits at most), the code and its meaning, the steps tried, and the
// configured provider name and hotline: never a phone number from anywhere
// else. "" when the target is neither.
//
// TODO(knowledge): move the wording to knowledge/data texts, per language.
func packet(lang string, t Ticket, meaning string, tried []string, p Provider) string {
	switch t.Target {
	case "bank":
		return bankPacket(lang, t, meaning)
	case "provider":
		return providerPacket(lang, t, meaning, tried, p)
	}
	return ""
}

func bankPacket(lang string, t Ticket, meaning string) string {
	s := t.Supplied
	var b strings.Builder
	if lang == "en" {
		b.WriteString("【For the cardholder】\nPlease call the customer service number on the back of your card and tell the bank the payment was declined")
		if t.Code != "" {
			fmt.Fprintf(&b, " with code %s%s", t.Code, paren(meaning))
		}
		if s.Time != "" {
			fmt.Fprintf(&b, " at %s", s.Time)
		}
		if s.Amount != "" {
			fmt.Fprintf(&b, " for %s", s.Amount)
		}
		b.WriteString(". The bank can tell you why and lift the block.\nPlease do not: swipe the card again and again; tell anyone (the cashier included) your card number, PIN or SMS code; split the amount to get round a limit.")
		return b.String()
	}
	b.WriteString("【请转告持卡人】\n请拨打银行卡背面的客服电话，告诉银行这笔交易被拒")
	if t.Code != "" {
		fmt.Fprintf(&b, "，应答码 %s%s", t.Code, zhParen(meaning))
	}
	if s.Time != "" {
		fmt.Fprintf(&b, "，交易时间 %s", s.Time)
	}
	if s.Amount != "" {
		fmt.Fprintf(&b, "，金额 %s", s.Amount)
	}
	b.WriteString("。银行会告诉您具体原因并处理。\n请不要：反复刷这张卡；把卡号、密码或短信验证码告诉收银员或任何人；拆分金额绕过限额。")
	return b.String()
}

func providerPacket(lang string, t Ticket, meaning string, tried []string, p Provider) string {
	s := t.Supplied
	en := lang == "en"
	missing := "（请补充）"
	if en {
		missing = "(please fill in)"
	}
	val := func(v string) string { return or(v, missing) }
	var b strings.Builder
	if en {
		b.WriteString("【To forward to your POS provider】\nOur card terminal fails to complete sales; please help.\n")
		fmt.Fprintf(&b, "Merchant ID (商户号): %s\nTerminal ID (终端号): %s\nReference no. (参考号): %s\nTime: %s\nAmount: %s\n",
			val(s.MerchantNo), val(s.TerminalNo), val(s.RefNo), val(s.Time), val(s.Amount))
		if t.Code != "" {
			fmt.Fprintf(&b, "Response code: %s%s\n", t.Code, paren(meaning))
		}
		if len(tried) > 0 {
			fmt.Fprintf(&b, "Already tried: %s\n", strings.Join(tried, "; "))
		}
	} else {
		b.WriteString("【可转发给 POS 服务商】\n我店 POS 机交易失败，请协助处理：\n")
		fmt.Fprintf(&b, "商户号：%s\n终端号：%s\n参考号：%s\n交易时间：%s\n金额：%s\n",
			val(s.MerchantNo), val(s.TerminalNo), val(s.RefNo), val(s.Time), val(s.Amount))
		if t.Code != "" {
			fmt.Fprintf(&b, "应答码：%s%s\n", t.Code, zhParen(meaning))
		}
		if len(tried) > 0 {
			fmt.Fprintf(&b, "已尝试：%s\n", strings.Join(tried, "；"))
		}
	}
	switch {
	case p.Name != "" && p.Hotline != "":
		b.WriteString(text(lang, fmt.Sprintf("服务商：%s，客服热线 %s", p.Name, p.Hotline),
			fmt.Sprintf("Provider: %s, hotline %s", p.Name, p.Hotline)))
	case p.Hotline != "":
		b.WriteString(text(lang, "服务商客服热线 "+p.Hotline, "Provider hotline "+p.Hotline))
	case p.Name != "":
		b.WriteString(text(lang, fmt.Sprintf("服务商：%s（请用合同或终端上标注的官方客服电话联系）", p.Name),
			fmt.Sprintf("Provider: %s (use the official number on your contract or the terminal)", p.Name)))
	default:
		b.WriteString(text(lang, "请用合同或终端上标注的服务商官方客服电话联系。",
			"Use your provider's official number, as printed on your contract or the terminal."))
	}
	return b.String()
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func zhParen(s string) string {
	if s == "" {
		return ""
	}
	return "（" + s + "）"
}
