// Package redact masks card data in merchants' messages: card numbers (PANs)
// and anything offered as a PIN, CVV, SMS code or expiry date.
//
// It runs once, at the engine's entry, on every typed or OCR'd message, so
// that no log, store, model or reply ever holds a raw value. It errs towards
// masking: a masked order number costs a follow-up question, a leaked card
// number cannot be taken back.
package redact

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Result is the masked text and what was masked in it.
type Result struct {
	// Text is the input with card data masked.
	Text string
	// PANs counts masked card numbers.
	PANs int
	// Secrets counts masked PINs, CVVs, SMS codes and expiry dates.
	Secrets int

	// masked are the digit runs the masking removed, kept for Scrub only:
	// the Result lives for one message and is never stored or logged.
	masked []string
}

// Scrub masks in out every digit run that Redact removed from the message,
// wherever it appears: a reply must not repeat a volunteered CVV even by
// coincidence ("583" inside "ISO 8583"). It returns out unchanged when
// nothing was masked.
func (r Result) Scrub(out string) string {
	for _, v := range r.masked {
		out = strings.ReplaceAll(out, v, strings.Repeat("*", len(v)))
	}
	return out
}

// Found reports whether anything was masked.
func (r Result) Found() bool { return r.PANs+r.Secrets > 0 }

// secretMask replaces a secret whatever its length, so the mask does not tell
// how long the PIN or code was.
const secretMask = "******"

// Redact masks card numbers and card secrets in s.
//
// Card numbers are 13–19 digits, optionally grouped by single spaces or
// dashes, that pass the Luhn check; they become first 6 + "*"… + last 4,
// contiguous. 16–19 digits right after a card keyword (卡号, 银行卡, card
// number) are masked even when the check fails, since a mistyped card number
// is still card data. One exception: a 15-digit number labelled 商户号 stays,
// being a merchant number that passed Luhn by chance. Full-width digits are
// converted to ASCII first.
//
// Values offered as a PIN, CVV, SMS code or expiry date ("密码是123456",
// "cvv 123", "有效期 12/28") become "******" whatever their length; words
// about PINs without a value ("密码错了3次") are left alone.
//
// Redact is idempotent: masking already masked text changes nothing.
func Redact(s string) Result {
	s = halfWidthDigits(s)
	in := s
	var r Result
	s, r.PANs = maskPANs(s)
	s, r.Secrets = maskSecrets(s)
	r.Text = s
	if r.Found() {
		for _, v := range digitRun.FindAllString(in, -1) {
			if !strings.Contains(s, v) {
				r.masked = append(r.masked, v)
			}
		}
	}
	return r
}

// digitRun is a run of three or more digits: the shortest secret, a CVV.
var digitRun = regexp.MustCompile(`[0-9]{3,}`)

// halfWidthDigits turns ０–９ into 0–9 and leaves every other byte, even an
// invalid one, as it was.
func halfWidthDigits(s string) string {
	if !strings.ContainsRune(s, '０') && !strings.ContainsAny(s, "１２３４５６７８９") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r >= '０' && r <= '９' {
			b.WriteByte(byte('0' + r - '０'))
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// group is a maximal run of ASCII digits, by byte offsets.
type group struct{ start, end int }

func (g group) len() int { return g.end - g.start }

// span is a candidate card number: groups[from..to] of one run.
type span struct {
	from, to  int
	digits    int
	plausible bool // every group has 3+ digits, as card groupings do
}

// cardKeyword, at the end of the text before a run of digits, marks a card
// number the merchant typed on purpose: at most six runes and no digit sit
// between the keyword and the number ("卡号是：", "card no. ").
var cardKeyword = regexp.MustCompile(`(?i)(?:卡号|银行卡|信用卡|储蓄卡|借记卡|\bcard\s*(?:number|num|no\.?|#))[^0-9]{0,6}$`)

// keywordWindow is how many bytes before a run may hold the keyword and gap.
const keywordWindow = 48

// merchantLabel precedes a merchant number (商户号), which is 15 characters
// with no check digit: about one in ten passes Luhn by chance, and masking
// it would leave the bot unable to read the number it asks for.
var merchantLabel = regexp.MustCompile(`商户(?:编号|号码?|代码)(?:\s|[:：是为])*$`)

// maskPANs masks card numbers and returns the new text and how many it masked.
func maskPANs(s string) (string, int) {
	groups := digitGroups(s)
	if len(groups) == 0 {
		return s, 0
	}
	var masked []span
	for _, run := range runs(s, groups) {
		masked = append(masked, chooseSpans(s, groups, run)...)
	}
	if len(masked) == 0 {
		return s, 0
	}
	// chooseSpans returns a run's spans best first, not left to right.
	slices.SortFunc(masked, func(a, b span) int { return cmp.Compare(a.from, b.from) })

	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for _, sp := range masked {
		start, end := groups[sp.from].start, groups[sp.to].end
		b.WriteString(s[last:start])
		var digits []byte
		for _, g := range groups[sp.from : sp.to+1] {
			digits = append(digits, s[g.start:g.end]...)
		}
		b.Write(digits[:6])
		b.WriteString(strings.Repeat("*", len(digits)-10))
		b.Write(digits[len(digits)-4:])
		last = end
	}
	b.WriteString(s[last:])
	return b.String(), len(masked)
}

func digitGroups(s string) []group {
	var gs []group
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		gs = append(gs, group{i, j})
		i = j
	}
	return gs
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// hasDigitRun reports whether s holds n or more ASCII digits in a row.
func hasDigitRun(s string, n int) bool {
	run := 0
	for i := range len(s) {
		if !isDigit(s[i]) {
			run = 0
			continue
		}
		if run++; run >= n {
			return true
		}
	}
	return false
}

// runs splits groups into runs that may form one card number: neighbours
// joined by exactly one separator. Groups that are halves of an earlier mask
// ("622202" and "0123" around the stars) and labelled merchant numbers end a
// run and belong to none, which is what makes Redact idempotent.
func runs(s string, groups []group) [][2]int {
	var out [][2]int
	start := -1
	for i, g := range groups {
		if barrier(s, groups, i) {
			if start >= 0 {
				out = append(out, [2]int{start, i - 1})
			}
			start = -1
			continue
		}
		if start >= 0 && !isSeparator(s[groups[i-1].end:g.start]) {
			out = append(out, [2]int{start, i - 1})
			start = -1
		}
		if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out = append(out, [2]int{start, len(groups) - 1})
	}
	return out
}

func isSeparator(between string) bool {
	switch between {
	case " ", "-", "\u3000", "－":
		return true
	}
	return false
}

// barrier reports whether groups[i] must not be part of a card number.
func barrier(s string, groups []group, i int) bool {
	g := groups[i]
	switch g.len() {
	case 6: // head of a mask: 6 digits, 3+ stars, 4 digits
		if i+1 < len(groups) && groups[i+1].len() == 4 && stars(s[g.end:groups[i+1].start]) {
			return true
		}
	case 4: // tail of a mask
		if i > 0 && groups[i-1].len() == 6 && stars(s[groups[i-1].end:g.start]) {
			return true
		}
	case 15:
		return merchantLabel.MatchString(s[max(0, g.start-32):g.start])
	}
	return false
}

func stars(between string) bool {
	return len(between) >= 3 && strings.Trim(between, "*") == ""
}

// followsKeyword reports whether a card keyword comes shortly before offset.
func followsKeyword(s string, offset int) bool {
	from := max(0, offset-keywordWindow)
	for from < offset && !utf8.RuneStart(s[from]) {
		from++
	}
	return cardKeyword.MatchString(s[from:offset])
}

// chooseSpans picks the card numbers in run [first, last] of groups. Every
// Luhn-valid span of 13–19 digits ends up masked or overlapping a masked one;
// plausible groupings and longer spans win, so in "51 6222 0212 3456 7890"
// the response code 51 stays outside the card number when it can.
func chooseSpans(s string, groups []group, run [2]int) []span {
	var cands []span
	if sp, ok := keywordSpan(groups, run); ok && followsKeyword(s, groups[run[0]].start) {
		cands = append(cands, sp)
	}
	keyed := len(cands)
	for from := run[0]; from <= run[1]; from++ {
		n, plausible := 0, true
		for to := from; to <= run[1]; to++ {
			n += groups[to].len()
			plausible = plausible && groups[to].len() >= 3
			if n > 19 {
				break
			}
			if n >= 13 && luhn(s, groups[from:to+1]) {
				cands = append(cands, span{from, to, n, plausible})
			}
		}
	}
	if len(cands) == 0 {
		return nil
	}
	// The keyword span, if any, is taken first; then the best Luhn spans.
	slices.SortFunc(cands[keyed:], bestFirst)
	var chosen []span
	for _, c := range cands {
		if !overlapsAny(c, chosen) {
			chosen = append(chosen, c)
		}
	}
	return chosen
}

// keywordSpan is the longest prefix of the run holding 16–19 digits,
// preferring one made of plausible groups.
func keywordSpan(groups []group, run [2]int) (span, bool) {
	var best span
	found := false
	n, plausible := 0, true
	for to := run[0]; to <= run[1]; to++ {
		n += groups[to].len()
		plausible = plausible && (groups[to].len() >= 3 || to == run[0])
		if n > 19 {
			break
		}
		if n >= 16 {
			c := span{run[0], to, n, plausible}
			if !found || bestFirst(c, best) < 0 {
				best, found = c, true
			}
		}
	}
	return best, found
}

// bestFirst orders spans: plausible groupings, then more digits, then leftmost.
func bestFirst(a, b span) int {
	if a.plausible != b.plausible {
		if a.plausible {
			return -1
		}
		return 1
	}
	return cmp.Or(cmp.Compare(b.digits, a.digits), cmp.Compare(a.from, b.from))
}

func overlapsAny(c span, chosen []span) bool {
	for _, o := range chosen {
		if c.from <= o.to && o.from <= c.to {
			return true
		}
	}
	return false
}

// luhn reports whether the digits of gs, read as one number, pass the mod-10
// check (ISO/IEC 7812-1).
func luhn(s string, gs []group) bool {
	sum, double := 0, false
	for i := len(gs) - 1; i >= 0; i-- {
		for j := gs[i].end - 1; j >= gs[i].start; j-- {
			d := int(s[j] - '0')
			if double {
				d *= 2
				if d > 9 {
					d -= 9
				}
			}
			sum += d
			double = !double
		}
	}
	return sum%10 == 0
}

// secretPIN matches a PIN, CVV or SMS code offered with its label: the label,
// connecting words ("是", "为", ":", "还是初始的"), then the digits. The
// connectors are a closed list so that "密码错了3次" or an answer saying
// "密码重置请拨打95516" does not match.
var secretPIN = regexp.MustCompile(`(?i)(?:密码|口令|\bpin(?:码|\s*code)?|\bpass(?:word|code)|\bcv[vcn]2?|安全码|(?:卡)?背[面后](?:的)?(?:三|3)位(?:数字|数|码)?|验证码|动态码|\botp|\b(?:sms|verification)\s*code)` + secretConnectors + `(\d+)`)

const secretConnectors = `(?:\s|[:：=是为的]|就是|还是|都是|其实|应该|好像|大概|一般|初始|原来|原始|默认|设置|设成|改成|改为)*`

// secretExpiry matches an expiry date offered with its label.
var secretExpiry = regexp.MustCompile(`(?i)(?:有效期|\bexp(?:iry|iration)?(?:\s*date)?|\bvalid\s*(?:thru|through|until))(?:\s|[:：=是为至到]|截止)*(\d{1,4}\s*[/\-.年]\s*\d{1,4}(?:\s*月)?|\d{4})`)

// maskSecrets masks secret values and returns the new text and their number.
func maskSecrets(s string) (string, int) {
	// The patterns are costly on long texts; most messages cannot match them.
	var found [][2]int
	if hasDigitRun(s, 3) {
		for _, m := range secretPIN.FindAllStringSubmatchIndex(s, -1) {
			if n := m[3] - m[2]; n >= 3 && n <= 8 && standsAlone(s, m[2], m[3]) {
				found = append(found, [2]int{m[2], m[3]})
			}
		}
	}
	if lower := strings.ToLower(s); strings.Contains(s, "有效期") || strings.Contains(lower, "exp") || strings.Contains(lower, "valid") {
		for _, m := range secretExpiry.FindAllStringSubmatchIndex(s, -1) {
			if standsAlone(s, m[2], m[3]) {
				found = append(found, [2]int{m[2], m[3]})
			}
		}
	}
	if len(found) == 0 {
		return s, 0
	}
	slices.SortFunc(found, func(a, b [2]int) int { return cmp.Compare(a[0], b[0]) })

	var b strings.Builder
	last, n := 0, 0
	for _, f := range found {
		if f[0] < last { // overlapping matches of the two patterns
			continue
		}
		b.WriteString(s[last:f[0]])
		b.WriteString(secretMask)
		last = f[1]
		n++
	}
	b.WriteString(s[last:])
	return b.String(), n
}

// standsAlone reports whether s[start:end] is a whole value: not the front of
// a longer number and not half of an already masked card number.
func standsAlone(s string, start, end int) bool {
	if end < len(s) && (isDigit(s[end]) || s[end] == '*') {
		return false
	}
	return start == 0 || !isDigit(s[start-1])
}
