package understand

import (
	"regexp"
	"strconv"
	"strings"
)

// The functions here read answers to the engine's clarifying questions. They
// expect normalised text and return "" or false for "not an answer", so the
// engine can fall through to reading the message as a new question.

// oneCard matches "only this card fails"; it is checked before allCards
// because "别的卡可以" mentions other cards too.
var oneCard = regexp.MustCompile(`只有[^,.!?;]{0,6}[张卡]|就这(?:一)?张|就他(?:这|那)?(?:一)?张|就她(?:这|那)?(?:一)?张|只是这(?:一)?张|单独这张|就这(?:个|位)?(?:顾客|客人)|` +
	`(?:别的|其他|其它|另外的?|换(?:了)?(?:一)?张)(?:卡|人|顾客|客人)?(?:的卡)?(?:都|就|是)?(?:可以|正常|能刷|能用|没问题|行|好)|` +
	`\b(?:only (?:this|that|one)(?: one)? card|just (?:this|that|one) card|other cards (?:work|are fine|are ok))\b`)

var allCards = regexp.MustCompile(`所有(?:的)?卡|每(?:一)?张(?:卡)?|哪张卡?都|全部|都不行|都刷不了|都失败|都不能刷|` +
	`(?:别的|其他|其它|换(?:了)?(?:一)?张)卡?也|什么卡都|任何卡|` +
	`\b(?:all (?:the )?cards|every card|any card|all of them|none of the cards)\b`)

// ScopeAnswer reads whether the failure hits every card ("all": 所有卡都不行,
// 每张卡都刷不了) or a single card ("one": 只有这一张, 别的卡可以); "" when the
// message says neither.
func ScopeAnswer(s string) string {
	switch {
	case oneCard.MatchString(s):
		return "one"
	case allCards.MatchString(s):
		return "all"
	}
	return ""
}

// noSignal is checked before goodSignal: "没有信号" contains "有信号".
var noSignal = regexp.MustCompile(`没(?:有)?信号|无信号|信号(?:很|太|比较|特别)?(?:差|弱|不好|不行|不稳定?)|没(?:有)?网|断网|网断|掉线|` +
	`连不上|连接不上|上不了网|网(?:络)?(?:很|太)?(?:差|不好|不行|不正常|有问题)|信号不正常|` +
	`\b(?:no (?:signal|network|internet|connection)|weak signal|bad signal|offline|can't connect|cannot connect)\b`)

// "有信号干扰" is not good news; Go's regexp has no lookahead, hence the class.
var goodSignal = regexp.MustCompile(`有信号(?:$|[^干问])|信号(?:很|挺|都)?(?:好|正常|满格|没问题|可以)|满格|网(?:络)?(?:都|很|挺)?(?:正常|好|没问题|可以)|有网|能上网|` +
	`\b(?:signal (?:is )?(?:ok|fine|good|full)|full signal|network (?:is )?(?:ok|fine)|online)\b`)

// SignalAnswer reads whether the terminal has a connection: "none" (没信号,
// 连不上, 断网), "ok" (信号满格, 网络正常) or "".
func SignalAnswer(s string) string {
	switch {
	case noSignal.MatchString(s):
		return "none"
	case goodSignal.MatchString(s):
		return "ok"
	}
	return ""
}

// oldTerminal is checked first: "不是新机器" is old, not new.
var oldTerminal = regexp.MustCompile(`不是新|用了(?:很久|好久|挺久|很长时间|好几年|几年|一年|半年|[0-9一二两三四五六七八九十]+(?:年|个月))|` +
	`一直(?:都)?(?:正常|好好的|能用|没问题)|老机器|旧机器|以前都|之前都|之前一直|` +
	`\b(?:old (?:one|terminal|machine)|for years|always worked|used it for)\b`)

var newTerminal = regexp.MustCompile(`新机器|新机|新的机器|刚买|刚换|刚装|刚办|刚领|刚到|刚拿到|才买|新买|刚开通|刚激活|第一次用|头一次用|` +
	`\b(?:new (?:terminal|machine|device|pos)|just (?:bought|got|received)|first time)\b`)

// NewTerminalAnswer reads whether the terminal is new (新机器, 刚买的, 第一次用)
// or has worked for a while (用了很久, 一直正常, 老机器). known is false when
// the message says neither.
func NewTerminalAnswer(s string) (isNew, known bool) {
	switch {
	case oldTerminal.MatchString(s):
		return false, true
	case newTerminal.MatchString(s):
		return true, true
	}
	return false, false
}

// maxOption bounds option numbers: the engine offers a handful of options,
// and a bigger number is more likely a code or an amount.
const maxOption = 9

var ordinalWords = map[string]int{
	"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
	"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9,
	"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
	"1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "6th": 6, "7th": 7, "8th": 8, "9th": 9,
}

// optionAffixes wrap the number in a pick: "选第2个吧", "the second one".
var (
	optionPrefixes = strings.Fields(`我选 选择 选 就 要 第 the option number no. no # 选项`)
	optionSuffixes = strings.Fields(`吧 啊 呀 了 个 条 项 种 one option . 、 ,`)
)

// OptionIndex reads a pick among numbered options: "1", "第一个", "选1",
// "第2个", "二", "2.", "the second" → the 1-based index; 0 when the message
// is not a pick. A bare "1" is a pick only because the engine asked; it
// calls this only then.
func OptionIndex(s string) int {
	s = strings.TrimSpace(strings.Trim(s, " !?。"))
	for changed := true; changed; {
		changed = false
		for _, p := range optionPrefixes {
			if t := strings.TrimSpace(strings.TrimPrefix(s, p)); t != s && t != "" {
				s, changed = t, true
			}
		}
		for _, x := range optionSuffixes {
			if t := strings.TrimSpace(strings.TrimSuffix(s, x)); t != s && t != "" {
				s, changed = t, true
			}
		}
	}
	if n, ok := ordinalWords[s]; ok {
		return n
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 1 && n <= maxOption {
		return n
	}
	return 0
}
