// Package understand reads merchants' messages: it normalises the text,
// extracts response codes and receipt identifiers, and recognises the few
// intents the conversation engine acts on (a human, feedback, greetings,
// answers to its clarifying questions).
//
// Everything here is a pure function of the text, safe for concurrent use.
// The intent functions expect text that went through Normalize.
package understand

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// spelling fixes what merchants type with pinyin input methods and in a
// hurry, so that retrieval and the intent rules see one spelling. Keys are
// lowercase; outputs never contain a key, so repeated passes settle.
var spelling = strings.NewReplacer(
	"ka卡", "卡",
	"咔", "卡",
	"密马", "密码",
	"秘马", "密码",
	"交義", "交易",
	"交义", "交易",
	"焦易", "交易",
	"是败", "失败",
	"签道", "签到",
	"鱼额", "余额",
	"耍卡", "刷卡",
	"刷咖", "刷卡",
	"中端", "终端",
	"同讯", "通讯",
	"秘码", "密码",
	"蜜码", "密码",
	"pos鸡", "pos机",
	"pos机器", "pos机",
	"poss机", "pos机",
	"破s机", "pos机",
	"销费", "消费",
	"消废", "消费",
	"交意", "交易",
	"交义", "交易",
	"交昜", "交易",
	"通迅", "通讯",
	"签倒", "签到",
	"签道", "签到",
	"余颜", "余额",
	"余额不组", "余额不足",
	"失拜", "失败",
	"失贁", "失败",
	"夫败", "失败",
	"错吴", "错误",
	"秘码", "密码",
	"蜜码", "密码",
	"冲证", "冲正",
	"撤消", "撤销",
)

// runeMap maps single runes: CJK punctuation outside the full-width block
// onto ASCII, circled digits onto digits, and the traditional forms that OCR
// of receipts and screens produces (交易失敗, 余額) onto simplified ones.
var runeMap = map[rune]rune{
	'。': '.', '、': ',', '【': '[', '】': ']', '「': '"', '」': '"',
	'“': '"', '”': '"', '‘': '\'', '’': '\'', '…': '.', '￥': '¥',
	'①': '1', '②': '2', '③': '3', '④': '4', '⑤': '5', '⑥': '6', '⑦': '7', '⑧': '8', '⑨': '9',
	'敗': '败', '額': '额', '餘': '余', '錯': '错', '誤': '误', '換': '换', '號': '号', '碼': '码', '終': '终',
	'簽': '签', '機': '机', '賬': '账', '帳': '账', '帐': '账', '應': '应', '請': '请', '聯': '联', '繫': '系', '發': '发',
	'銀': '银', '時': '时', '間': '间', '資': '资', '無': '无', '過': '过', '網': '网', '絡': '络', '訊': '讯',
	'開': '开', '單': '单', '證': '证', '戶': '户', '費': '费',
}

// Normalize canonicalises a merchant's message: full-width characters become
// ASCII, ASCII letters lowercase, whitespace runs a single space, emoji and
// runs of decorative punctuation go, and common misspellings of the domain's
// words ("pos鸡", "刷咔", "失拜") are fixed. Digits and letters are kept, since
// codes are made of them. Normalize is idempotent.
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	var prev rune
	space := false
	for _, r := range s {
		r = halfWidth(r)
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		switch {
		case decorative(r):
			continue
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case r == prev && repeatable(r) && !space:
			continue // "!!!" → "!", "。。。" → "."
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
		prev = r
	}
	out := pinyin.Replace(" " + joinSpacedHan(b.String()) + " ")
	out = strings.TrimSpace(out)
	// Fixes can chain ("poss机器" → "pos机器" → "pos机"); replace until the
	// text settles so that Normalize stays idempotent. Every pass that changes
	// something removes a misspelling, so len(out) passes always suffice.
	for range len(out) {
		fixed := spelling.Replace(out)
		if fixed == out {
			break
		}
		out = fixed
	}
	return out
}

// joinSpacedHan removes the spaces OCR puts between single Chinese
// characters ("请 先 签 到" → "请先签到"); spaces between words of two or
// more characters stay ("交易失败 刷卡失败").
func joinSpacedHan(s string) string {
	if !strings.Contains(s, " ") {
		return s
	}
	rs := []rune(s)
	han := func(i int) bool { return i >= 0 && i < len(rs) && unicode.Is(unicode.Han, rs[i]) }
	single := func(i int) bool { return han(i) && !han(i-1) && !han(i+1) }
	var b strings.Builder
	for i, r := range rs {
		if r == ' ' && han(i-1) && han(i+1) && (single(i-1) || single(i+1)) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// pinyin turns the domain's words typed in pinyin (when the input method
// fails) into characters, as whole words: " shua ka " → " 刷卡 ". Input is
// padded with spaces so a phrase at either end matches.
var pinyin = strings.NewReplacer(
	" shua ka shi bai ", " 刷卡失败 ", " shua bu liao ", " 刷不了 ", " shua ka ", " 刷卡 ", " shi bai ", " 失败 ",
	" bu xing ", " 不行 ", " jiao yi ", " 交易 ", " ji qi ", " 机器 ", " ji zi ", " 机子 ", " zen me ban ", " 怎么办 ",
	" yu e bu zu ", " 余额不足 ", " mi ma ", " 密码 ", " xin hao ", " 信号 ", " qian dao ", " 签到 ", " tong xun ", " 通讯 ",
)

// halfWidth maps one full-width rune to ASCII, and applies runeMap.
func halfWidth(r rune) rune {
	switch {
	case r == '\u3000':
		return ' '
	case '！' <= r && r <= '～':
		return r - '！' + '!'
	}
	if p, ok := runeMap[r]; ok {
		return p
	}
	return r
}

// decorative reports runes that carry no meaning for support: emoji,
// pictographs, dingbats (So), joiners and other format characters (Cf),
// variation selectors and broken bytes. Currency signs (Sc) stay: "¥51" is
// an amount, not a code.
func decorative(r rune) bool {
	switch {
	case r == utf8.RuneError:
		return true
	case '\ufe00' <= r && r <= '\ufe0f': // variation selectors
		return true
	case 0x1f000 <= r && r <= 0x1faff: // emoji, pictographs, skin tones
		return true
	}
	return unicode.In(r, unicode.So, unicode.Cf)
}

// repeatable reports punctuation whose runs are decoration ("好的!!!").
func repeatable(r rune) bool {
	// Not '*': a masked card number keeps its shape.
	return strings.ContainsRune(".!?~,-=_#", r)
}
