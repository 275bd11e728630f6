package handoff

import (
	"regexp"
	"strings"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/understand"
)

// The readers of time, amount and card digits below are the handoff's own
// until understand/ grows them: understand.Identifiers reads the receipt
// numbers already.
var (
	// maskedCard is a card number as redact masks it: first six, stars, last four.
	maskedCard = regexp.MustCompile(`\d{6}\*{2,}(\d{4})`)
	cardLast4  = regexp.MustCompile(`(?i)(?:\d{6}\*{2,}|尾号|后四位|后4位|末四位|末4位|ending(?:\s+in)?|last\s*(?:4|four)(?:\s*digits)?)\s*(?:是|为|[:：])?\s*(\d{4})(?:\D|$)`)
	amount     = regexp.MustCompile(`(?i)(?:[¥￥]\s*(\d{1,7}(?:\.\d{1,2})?)|(\d{1,7}(?:\.\d{1,2})?)\s*(?:元|块钱|块|rmb|yuan|cny))`)
	saleTime   = regexp.MustCompile(`(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:\s+\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?|(?:\d{1,2}月\d{1,2}[日号]\s*)?(?:今天|昨天|前天)?\s*(?:上午|下午|中午|晚上|早上|凌晨)?\s*\d{1,2}(?:[:：]\d{2}|点(?:\d{1,2}分?|半)?))`)
)

// lastFour shortens every masked card number in s to its last four digits:
// a ticket keeps no more of a card than that.
func lastFour(s string) string {
	return maskedCard.ReplaceAllString(s, "****$1")
}

// supplied gathers what the merchant said that an agent needs, from the
// merchant's redacted turns, the latest mention of each winning.
func supplied(history []bot.Turn) Supplied {
	var s Supplied
	for _, t := range history {
		if t.Role != "merchant" {
			continue
		}
		ids := understand.Identifiers(t.Text)
		set(&s.MerchantNo, ids.MerchantNo)
		set(&s.TerminalNo, ids.TerminalNo)
		set(&s.RefNo, ids.RefNo)
		if m := cardLast4.FindStringSubmatch(t.Text); m != nil {
			s.CardLast4 = m[1]
		}
		if m := amount.FindStringSubmatch(t.Text); m != nil {
			s.Amount = m[1] + m[2] + "元"
		}
		if m := saleTime.FindString(withoutIDs(t.Text)); strings.TrimSpace(m) != "" && strings.ContainsAny(m, ":：点") {
			s.Time = strings.TrimSpace(m)
		}
	}
	return s
}

func set(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

// idRun is a run of digits long enough to be an identifier, which the time
// reader must not read a time out of.
var idRun = regexp.MustCompile(`\d{5,}|\d{6}\*+\d{4}`)

func withoutIDs(s string) string { return idRun.ReplaceAllString(s, " ") }
