package redact

import (
	"regexp"
	"strings"
	"unicode"
)

// group is a maximal run of digits, by rune offsets.
type group struct{ from, to int }

func (g group) n() int { return g.to - g.from }

// Gaps between two digit groups.
const (
	gapBarrier = iota // the groups belong to different numbers
	gapTight          // separators only: "6222 0212", "6222.0212", "6222\u200b0212"
	gapWords          // a few words: "6222 0212 后面是 3456"
)

// maxTightGap and maxWordGap bound, in runes, what may stand between two
// groups of one card number.
const (
	maxTightGap = 8
	maxWordGap  = 8
	// minWordGroup is the least digits on both sides of a word gap: card
	// numbers split by words come in chunks, amounts and codes do not.
	minWordGroup = 3
)

// isSeparator reports runes that may stand between the digit groups of a
// card number: whitespace and invisible characters of every kind, line
// breaks, dashes, dots, commas and other punctuation, and pictographs.
// Stars are not (they are masks), nor are the separators of times and
// dates (':' and '/'), brackets (a code in parentheses is its own), signs
// of amounts and '='.
func isSeparator(r rune) bool {
	switch r {
	case '*', '＊', ':', '：', '/', '／', '%', '％', '=', '＝', '+', '＋', '<', '>':
		return false
	}
	switch {
	case unicode.IsSpace(r), unicode.In(r, unicode.Z, unicode.Cf, unicode.Cc, unicode.Mn, unicode.Me, unicode.So, unicode.Sk):
		return true
	case unicode.In(r, unicode.Ps, unicode.Pe, unicode.Pi, unicode.Pf):
		return false
	case unicode.IsPunct(r):
		return true
	case r == '|' || r == '~' || r == '～' || r == '｜':
		return true
	}
	return false
}

// groups returns the digit groups of t.
func (t *text) groups() []group {
	var gs []group
	for i := 0; i < len(t.rs); {
		if t.val[i] < 0 {
			i++
			continue
		}
		j := i
		for j < len(t.rs) && t.val[j] >= 0 {
			j++
		}
		gs = append(gs, group{i, j})
		i = j
	}
	return gs
}

// gap classifies what stands between groups a and b.
func (t *text) gap(a, b group) int {
	if t.touchesStar(a) || t.touchesStar(b) {
		// Half of a mask ("622202*****0128") or a receipt's masked number:
		// it may be card data on its own but never joins another group.
		return gapBarrier
	}
	between := t.rs[a.to:b.from]
	if len(between) <= maxTightGap && all(between, isSeparator) {
		return gapTight
	}
	if len(between) > maxWordGap || a.n() < minWordGroup || b.n() < minWordGroup {
		return gapBarrier
	}
	words := false
	for _, r := range between {
		switch {
		case r == '\n' || r == '\r' || r == '*' || r == '＊':
			return gapBarrier
		case unicode.IsLetter(r):
			words = true
		case !isSeparator(r) && !unicode.IsSpace(r):
			return gapBarrier
		}
	}
	if !words {
		return gapBarrier
	}
	low := strings.ToLower(string(between))
	for _, w := range wordGapBarriers {
		if strings.Contains(low, w) {
			return gapBarrier
		}
	}
	return gapWords
}

// wordGapBarriers are words that end a number rather than continue it:
// labels of other identifiers, units and measure words.
var wordGapBarriers = strings.Fields(`商户 终端 参考 凭证 批次 流水 订单 授权 金额 元 块 笔 次 号 日期 时间 电话 手机 码 年 月 日 点 分 秒 张 个 台 万 千 百 岁 天 周
	amount ref terminal merchant batch trace auth date time tel phone code rmb cny yuan usd order no. id`)

func (t *text) touchesStar(g group) bool {
	star := func(i int) bool { return i >= 0 && i < len(t.rs) && (t.rs[i] == '*' || t.rs[i] == '＊') }
	return star(g.from-1) || star(g.to)
}

func all(rs []rune, f func(rune) bool) bool {
	for _, r := range rs {
		if !f(r) {
			return false
		}
	}
	return true
}

// cardSpans finds the card numbers of t. Within each chain of groups joined
// by tight or word gaps, every run of whole groups holding 13–19 digits that
// passes Luhn is card data; overlapping runs are masked as one, so a chance
// run that straddles a real number can never leave part of it in clear.
func (t *text) cardSpans() []span {
	gs := t.groups()
	var out []span
	for start := 0; start < len(gs); {
		end := start
		gaps := []int{}
		for end+1 < len(gs) {
			g := t.gap(gs[end], gs[end+1])
			if g == gapBarrier {
				break
			}
			gaps = append(gaps, g)
			end++
		}
		out = append(out, t.chainSpans(gs[start:end+1], gaps)...)
		start = end + 1
	}
	return out
}

// chainSpans finds the card numbers in one chain of groups; gaps[i] is the
// gap between chain[i] and chain[i+1].
func (t *text) chainSpans(chain []group, gaps []int) []span {
	if len(chain) == 1 && t.exempt(chain[0]) {
		return nil
	}
	var cands [][2]int // group ranges, inclusive
	for from := range chain {
		n, words, small := 0, false, false
		for to := from; to < len(chain); to++ {
			n += chain[to].n()
			small = small || chain[to].n() < minWordGroup
			if to > from && gaps[to-1] == gapWords {
				words = true
			}
			if n > 19 {
				break
			}
			if n >= 13 && !(words && small) && t.luhn(chain[from:to+1]) {
				cands = append(cands, [2]int{from, to})
			}
		}
	}
	if to, ok := t.keywordPrefix(chain, gaps); ok {
		cands = append(cands, [2]int{0, to})
	}
	for i, g := range chain {
		if g.n() >= 20 && !t.labelledID(g.from) {
			cands = append(cands, [2]int{i, i})
		}
	}
	// Overlapping candidates are masked as one.
	out := make([]span, 0, len(cands))
	for _, c := range cands {
		out = append(out, span{from: chain[c[0]].from, to: chain[c[1]].to, card: true, head: 6, tail: 4})
	}
	return mergeOverlaps(out)
}

// mergeOverlaps sorts spans and joins the overlapping ones.
func mergeOverlaps(sps []span) []span {
	sortSpans(sps)
	var out []span
	for _, sp := range sps {
		if n := len(out); n > 0 && sp.from < out[n-1].to {
			out[n-1].to = max(out[n-1].to, sp.to)
			continue
		}
		out = append(out, sp)
	}
	return out
}

func (t *text) luhn(gs []group) bool {
	sum, double := 0, false
	for i := len(gs) - 1; i >= 0; i-- {
		for j := gs[i].to - 1; j >= gs[i].from; j-- {
			d := int(t.val[j])
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

// cardKeyword, at the end of the text before a number, marks a card number
// the merchant typed on purpose: at most six runes and no digit sit between
// the keyword and the number ("卡号是：", "card no. ").
var cardKeyword = regexp.MustCompile(`(?:卡号|银行卡|信用卡|储蓄卡|借记卡|\bcard\s*(?:number|num|no\.?|#))[^0-9]{0,6}$`)

// keywordPrefix returns the end of the longest run of tightly joined groups
// from the chain's start holding 16–19 digits, when a card keyword comes
// just before the chain.
func (t *text) keywordPrefix(chain []group, gaps []int) (int, bool) {
	total := 0
	for _, g := range chain {
		total += g.n()
	}
	if total < 16 || !cardKeyword.MatchString(t.before(chain[0].from, 24)) {
		return 0, false
	}
	best, n := -1, 0
	for to, g := range chain {
		if to > 0 && gaps[to-1] != gapTight {
			break
		}
		n += g.n()
		if n > 19 {
			break
		}
		if n >= 16 {
			best = to
		}
	}
	return best, best >= 0
}

// merchantLabel precedes a merchant number (商户号).
var merchantLabel = regexp.MustCompile(`(?:商户(?:编号|号码?|代码)|merchant\s*(?:no\.?|id|number))(?:\s|[:：=是为]|\([a-z. ]{0,24}\))*$`)

// exempt reports a merchant number: 15 digits starting with 8 right after a
// 商户号 label. ISO 8583 field 42 has no check digit, so about one in ten
// passes Luhn by chance, and masking it would leave the bot unable to read
// the number it asks for; no card scheme issues 15-digit numbers starting
// with 8.
func (t *text) exempt(g group) bool {
	return g.n() == 15 && t.val[g.from] == 8 && merchantLabel.MatchString(t.before(g.from, 32))
}

// idLabel precedes long identifiers that are not card data.
var idLabel = regexp.MustCompile(`(?:订单|流水|交易|单|批次|凭证|参考|检索|编|序列|商户|终端)号(?:码)?[^0-9]{0,4}$|(?:order|trace|transaction|txn|ref(?:erence)?|serial)\s*(?:no\.?|id|number|#)?[^0-9a-z]{0,4}$`)

func (t *text) labelledID(i int) bool { return idLabel.MatchString(t.before(i, 24)) }
