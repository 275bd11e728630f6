package bot

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/prompts"
	"github.com/posbot/posbot/redact"
)

// MaxAnswerRunes bounds a model-written answer.
const MaxAnswerRunes = 2000

// ErrInvalidAnswer is returned by Validate for a model answer that must not be sent.
var ErrInvalidAnswer = errors.New("invalid model answer")

// targetPhrases are the phrases that name an escalation target. Whole
// phrases, not words inside others: 银行 is in 银行卡, bank in bank card.
var targetPhrases = map[string]*regexp.Regexp{
	knowledge.TargetBank:     regexp.MustCompile(`(?i)发卡行|发卡银行|卡(?:片)?背面|背面的客服|\bissu(?:ing bank|er)\b|number on the back|back of the card`),
	knowledge.TargetProvider: regexp.MustCompile(`(?i)服务商|收单机构|收单行|收单方|\bacquir(?:er|ing bank)\b|\bprovider\b`),
}

// negation, close before a phrase in the same clause, turns advice into a
// warning: "不要把密码告诉任何人", "never split a payment".
var negation = regexp.MustCompile(`(?i)不要|不用|不必|不得|不能|不可|不会|切勿|千万别|别|勿|绝不|绝对不|禁止|严禁|从不|无需|避免|\bnever\b|\bdon'?t\b|\bdo not\b|\bmust not\b|\bshould not\b|\bshouldn'?t\b|\bnot\b|\bno one\b|\bnobody\b|\bavoid\b`)

// secretRequest is an answer asking for card secrets, or telling the
// merchant to key in a customer's PIN. Telling the customer about the PIN
// ("告诉顾客密码不正确") is not asking for it.
var secretRequest = regexp.MustCompile(`(?i)` +
	`(?:发(?:给|来|过来)?|提供|报(?:给)?|说出|念(?:出)?|拍(?:照|下)?|填写|输入给|问(?:顾客|客人|持卡人)?要)[^。；;！!？?\n：:]{0,6}(?:` + secretNouns + `)` +
	`|告诉(?:我|我们|客服|你|机器人|助手)[^。；;！!？?\n]{0,4}(?:` + secretNouns + `)` +
	`|(?:` + secretNouns + `)[^。；;！!？?\n]{0,6}(?:发给|发来|发过来|发我|告诉我|告诉你|提供给|报给|给我|给你|给客服)` +
	`|(?:帮|替|代)(?:顾客|客人|持卡人|他|她|对方)?(?:输|按|输入|按下)(?:入)?(?:一下)?(?:他的|她的|顾客的|客人的)?密码` +
	`|\b(?:send|give|provide|share|read out|ask (?:the customer |the cardholder |them |him |her )?for)\b[^.;!?\n]{0,24}\b(?:pin|cvv|cvc|cvn|security code|sms code|verification code|one-time (?:code|password)|otp|full card number)\b` +
	`|\btell (?:me|us|support|the bot)\b[^.;!?\n]{0,16}\b(?:pin|cvv|cvc|security code|sms code|verification code|card number)\b` +
	`|\b(?:enter|key in|type in|type)\b[^.;!?\n]{0,16}\b(?:pin|password)\b[^.;!?\n]{0,8}\bfor (?:them|him|her|the customer|the cardholder)\b`)

const secretNouns = `密码|pin|cvv|cvn|cvc|安全码|验证码|动态码|完整(?:的)?卡号|卡号全|卡(?:片)?背面(?:的)?(?:三位|数字)`

// unsafeAdvice is advice to split a payment under a limit or to retry a
// decline again and again.
var unsafeAdvice = regexp.MustCompile(`(?i)分(?:成)?(?:几|多|两|2|3|三)?(?:笔|次)(?:刷|付|支付|收|交易)|拆(?:成|开|分)|分开刷|分单|` +
	`多刷几(?:次|遍)|反复刷|反复重试|一直刷|连续刷|再刷几(?:次|遍)|多试几(?:次|遍)|刷到成功|` +
	`\bsplit\b[^.;!?\n]{0,16}\b(?:payment|amount|transaction|bill)s?\b|\bkeep (?:trying|swiping|retrying)\b|\b(?:try|retry|swipe)\b[^.;!?\n]{0,12}\b(?:several|many|multiple|a few more) times\b|\buntil it (?:goes through|works)\b`)

// phoneNumber matches phone numbers: mobiles, 95xxx and 400/800 hotlines,
// landlines.
var phoneNumber = regexp.MustCompile(`(?:\+?86[- ]?)?1[3-9]\d{9}|400[- ]?\d{3}[- ]?\d{4}|800[- ]?\d{3}[- ]?\d{4}|0\d{2,3}[- ]\d{7,8}|\b9[0-9]{4}\b`)

// Validate checks a model-written answer against its draft and returns
// ErrInvalidAnswer, wrapped with the reason, when it must not be sent:
// empty or too long; card data; quoting the instructions; asking for a PIN,
// CVV, SMS code or card number, or telling the merchant to key in a
// customer's PIN; advice to split a payment or retry a decline again and
// again; the top passage's key terms, the code or its escalation target
// missing; a phone number the passages do not give; a step the passage's
// "avoid" items forbid.
func Validate(out string, d Draft) error {
	out = strings.TrimSpace(out)
	if out == "" {
		return fmt.Errorf("%w: empty", ErrInvalidAnswer)
	}
	if n := utf8.RuneCountInString(out); n > MaxAnswerRunes {
		return fmt.Errorf("%w: %d runes", ErrInvalidAnswer, n)
	}
	if redact.Redact(out).Found() {
		return fmt.Errorf("%w: contains card data", ErrInvalidAnswer)
	}
	if prompts.Leaks(out) {
		return fmt.Errorf("%w: quotes the instructions", ErrInvalidAnswer)
	}
	// A passage's title names the situation ("顾客让收银员代输密码"); it is
	// not advice.
	advice := out
	for _, p := range d.Passages {
		advice = strings.ReplaceAll(advice, p.Title, " ")
	}
	if c, ok := unnegated(advice, secretRequest); ok {
		return fmt.Errorf("%w: asks for card secrets (%q)", ErrInvalidAnswer, c)
	}
	if c, ok := unnegated(advice, unsafeAdvice); ok {
		return fmt.Errorf("%w: unsafe advice (%q)", ErrInvalidAnswer, c)
	}
	if len(d.Passages) == 0 {
		return nil
	}
	p := d.Passages[0]
	if d.Lang != "en" {
		for _, k := range p.KeyTerms {
			if !strings.Contains(out, k) {
				return fmt.Errorf("%w: key term %q missing", ErrInvalidAnswer, k)
			}
		}
	}
	if d.Code != "" && !strings.Contains(out, d.Code) {
		return fmt.Errorf("%w: code %s missing", ErrInvalidAnswer, d.Code)
	}
	if re, ok := targetPhrases[p.Target]; ok && !re.MatchString(out) {
		return fmt.Errorf("%w: escalation target %s missing", ErrInvalidAnswer, p.Target)
	}
	if n := unsupportedPhone(out, d.Passages); n != "" {
		return fmt.Errorf("%w: phone number %s not in the passages", ErrInvalidAnswer, n)
	}
	if d.Lang != "en" {
		if a, c := contradicts(out, p.Avoid); a != "" {
			return fmt.Errorf("%w: %q goes against %q", ErrInvalidAnswer, c, a)
		}
	}
	return nil
}

// sentences splits text at sentence punctuation and line breaks.
func sentences(s string) []string {
	s = strings.ReplaceAll(s, ". ", "\n")
	return strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune("。；;！!？?\n", r) })
}

// warning, after a phrase in the same sentence, makes it a warning too:
// "替顾客输入密码，顾客主动说出也不要接", "反复重试可能产生费用".
var warning = regexp.MustCompile(`(?i)不要|不得|不能|不可以|不允许|违规|违反|禁止|严禁|可能(?:会)?(?:导致|产生|被)|会(?:导致|产生|被)|容易|风险|\bis not allowed\b|\bnot allowed\b|\bmay (?:cause|lead|incur)\b`)

// restart, after a comma, begins a new instruction that a negation earlier
// in the sentence does not reach: "不要着急，请把密码发给我".
var restart = regexp.MustCompile(`(?i)[，,]\s*(?:请|麻烦|你|您|赶紧|马上|直接|先|然后|再|please|you should|you must|then)`)

// unnegated returns the first sentence in which re matches without a
// negation before the match that reaches it.
func unnegated(s string, re *regexp.Regexp) (string, bool) {
	for _, c := range sentences(s) {
		for _, m := range re.FindAllStringIndex(c, -1) {
			neg := negation.FindAllStringIndex(c[:m[0]], -1)
			if len(neg) > 0 && !restart.MatchString(c[neg[len(neg)-1][1]:m[0]]) {
				continue
			}
			if w := warning.FindStringIndex(c[m[1]:]); w != nil && !restart.MatchString(c[m[1]:m[1]+w[0]]) {
				continue
			}
			return c, true
		}
	}
	return "", false
}

// unsupportedPhone returns a phone number in out that no passage gives.
func unsupportedPhone(out string, ps []knowledge.Passage) string {
	var known strings.Builder
	for _, p := range ps {
		known.WriteString(digitsOnly(p.Text()))
		known.WriteByte(' ')
		for _, s := range p.Sources {
			known.WriteString(digitsOnly(s))
			known.WriteByte(' ')
		}
	}
	for _, m := range phoneNumber.FindAllString(out, -1) {
		if n := digitsOnly(m); !strings.Contains(known.String(), n) {
			return n
		}
	}
	return ""
}

func digitsOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if '0' <= r && r <= '9' {
			return r
		}
		if r == ' ' {
			return ' '
		}
		return -1
	}, s)
}

// prohibitionPrefix opens an "avoid" item.
var prohibitionPrefix = regexp.MustCompile(`^(?:千万|绝对)?(?:不要|不得|不能|不可|切勿|严禁|禁止|绝不|别|勿|避免)(?:再|去|让|给|把|在)?`)

// contradicts returns an avoid item, and the clause of out that does what
// it forbids without saying not to: most of the item's action (its
// character bigrams) in one clause with no negation.
func contradicts(out string, avoid []string) (string, string) {
	for _, a := range avoid {
		action := prohibitionPrefix.ReplaceAllString(strings.TrimSpace(a), "")
		grams := bigrams(action)
		if len(grams) < 3 {
			continue
		}
		for _, c := range sentences(out) {
			if negation.MatchString(c) || strings.Contains(c, strings.TrimSpace(a)) {
				continue // a warning, or the item itself quoted
			}
			have := bigrams(c)
			hit := 0
			for g := range grams {
				if have[g] {
					hit++
				}
			}
			if float64(hit) >= 0.7*float64(len(grams)) {
				return a, c
			}
		}
	}
	return "", ""
}

// bigrams returns the character bigrams of the Chinese runs of s.
func bigrams(s string) map[string]bool {
	out := map[string]bool{}
	var prev rune
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			if prev != 0 {
				out[string([]rune{prev, r})] = true
			}
			prev = r
		} else {
			prev = 0
		}
	}
	return out
}
