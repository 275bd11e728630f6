package redact

import (
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// separators are what FuzzHiddenCard puts between digit groups: every kind
// of whitespace, invisible character, line break, dash, dot and comma.
var separators = []string{" ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff",
	"\u3000", "\u2009", "\u202f", "-", "－", "–", "—", ".", "．", "。", ",", "，", "、", "_", "·", "•", "~", "|", "…", "!", "?", ";", "；", "\"", "'", "🙂"}

// splitWords are what FuzzHiddenCard puts between groups of three or more
// digits when it splits a number with words.
var splitWords = []string{"后面是", "然后", "接着", "再是", "，后面", "and", "then", "是", "还有", "next"}

// hidden builds a Luhn-valid card number of n digits (13–19) from seed and
// writes it with groups and separators chosen by shape; words says whether
// groups may be split by words. It returns the text and the card's digits.
func hidden(seed uint64, n int, shape []byte, words bool) (string, string) {
	digits := make([]byte, n)
	for i := range n - 1 {
		seed = seed*6364136223846793005 + 1442695040888963407
		digits[i] = byte('0' + (seed>>33)%10)
	}
	digits[n-1] = '0'
	for d := byte('0'); d <= '9'; d++ {
		digits[n-1] = d
		if luhnDigits(string(digits)) {
			break
		}
	}
	var b strings.Builder
	for i, k := 0, 0; i < n; k++ {
		size := n - i
		if k < len(shape) {
			size = int(shape[k]%uint8(n)) + 1
		}
		if words && size < minWordGroup {
			size = minWordGroup
		}
		size = min(size, n-i)
		if words && n-i-size > 0 && n-i-size < minWordGroup {
			size = n - i // keep the last group long enough too
		}
		for _, d := range digits[i : i+size] {
			writeDigit(&b, d, shape, k)
		}
		i += size
		if i == n {
			break
		}
		sel := 0
		if k < len(shape) {
			sel = int(shape[k] >> 3)
		}
		if words && sel%3 == 0 {
			b.WriteString(" " + splitWords[sel%len(splitWords)] + " ")
			continue
		}
		for j := 0; j <= sel%3; j++ {
			b.WriteString(separators[(sel+j*7)%len(separators)])
		}
	}
	return b.String(), string(digits)
}

// writeDigit writes d as an ASCII, full-width or Arabic-Indic digit.
func writeDigit(b *strings.Builder, d byte, shape []byte, k int) {
	style := 0
	if len(shape) > 0 {
		style = int(shape[(k+1)%len(shape)] % 5)
	}
	switch style {
	case 3:
		b.WriteRune('０' + rune(d-'0'))
	case 4:
		b.WriteRune('٠' + rune(d-'0'))
	default:
		b.WriteByte(d)
	}
}

func luhnDigits(s string) bool {
	sum, double := 0, false
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if double {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// visibleDigits keeps only the digits (as ASCII) and mask stars of s: the
// separators ignored, a mask still ends a run of digits.
func visibleDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch v := digitValue(r); {
		case v >= 0:
			b.WriteByte(byte('0' + v))
		case r == '*':
			b.WriteByte('*')
		}
	}
	return b.String()
}

// noDigits removes every digit, Chinese numeral and star from s, so the
// context of a fuzzed card holds no other number.
func noDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if digitValue(r) >= 0 || unicode.IsDigit(r) || chineseDigits[r] > 0 || r == '零' || r == '〇' || r == '*' || r == '＊' {
			return -1
		}
		return r
	}, s)
}

// leak returns an 8-digit window of card that survives in out, or "".
func leak(out, card string) string {
	vis := visibleDigits(out)
	for i := 0; i+8 <= len(card); i++ {
		if strings.Contains(vis, card[i:i+8]) {
			return card[i : i+8]
		}
	}
	return ""
}

// FuzzHiddenCard: for any text containing a Luhn-valid 13–19 digit number
// hidden with arbitrary separators (or split by words into groups of three
// or more digits), no 8-digit window of the number survives redaction,
// separators ignored. The one documented exception, a 15-digit number
// starting with 8 labelled 商户号, is skipped.
func FuzzHiddenCard(f *testing.F) {
	f.Add(uint64(1), uint8(19), []byte{3, 3, 3, 3, 2}, "卡号", "刷不了", false)
	f.Add(uint64(7), uint8(16), []byte{0x21, 0x43, 0x65, 0x87}, "显示51 ", " 余额不足", false)
	f.Add(uint64(42), uint8(13), []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, "", "", false)
	f.Add(uint64(9), uint8(18), []byte{5, 9, 4}, "我的卡前面是", "谢谢", true)
	f.Add(uint64(3), uint8(15), []byte{15}, "商户号", "", false)
	f.Fuzz(func(t *testing.T, seed uint64, n uint8, shape []byte, prefix, suffix string, words bool) {
		size := 13 + int(n)%7
		card, digits := hidden(seed, size, shape, words)
		prefix, suffix = noDigits(prefix), noDigits(suffix)
		if size == 15 && digits[0] == '8' && merchantLabel.MatchString(strings.ToLower(prefix)) {
			t.Skip("a labelled merchant number, not a card (see Redact)")
		}
		in := prefix + card + suffix
		out := Redact(in).Text
		if w := leak(out, digits); w != "" {
			t.Fatalf("Redact(%q) = %q keeps %s of card %s", in, out, w, digits)
		}
	})
}

// FuzzRedact: on any input Redact never panics, is idempotent, and leaves
// nothing a second pass would mask.
func FuzzRedact(f *testing.F) {
	for _, tc := range redactCases {
		f.Add(tc.in)
	}
	for _, tc := range formCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Redact(in)
		again := Redact(out.Text)
		if again.Text != out.Text || again.Found() {
			t.Fatalf("not idempotent: Redact(%q) = %q, then %q", in, out.Text, again.Text)
		}
	})
}

// FuzzCodeNotSecret checks codeNotSecret against the regular expression it
// replaced.
func FuzzCodeNotSecret(f *testing.F) {
	re := regexp.MustCompile(`(?:` + strings.Join(notSecretWords, "|") + `)\s*$`)
	for _, s := range []string{"error ", "the error\t\n", "rc", "my code", "status  ", "errors ", "auth\v", "银行 bank \f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := codeNotSecret(s), re.MatchString(s); got != want {
			t.Fatalf("codeNotSecret(%q) = %v, the expression says %v", s, got, want)
		}
	})
}
