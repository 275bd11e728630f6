// Package redact masks card data in merchants' messages: card numbers (PANs)
// and anything offered as a PIN, password, CVV, SMS code or expiry date.
//
// It runs at the engine's entry, before and after normalisation, on every
// typed or OCR'd message, so that no log, store, model or reply ever holds a
// raw value. It errs towards masking: a masked order number costs a
// follow-up question, a leaked card number cannot be taken back.
package redact

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Result is the masked text and what was masked in it.
type Result struct {
	// Text is the input with card data masked.
	Text string
	// PANs counts masked card numbers.
	PANs int
	// Secrets counts masked PINs, passwords, CVVs, SMS codes and expiry dates.
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

// Then returns the result of redacting r.Text again (next, for example after
// normalisation): next's text with the counts and masked values of both.
func (r Result) Then(next Result) Result {
	next.PANs += r.PANs
	next.Secrets += r.Secrets
	next.masked = append(append([]string(nil), r.masked...), next.masked...)
	return next
}

// secretMask replaces a secret whatever its length, so the mask does not tell
// how long the PIN or code was.
const secretMask = "******"

// Redact masks card numbers and card secrets in s.
//
// Card numbers are 13–19 digits that pass the Luhn check, whatever separates
// their groups: whitespace of any kind, invisible characters, line breaks,
// dashes, dots and commas (ASCII or full-width), or a few words ("6222 0212
// 后面是 3456 7890 128"). Digits may be ASCII, full-width or any Unicode
// decimal digit, or Chinese numerals spoken digit by digit. A number becomes
// its first 6 and last 4 digits around stars, at most, contiguous. 16–19
// digits right after a card keyword (卡号, 银行卡, card number) are masked
// even when the check fails, since a mistyped card number is still card data,
// and so is an unlabelled run of 20 or more digits, which may hide one. Two
// exceptions keep what the bot needs: a 15-digit number starting with 8
// labelled 商户号 (ISO 8583 field 42, not a PAN: no card scheme issues
// 15-digit numbers in that range), and numbers after identifier labels such
// as 订单号 or 流水号.
//
// Values offered as a PIN, password, CVV, SMS code or expiry date
// ("密码是123456", "密码 123 456", "后三位583", "the cvv is 583",
// "验证码发过来了，是583912", "卡12/28到期") become "******" whatever their
// length; words about PINs without a value ("密码错了3次") are left alone.
//
// Redact is idempotent: masking already masked text changes nothing.
func Redact(s string) Result {
	t := scan(s)
	var r Result
	cards, secrets := t.cardSpans(), t.secretSpans(s)
	if len(cards)+len(secrets) == 0 && !t.otherDigits {
		return Result{Text: s}
	}
	r.Text, r.PANs, r.Secrets, r.masked = t.render(cards, secrets)
	return r
}

// text is a message as runes, with each rune's digit value (-1 for a
// non-digit).
type text struct {
	rs  []rune
	val []int8
	// otherDigits is true when t holds decimal digits of another script
	// than ASCII (full-width ６, Arabic-Indic ٦), which Redact writes in ASCII.
	otherDigits bool
	// fullWidth is true when t holds full-width letters (ＰＩＮ).
	fullWidth bool
	// hidden marks the runes of secret values, which a card mask never keeps.
	hidden []bool
}

// chineseDigits are numerals read digit by digit ("六二二二…"): they count as
// digits only in runs of four or more, which ordinary text never has.
var chineseDigits = map[rune]int8{'零': 0, '〇': 0, '一': 1, '幺': 1, '二': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}

// minChineseRun is how many numerals in a row make Chinese digits.
const minChineseRun = 4

func scan(s string) *text {
	t := &text{rs: []rune(s)}
	t.val = make([]int8, len(t.rs))
	for i, r := range t.rs {
		t.val[i] = digitValue(r)
		t.otherDigits = t.otherDigits || r >= 0x80 && t.val[i] >= 0
		t.fullWidth = t.fullWidth || 'Ａ' <= r && r <= 'Ｚ' || 'ａ' <= r && r <= 'ｚ'
	}
	for i := 0; i < len(t.rs); {
		if _, ok := chineseDigits[t.rs[i]]; !ok {
			i++
			continue
		}
		j := i
		for j < len(t.rs) {
			if _, ok := chineseDigits[t.rs[j]]; !ok {
				break
			}
			j++
		}
		if j-i >= minChineseRun {
			for k := i; k < j; k++ {
				t.val[k] = chineseDigits[t.rs[k]]
			}
		}
		i = j
	}
	return t
}

// digitValue is the value of a decimal digit in any script, -1 otherwise.
func digitValue(r rune) int8 {
	switch {
	case '0' <= r && r <= '9':
		return int8(r - '0')
	case r < 0x80 || !unicode.Is(unicode.Nd, r):
		return -1
	}
	// Decimal digits come in runs of ten starting at zero; Go's table
	// merges neighbouring runs, which keeps the count modulo ten right.
	for _, rg := range unicode.Nd.R16 {
		if rune(rg.Lo) <= r && r <= rune(rg.Hi) {
			return int8((r - rune(rg.Lo)) % 10)
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if rune(rg.Lo) <= r && r <= rune(rg.Hi) {
			return int8((r - rune(rg.Lo)) % 10)
		}
	}
	return -1
}

func (t *text) digit(i int) bool { return i >= 0 && i < len(t.rs) && t.val[i] >= 0 }

// span is a range of runes to mask: [from, to). A card span keeps its first
// head and last tail digits; a secret is replaced whole.
type span struct {
	from, to   int
	card       bool
	head, tail int
	secrets    int // secrets a card mask came to cover
}

// render writes the text with the spans masked (they never overlap), digits
// outside them in ASCII, and returns what it masked.
func (t *text) render(cards, secrets []span) (string, int, int, []string) {
	// A secret typed next to a card number may be read into it ("密码
	// 475196，卡5937…"): the card's mask then covers it too, and none of
	// the secret's digits is among those it keeps.
	t.hidden = make([]bool, len(t.rs))
	spans := cards
	for _, sec := range secrets {
		for i := sec.from; i < sec.to; i++ {
			t.hidden[i] = true
		}
		inCard := false
		for k := range cards {
			if sec.from < cards[k].to && cards[k].from < sec.to {
				cards[k].from, cards[k].to = min(cards[k].from, sec.from), max(cards[k].to, sec.to)
				cards[k].secrets++
				inCard = true
			}
		}
		if !inCard {
			spans = append(spans, sec)
		}
	}
	sortSpans(spans)
	var b strings.Builder
	b.Grow(len(t.rs) + 8)
	pans, nsecrets := 0, 0
	var masked []string
	last := 0
	for _, sp := range spans {
		if sp.from < last {
			continue
		}
		t.writePlain(&b, last, sp.from)
		masked = append(masked, t.runs(sp.from, sp.to)...)
		if sp.card {
			pans++
			nsecrets += sp.secrets
			t.writeCard(&b, sp)
		} else {
			nsecrets++
			b.WriteString(secretMask)
		}
		last = sp.to
	}
	t.writePlain(&b, last, len(t.rs))
	return b.String(), pans, nsecrets, masked
}

// writePlain copies runes [from, to), writing decimal digits of other
// scripts (full-width ６) as ASCII.
func (t *text) writePlain(b *strings.Builder, from, to int) {
	for i := from; i < to; i++ {
		if r := t.rs[i]; r >= 0x80 && t.val[i] >= 0 && unicode.Is(unicode.Nd, r) {
			b.WriteByte(byte('0' + t.val[i]))
		} else {
			b.WriteRune(r)
		}
	}
}

// writeCard writes a masked card number: its first head digits, stars for
// the digits in between, its last tail digits, with the separators dropped;
// a group of one or two digits at either end keeps its separator, so a
// response code typed next to the number ("51 6222…") stays readable.
func (t *text) writeCard(b *strings.Builder, sp span) {
	var digits []int
	for i := sp.from; i < sp.to; i++ {
		if t.val[i] >= 0 {
			digits = append(digits, i)
		}
	}
	n := len(digits)
	first, last := groupLen(digits, 0, 1), groupLen(digits, n-1, -1)
	// Only a short group beside a long one is a code: "6 2 2 2 …" is one number.
	if first <= 2 && (first == n || groupLen(digits, first, 1) < 3) {
		first = n
	}
	if last <= 2 && (last == n || groupLen(digits, n-1-last, -1) < 3) {
		last = n
	}
	for k, i := range digits {
		if (k < sp.head || k >= n-sp.tail) && !t.hidden[i] {
			b.WriteByte(byte('0' + t.val[i]))
		} else {
			b.WriteByte('*')
		}
		if k+1 < n && (first <= 2 && k+1 == first || last <= 2 && k+1 == n-last) {
			b.WriteString(string(t.rs[i+1 : digits[k+1]]))
		}
	}
}

// groupLen counts the digits of the group holding digits[k], walking in
// direction dir (digits are rune offsets; a group is consecutive offsets).
func groupLen(digits []int, k, dir int) int {
	n := 1
	for j := k + dir; j >= 0 && j < len(digits) && digits[j] == digits[j-dir]+dir; j += dir {
		n++
	}
	return n
}

func (t *text) digits(from, to int) int {
	n := 0
	for i := from; i < to; i++ {
		if t.val[i] >= 0 {
			n++
		}
	}
	return n
}

// runs returns the ASCII digit runs of three or more digits in [from, to),
// for Scrub.
func (t *text) runs(from, to int) []string {
	var out []string
	var cur []byte
	flush := func() {
		if len(cur) >= 3 {
			out = append(out, string(cur))
		}
		cur = cur[:0]
	}
	for i := from; i < to; i++ {
		if t.val[i] >= 0 {
			cur = append(cur, byte('0'+t.val[i]))
		} else if !isSeparator(t.rs[i]) {
			flush()
		}
	}
	flush()
	return out
}

func sortSpans(spans []span) {
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.from, b.from) })
}

// before returns up to n runes of t before i, as a lower-cased string.
func (t *text) before(i, n int) string {
	return strings.ToLower(string(t.rs[max(0, i-n):i]))
}

// after returns up to n runes of t from i, as a lower-cased string.
func (t *text) after(i, n int) string {
	return strings.ToLower(string(t.rs[i:min(len(t.rs), i+n)]))
}

func runeLen(s string) int { return utf8.RuneCountInString(s) }
