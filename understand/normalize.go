package understand

import (
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/posbot/posbot/knowledge"
)

// normalizer canonicalises messages: full-width characters become ASCII,
// ASCII letters lowercase, whitespace runs a single space, emoji and runs of
// decorative punctuation go, Traditional characters become Simplified
// (OpenCC), and the lexicons' spelling fixes apply: typos, OCR confusions,
// dialect words ("pos鸡", "咗", "失贩"), pinyin typed for words. Digits and
// letters are kept, since codes are made of them. It is idempotent.
type normalizer struct {
	spelling *strings.Replacer
	pinyin   *strings.Replacer
}

func newNormalizer(ls knowledge.Lexicons) *normalizer {
	var spell, pin []string
	for _, lang := range ls.Languages() {
		spell = append(spell, pairs(ls[lang].Spelling)...)
		for k, v := range ls[lang].Pinyin {
			pin = append(pin, " "+strings.ToLower(k)+" ", " "+v+" ")
		}
	}
	return &normalizer{spelling: strings.NewReplacer(spell...), pinyin: strings.NewReplacer(sortPairs(pin)...)}
}

// pairs returns m's keys and values as Replacer arguments, longest key
// first, so that "pos机器" is fixed before "pos机".
func pairs(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, strings.ToLower(k), v)
	}
	return sortPairs(out)
}

func sortPairs(kv []string) []string {
	type pair struct{ k, v string }
	ps := make([]pair, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		ps = append(ps, pair{kv[i], kv[i+1]})
	}
	sort.Slice(ps, func(i, j int) bool {
		if len(ps[i].k) != len(ps[j].k) {
			return len(ps[i].k) > len(ps[j].k)
		}
		return ps[i].k < ps[j].k
	})
	out := make([]string, 0, len(kv))
	for _, p := range ps {
		out = append(out, p.k, p.v)
	}
	return out
}

func (n *normalizer) normalize(s string) string {
	s = chatNoise(simplified(s))
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
	out := n.pinyin.Replace(" " + joinSpacedLatin(joinSpacedHan(b.String())) + " ")
	out = strings.TrimSpace(out)
	// Fixes can chain ("poss机器" → "pos机器" → "pos机"); replace until the
	// text settles so that normalisation stays idempotent. Every pass that
	// changes something removes a misspelling, so len(out) passes suffice.
	for range len(out) {
		fixed := n.spelling.Replace(out)
		if fixed == out {
			break
		}
		out = fixed
	}
	return out
}

// simplified converts s to Simplified Chinese when it holds Traditional
// characters (交易失敗, 餘額不足, 部機顯示), whole phrases included.
func simplified(s string) string {
	if !hasHan(s) {
		return s
	}
	found := false
	for _, r := range s {
		if traditional(r) {
			found = true
			break
		}
	}
	if !found {
		return s
	}
	cc := t2s()
	if cc == nil {
		return s
	}
	out, err := cc.Convert(s)
	if err != nil {
		return s
	}
	return out
}

func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x3400 {
			return true
		}
	}
	return false
}

// chatNoise removes what group chats add around a message: @mentions
// ("@客服小王 25") and emoji written as words in brackets ("[捂脸]",
// "[强]").
func chatNoise(s string) string {
	if !strings.ContainsAny(s, "@＠[【") {
		return s
	}
	s = mention.ReplaceAllString(s, " ")
	return emojiWord.ReplaceAllString(s, " ")
}

var (
	mention   = regexp.MustCompile(`[@＠][^\s@＠,，:：]{1,20}`)
	emojiWord = regexp.MustCompile(`[\[【]\p{Han}{1,4}[\]】]`)
)

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

// joinSpacedLatin joins three or more single Latin letters OCR spaced out
// ("r e s p c o d e" → "respcode"), so that labels read as labels.
func joinSpacedLatin(s string) string {
	if !strings.Contains(s, " ") {
		return s
	}
	words := strings.Split(s, " ")
	var out []string
	for i := 0; i < len(words); {
		j := i
		for j < len(words) && len(words[j]) == 1 && 'a' <= words[j][0] && words[j][0] <= 'z' {
			j++
		}
		if j-i >= 3 {
			out = append(out, strings.Join(words[i:j], ""))
			i = j
			continue
		}
		out = append(out, words[i])
		i++
	}
	return strings.Join(out, " ")
}

// runeMap maps single runes: CJK punctuation outside the full-width block
// onto ASCII and circled digits onto digits.
var runeMap = map[rune]rune{
	'。': '.', '、': ',', '【': '[', '】': ']', '「': '"', '」': '"',
	'“': '"', '”': '"', '‘': '\'', '’': '\'', '…': '.', '￥': '¥',
	'①': '1', '②': '2', '③': '3', '④': '4', '⑤': '5', '⑥': '6', '⑦': '7', '⑧': '8', '⑨': '9',
}

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
