package handoff

import (
	"regexp"

	"github.com/posbot/posbot/bot"
)

// maskedCard is a card number as redact masks it: first six, stars, last four.
var maskedCard = regexp.MustCompile(`\d{6}\*{2,}(\d{4})`)

// lastFour shortens every masked card number in s to its last four digits:
// a ticket keeps no more of a card than that.
func lastFour(s string) string {
	return maskedCard.ReplaceAllString(s, "****$1")
}

// supplied gathers what the merchant said that an agent needs, from the
// merchant's redacted turns, the latest mention of each winning.
func (s *Service) supplied(history []bot.Turn) Supplied {
	var out Supplied
	for _, t := range history {
		if t.Role != "merchant" {
			continue
		}
		f := s.facts.Read(t.Text)
		set(&out.MerchantNo, f.MerchantNo)
		set(&out.TerminalNo, f.TerminalNo)
		set(&out.RefNo, f.RefNo)
		set(&out.Time, f.Time)
		set(&out.CardLast4, f.CardLast4)
		if f.Amount != "" {
			out.Amount = s.desk("amount", f.Amount)
		}
	}
	return out
}

func set(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}
