package redact

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// Kinds of secret label, by what their values look like.
const (
	kindPIN      = iota // digits, or a password of letters and digits
	kindCVV             // three or four digits
	kindCode            // an SMS or verification code
	kindBareCode        // "the code is 583912": only with an explicit "is"/":"
)

// secretLabel matches the labels of card secrets in lower-cased text.
var secretLabel = regexp.MustCompile(
	`(?P<pin>密码|口令|\bpin(?:\s*(?:code|number|no\.?))?\b(?:\s*码)?|\bpass(?:word|code)\b|\bpasswd\b|\bpwd\b)` +
		`|(?P<cvv>\bcv[vcn]2?\b|安全码|卡验证码|背[面后](?:的)?(?:后|最后)?(?:三|3)位(?:数字|数|码)?|(?:后|末|最后)(?:三|3)位(?:数字|数|码)?|卡背面(?:的)?(?:数字|号码)?|\bsecurity\s*code\b|\bcard\s*verification(?:\s*(?:code|value))?\b)` +
		`|(?P<code>验证码|动态码|动态密码|短信码|校验码|\botp\b|\b(?:sms|verification|one[- ]time|security)\s*(?:code|pin|password)\b)` +
		`|(?P<bare>\bcode\b)`)

// labelHints are substrings of every secret label: the label expression
// runs only on text holding one of them.
var labelHints = []string{"密码", "口令", "pin", "pass", "pwd", "cv", "安全码", "验证", "三位", "3位", "背面", "动态", "短信码", "校验码", "otp", "security", "code"}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// freeRunes bounds the words between a label and its value
// ("验证码发过来了，是583912").
const freeRunes = 12

// connectors end the words between a label and its value: the value must
// follow a label directly or after one of them, so "密码错了3次" or
// "密码重置请拨打95516" offer no value.
var connectors = []string{"是", "为", "的", ":", "：", "=", "＝", "is", "was", "are", "of", "->", "→"}

// freeBarriers end the search for a value: other numbers' labels, phone
// numbers and counts.
var freeBarriers = strings.Fields(`电话 客服 热线 拨打 打 号码 终端号 商户号 参考号 金额 应答码 错误码 返回码 次 遍 回 天 元 块
	hotline call phone tel amount error response times`)

// notSecretWords are words before "code" that make it anything but an SMS code.
var notSecretWords = []string{"error", "err", "response", "resp", "return", "reason", "result", "rc", "auth", "approval",
	"authorization", "brand", "qr", "promo", "zip", "postal", "country", "area", "bank", "swift", "merchant", "terminal",
	"mcc", "status"}

// codeNotSecret reports whether the text before "code" ends with one of
// notSecretWords, spaces aside (what (?:error|…)\s*$ matches, without a
// regular expression tried at every offset of the text).
func codeNotSecret(before string) bool {
	before = strings.TrimRight(before, "\t\n\f\r ")
	for _, w := range notSecretWords {
		if strings.HasSuffix(before, w) {
			return true
		}
	}
	return false
}

// secretSpans finds secret values; overlapping ones are reported once.
func (t *text) secretSpans(s string) []span {
	if !slices.ContainsFunc(t.val, func(v int8) bool { return v >= 0 }) {
		return nil // every secret value holds a digit
	}
	if quick := strings.ToLower(s); !t.fullWidth && !containsAny(quick, labelHints) && !containsAny(quick, expiryHints) {
		return nil
	}
	low, at := t.lowered()
	var out []span
	add := func(sp span) {
		for _, c := range out {
			if sp.from < c.to && c.from < sp.to {
				return
			}
		}
		out = append(out, sp)
	}
	names := secretLabel.SubexpNames()
	var matches [][]int
	if containsAny(low, labelHints) {
		matches = secretLabel.FindAllStringSubmatchIndex(low, -1)
	}
	for _, m := range matches {
		kind := -1
		for i := 1; i < len(names); i++ {
			if m[2*i] >= 0 {
				kind = map[string]int{"pin": kindPIN, "cvv": kindCVV, "code": kindCode, "bare": kindBareCode}[names[i]]
			}
		}
		if kind == kindBareCode && codeNotSecret(low[:m[0]]) {
			continue
		}
		if sp, ok := t.valueAfter(at[m[1]], kind); ok {
			add(sp)
		}
	}
	for _, sp := range t.expiries(low, at) {
		add(sp)
	}
	return out
}

// lowered returns t as one lower-cased string with every decimal digit in
// ASCII and full-width letters and punctuation in ASCII, and the rune index
// of each byte offset (one past the end included).
func (t *text) lowered() (string, []int) {
	var b strings.Builder
	at := make([]int, 0, len(t.rs)*3+1)
	for i, r := range t.rs {
		switch {
		case t.val[i] >= 0 && unicode.Is(unicode.Nd, r):
			r = rune('0' + t.val[i])
		case '！' <= r && r <= '～':
			r = r - '！' + '!'
		}
		r = unicode.ToLower(r)
		n := b.Len()
		b.WriteRune(r)
		for range b.Len() - n {
			at = append(at, i)
		}
	}
	at = append(at, len(t.rs))
	return b.String(), at
}

// valueAfter reads the value offered after a label ending at rune i.
func (t *text) valueAfter(i, kind int) (span, bool) {
	j := i
	for j < len(t.rs) && j-i <= freeRunes && t.val[j] < 0 && !(kind == kindPIN && isASCIIAlnum(t.rs[j]) && t.startsPassword(j, i)) {
		if t.rs[j] == '\n' || t.rs[j] == '*' {
			return span{}, false
		}
		rest := t.after(j, 4)
		for _, w := range freeBarriers {
			if strings.HasPrefix(rest, w) {
				return span{}, false
			}
		}
		j++
	}
	if j >= len(t.rs) || j-i > freeRunes {
		return span{}, false
	}
	free := strings.TrimSpace(strings.ToLower(string(t.rs[i:j])))
	if free != "" && !endsWithConnector(free) || kind == kindBareCode && free == "" {
		return span{}, false
	}
	if kind == kindPIN && t.val[j] < 0 {
		return t.password(j)
	}
	lo, hi := 3, 8
	if kind == kindCVV {
		hi = 4
	}
	end, n := t.digitValue(j, hi)
	if n < lo || n > hi || end < len(t.rs) && (t.val[end] >= 0 || t.rs[end] == '*' || isASCIIAlnum(t.rs[end])) {
		return span{}, false
	}
	return span{from: j, to: end}, true
}

func endsWithConnector(s string) bool {
	for _, c := range connectors {
		if strings.HasSuffix(s, c) {
			if isASCIIWord(c) {
				k := len(s) - len(c)
				return k == 0 || !isASCIIAlnum(rune(s[k-1]))
			}
			return true
		}
	}
	return false
}

// digitValue reads digits from i, in groups joined by one space, dash or
// dot ("123 456") as long as they hold at most hi digits, and returns the
// end and the number of digits: "583 6222 0212…" offers 583.
func (t *text) digitValue(i, hi int) (end, n int) {
	end = i
	for k := i; k < len(t.rs); {
		if t.val[k] < 0 {
			break
		}
		m := 0
		for k+m < len(t.rs) && t.val[k+m] >= 0 {
			m++
		}
		if n > 0 && n+m > hi {
			break
		}
		k += m
		n += m
		end = k
		if k+1 < len(t.rs) && strings.ContainsRune(" -.", t.rs[k]) && t.val[k+1] >= 0 {
			k++
			continue
		}
		break
	}
	return end, n
}

// startsPassword reports whether an ASCII word at j, after a password label
// ending at label, is the password itself: letters and digits mixed.
func (t *text) startsPassword(j, label int) bool {
	if j > label && isASCIIAlnum(t.rs[j-1]) {
		return false
	}
	_, ok := t.password(j)
	return ok
}

// password reads a password of 4–16 ASCII letters and digits holding both.
func (t *text) password(j int) (span, bool) {
	end, letters, digits := j, 0, 0
	for end < len(t.rs) && isASCIIAlnum(t.rs[end]) {
		if t.rs[end] <= '9' {
			digits++
		} else {
			letters++
		}
		end++
	}
	if n := end - j; n < 4 || n > 16 || letters == 0 || digits == 0 || end < len(t.rs) && (t.val[end] >= 0 || t.rs[end] == '*') {
		return span{}, false
	}
	return span{from: j, to: end}, true
}

func isASCIIAlnum(r rune) bool {
	return '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
}

func isASCIIWord(s string) bool {
	for _, r := range s {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}

// An expiry date is offered after its label ("有效期 12/28", "exp 12/28",
// "valid thru 2028年12月") or before 到期 ("卡12/28到期").
var (
	expiryDate   = `\d{1,2}\s*[/\-.]\s*\d{2,4}|\d{4}\s*[/\-.年]\s*\d{1,2}(?:\s*月)?`
	expiryBefore = regexp.MustCompile(`(?:有效期|到期日|过期日|到期时间|失效日期?|\bexp(?:iry|iration|\.)?(?:\s*date)?|\bvalid\s*(?:thru|through|until|till)|\bgood\s*thru)(?:\s|[:：=是为至到的]|截止|until|is)*(` + expiryDate + `|\d{4})`)
	expiryAfter  = regexp.MustCompile(`(` + expiryDate + `)\s*(?:就|才|已经)?(?:到期|过期|失效)`)
)

// expiryHints are substrings of every expiry label.
var expiryHints = []string{"期", "失效", "exp", "valid", "thru"}

func (t *text) expiries(low string, at []int) []span {
	if !containsAny(low, expiryHints) {
		return nil
	}
	var out []span
	for _, re := range []*regexp.Regexp{expiryBefore, expiryAfter} {
		for _, m := range re.FindAllStringSubmatchIndex(low, -1) {
			from, to := at[m[2]], at[m[3]]
			if from > 0 && (t.val[from-1] >= 0 || strings.ContainsRune("/-.", t.rs[from-1])) ||
				to < len(t.rs) && (t.val[to] >= 0 || t.rs[to] == '*') {
				continue
			}
			out = append(out, span{from: from, to: to})
		}
	}
	return out
}
