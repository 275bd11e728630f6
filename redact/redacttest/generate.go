// Package redacttest generates merchant messages that hold card data in
// the forms merchants type it, for tests of redaction anywhere in posbot.
package redacttest

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Generated is one generated merchant message with the card data it holds.
type Generated struct {
	Text string
	// Card is the card number's digits, "" if none.
	Card string
	// Secrets are the secret values as typed (digits or passwords).
	Secrets []string
}

// cardStyles write a card number's digits the ways merchants do.
var cardStyles = []func(r *rand.Rand, d string) string{
	func(_ *rand.Rand, d string) string { return d },
	func(_ *rand.Rand, d string) string { return groupBy(d, 4, " ") },
	func(_ *rand.Rand, d string) string { return groupBy(d, 4, "  ") },
	func(_ *rand.Rand, d string) string { return groupBy(d, 4, "-") },
	func(_ *rand.Rand, d string) string { return groupBy(d, 4, "\n") },
	func(_ *rand.Rand, d string) string { return groupBy(d, 4, "\r\n") },
	func(_ *rand.Rand, d string) string { return groupBy(d, 4, "\t") },
	func(_ *rand.Rand, d string) string { return groupBy(d, 4, "\u00a0") },
	func(_ *rand.Rand, d string) string { return groupBy(d, 4, "\u200b") },
	func(_ *rand.Rand, d string) string { return groupBy(d, 4, "\u3000") },
	func(_ *rand.Rand, d string) string { return groupBy(d, 4, "，") },
	func(_ *rand.Rand, d string) string { return groupBy(d, 4, ",") },
	func(_ *rand.Rand, d string) string { return groupBy(d, 4, ".") },
	func(_ *rand.Rand, d string) string { return groupBy(d, 4, "、") },
	func(_ *rand.Rand, d string) string { return groupBy(d, 6, " ") },
	func(_ *rand.Rand, d string) string { return groupBy(d, 1, " ") },
	func(_ *rand.Rand, d string) string { return fullWidth(groupBy(d, 4, " ")) },
	func(_ *rand.Rand, d string) string { return fullWidth(d) },
	func(_ *rand.Rand, d string) string { return spoken(d) },
	func(r *rand.Rand, d string) string { // split by words
		k := 6 + r.IntN(len(d)-9)
		return d[:k] + []string{"，后面是", " 然后 ", " 接着是", " then "}[r.IntN(4)] + d[k:]
	},
	func(r *rand.Rand, d string) string { // random groups and separators
		seps := []string{" ", "-", ".", "\n", "\u200b", "，", "  ", "\u00a0"}
		var b strings.Builder
		for i := 0; i < len(d); {
			n := min(len(d)-i, 1+r.IntN(6))
			b.WriteString(d[i : i+n])
			if i += n; i < len(d) {
				b.WriteString(seps[r.IntN(len(seps))])
			}
		}
		return b.String()
	},
}

func groupBy(d string, n int, sep string) string {
	var parts []string
	for i := 0; i < len(d); i += n {
		parts = append(parts, d[i:min(len(d), i+n)])
	}
	return strings.Join(parts, sep)
}

func fullWidth(s string) string {
	return strings.Map(func(r rune) rune {
		if '0' <= r && r <= '9' {
			return '０' + r - '0'
		}
		return r
	}, s)
}

func spoken(d string) string {
	names := []rune("零一二三四五六七八九")
	var b strings.Builder
	for _, c := range d {
		b.WriteRune(names[c-'0'])
	}
	return b.String()
}

var cardFrames = []string{
	"卡号%s刷不了", "客人的卡%s 显示余额不足51", "这张卡 %s 一直提示交易失败", "%s\n交易失败 应答码05", "帮我查下这张卡%s是不是被冻结了",
	"card number %s declined with 51", "顾客说他的卡是%s，刷了三次都不行", "卡：%s 密码错了", "我把卡号发你：%s", "显示55 %s",
	"%s 这个卡号对不对", "小票上写着 %s", "the card %s keeps failing", "银行卡%s\n商户号898310048161234\n终端号12345678",
}

// secretFrames hold one secret each: %s is the value.
var secretFrames = []struct {
	frame string
	kind  int // 0 PIN, 1 CVV, 2 SMS, 3 expiry, 4 password
}{
	{"密码是%s", 0}, {"密码 %s", 0}, {"顾客密码%s输了好几次", 0}, {"PIN码为%s", 0}, {"the pin is %s", 0}, {"my pin: %s", 0},
	{"密码还是初始的 %s 没改过", 0}, {"支付密码：%s", 0}, {"取款密码 %s 对的", 0},
	{"卡背面后三位是%s", 1}, {"后三位%s", 1}, {"cvv %s", 1}, {"the cvv is %s", 1}, {"安全码%s", 1}, {"背面三位数：%s", 1}, {"CVV2:%s", 1},
	{"验证码发过来了，是%s", 2}, {"验证码 %s", 2}, {"短信验证码是%s", 2}, {"the code is %s", 2}, {"sms code %s", 2}, {"动态码：%s", 2}, {"otp %s", 2},
	{"卡%s到期", 3}, {"有效期 %s", 3}, {"exp %s", 3}, {"valid thru %s", 3}, {"卡的有效期是%s", 3},
	{"密码是%s", 4}, {"password is %s", 4},
}

func secretValue(r *rand.Rand, kind int) (typed, value string) {
	digits := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteByte(byte('0' + r.IntN(10)))
		}
		return b.String()
	}
	switch kind {
	case 0:
		v := digits(4 + 2*r.IntN(2))
		if r.IntN(4) == 0 { // "123 456"
			return v[:len(v)/2] + " " + v[len(v)/2:], v
		}
		return v, v
	case 1:
		v := digits(3)
		return v, v
	case 2:
		v := digits(4 + r.IntN(3))
		return v, v
	case 3:
		mm, yy := 1+r.IntN(12), 26+r.IntN(10)
		if r.IntN(3) == 0 {
			v := fmt.Sprintf("20%d年%d月", yy, mm)
			return v, fmt.Sprintf("20%d", yy)
		}
		v := fmt.Sprintf("%02d/%d", mm, yy)
		return v, v
	default:
		v := []string{"abc", "pos", "Wang", "xy"}[r.IntN(4)] + digits(3+r.IntN(4))
		return v, v
	}
}

// Generate returns n messages with card numbers and secrets in the forms
// merchants type them, from seed.
func Generate(seed uint64, n int) []Generated {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]Generated, 0, n)
	for range n {
		var g Generated
		var parts []string
		if r.IntN(10) < 6 {
			size := 13 + r.IntN(7)
			digits := []byte(fmt.Sprint(3 + r.IntN(4)))
			for len(digits) < size-1 {
				digits = append(digits, byte('0'+r.IntN(10)))
			}
			digits = append(digits, '0')
			for d := byte('0'); d <= '9'; d++ {
				digits[size-1] = d
				if Luhn(string(digits)) {
					break
				}
			}
			g.Card = string(digits)
			parts = append(parts, fmt.Sprintf(cardFrames[r.IntN(len(cardFrames))], cardStyles[r.IntN(len(cardStyles))](r, g.Card)))
		}
		if len(parts) == 0 || r.IntN(3) == 0 {
			f := secretFrames[r.IntN(len(secretFrames))]
			typed, value := secretValue(r, f.kind)
			for strings.Contains(g.Card, Digits(value)) {
				typed, value = secretValue(r, f.kind)
			}
			g.Secrets = append(g.Secrets, value)
			parts = append(parts, fmt.Sprintf(f.frame, typed))
		}
		r.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
		g.Text = strings.Join(parts, []string{"，", "\n", " ", "。"}[r.IntN(4)])
		out = append(out, g)
	}
	return out
}

// Luhn reports whether the digits of s pass the mod-10 check.
func Luhn(s string) bool {
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

// Digits keeps the ASCII, full-width and Chinese-numeral digits of s, as
// ASCII, dropping the separators between them (whitespace, dashes, dots,
// commas); any other character, a mask star included, ends a run and
// stands as '|'.
func Digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case '0' <= r && r <= '9':
			b.WriteRune(r)
		case '０' <= r && r <= '９':
			b.WriteRune('0' + r - '０')
		case strings.ContainsRune(" \t\r\n\u00a0\u200b\u3000-.,，、。．－_·", r):
		default:
			if i := strings.IndexRune("零一二三四五六七八九", r); i >= 0 {
				b.WriteByte(byte('0' + i/3))
			} else {
				b.WriteByte('|')
			}
		}
	}
	return b.String()
}

// Leak returns what of g survives in out: an 8-digit window of its card
// number, or one of its secrets; "" when nothing does. A short secret (a
// CVV) counts only as a whole run of digits, so that "101" inside a
// timestamp is not taken for the CVV 101.
func (g Generated) Leak(out string) string {
	vis := Digits(out)
	for i := 0; i+8 <= len(g.Card); i++ {
		if strings.Contains(vis, g.Card[i:i+8]) {
			return g.Card[i : i+8]
		}
	}
	runs := strings.FieldsFunc(vis, func(r rune) bool { return r < '0' || r > '9' })
	for _, s := range g.Secrets {
		d := Digits(s)
		if strings.Contains(d, "|") { // a password or an expiry date: as typed
			if strings.Contains(strings.ToLower(out), strings.ToLower(s)) {
				return s
			}
			continue
		}
		for _, r := range runs {
			if r == d || len(d) >= 6 && strings.Contains(r, d) {
				return s
			}
		}
	}
	return ""
}
