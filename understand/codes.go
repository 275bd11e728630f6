package understand

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Codes extracts response codes from normalised messages. Its zero value
// knows no letter codes; build it with NewCodes. It is safe for concurrent
// use.
type Codes struct {
	known map[string]bool
}

// NewCodes returns a Codes that accepts the given response codes ("51",
// "A0", …) as two-character letter codes. Two-digit codes are recognised
// whether known or not, so a code missing from the knowledge base still
// reaches the engine, which can say it does not know it.
func NewCodes(known []string) *Codes {
	c := &Codes{known: make(map[string]bool, len(known))}
	for _, k := range known {
		if k = strings.ToUpper(strings.TrimSpace(k)); k != "" {
			c.known[k] = true
		}
	}
	return c
}

// Scores of a candidate: how sure we are that a token is a code.
const (
	notCode   = 0
	inContext = 1 // next to code words, in parentheses, or the whole message
	labelled  = 2 // right after 错误码, 应答码, code, rc …
)

// maskedCard matches a masked card number ("622202*****0128", "6222 **** 1234"),
// whose digit halves are not codes and should not stop "51 <card>" from
// counting as a bare code.
var maskedCard = regexp.MustCompile(`\d{4,6}[ *]*\*[ *]*\d{4}`)

// letterO reads "ao" as "a0" where that is a known code: OCR and merchants
// both write the letter O for the zero in A0.
func (c *Codes) letterO(s string) string {
	return letterOCode.ReplaceAllStringFunc(s, func(m string) string {
		i := strings.IndexAny(m, "abcdefghijklmnopqrstuvwxyz")
		fixed := m[:i+1] + "0" + m[i+2:]
		if c.known[strings.ToUpper(m[i:i+1])+"0"] {
			return fixed
		}
		return m
	})
}

// chineseNumerals writes numbers spelt in characters as digits, for codes
// said the way they sound: 五十一 → 51, 十二 → 12, digit by digit as on the
// phone 五五 → 55, 六幺 → 61 (幺 is 1), 零五 → 05, A零 → A0, E幺零二 → E102.
// Amounts and counts stay excluded by the usual rules afterwards (五十块 →
// 50块 is measured, 五六张 → 56张 too); holidays (五一节, 十一期间) are
// left alone; 两, 百, 千 and 万 are never converted.
func chineseNumerals(s string) string {
	if !strings.ContainsAny(s, "十零〇幺一二三四五六七八九") {
		return s
	}
	rs := []rune(s)
	var b strings.Builder
	for i := 0; i < len(rs); {
		if !isCNNumeral(rs[i]) {
			b.WriteRune(rs[i])
			i++
			continue
		}
		j := i
		for j < len(rs) && isCNNumeral(rs[j]) {
			j++
		}
		var prev, next rune
		if i > 0 {
			prev = rs[i-1]
		}
		if j < len(rs) {
			next = rs[j]
		}
		b.WriteString(convertRun(rs[i:j], prev, next))
		i = j
	}
	return b.String()
}

// convertRun writes one run of numeral characters as digits where it reads
// as a code, else returns it unchanged.
func convertRun(run []rune, prev, next rune) string {
	keep := string(run)
	if strings.ContainsRune("百千万亿两", prev) || strings.ContainsRune("百千万亿两节假期国长黄", next) {
		return keep // 三千五, 五一节, 十一期间
	}
	if (keep == "五一" || keep == "十一") && strings.ContainsRune("那前后放当的", next) {
		return keep // 五一那天, 十一放假: holidays
	}
	if keep == "一一" {
		return keep // 一一核对: one by one
	}
	if i := slices.Index(run, '十'); i >= 0 {
		switch {
		case len(run) == 1: // 十
			return "10"
		case i == 0 && len(run) == 2 && run[1] != '十': // 十二
			return "1" + cnDigit(run[1])
		case i == 1 && len(run) == 2 && run[0] != '十': // 五十
			return cnDigit(run[0]) + "0"
		case i == 1 && len(run) == 3 && run[0] != '十' && run[2] != '十': // 五十一
			return cnDigit(run[0]) + cnDigit(run[2])
		}
		return keep
	}
	switch {
	case len(run) >= 2 && len(run) <= 4: // 五五, 幺四, 零五, 幺零二
		var b strings.Builder
		for _, r := range run {
			b.WriteString(cnDigit(r))
		}
		return b.String()
	case len(run) == 1 && (run[0] == '零' || run[0] == '〇') && prev >= 'a' && prev <= 'z': // a零
		return "0"
	}
	return keep
}

func isCNNumeral(r rune) bool {
	return r == '十' || strings.ContainsRune("零〇幺一二三四五六七八九", r)
}

func cnDigit(r rune) string { return string(rune('0' + cnDigits[r])) }

var cnDigits = map[rune]int{'零': 0, '〇': 0, '幺': 1, '一': 1, '二': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}

// letterOCode is a letter followed by the letter o, standing alone.
var letterOCode = regexp.MustCompile(`(^|[^a-z0-9])[a-z]o($|[^a-z0-9])`)

// Extract returns the response code in s, which should be normalised text:
// a UnionPay code as two uppercase characters ("51", "05", "A0"), or a
// brand's own code ("E102", "1001") when it is explicitly labelled.
//
// A bare two-digit number counts only when it is the whole message, in
// parentheses, or next to words that go with codes (交易失败, 显示, 报,
// 错误, 余额不足 …); a number followed by a measure word (51元, 51次, 51分)
// or part of a time, date, decimal or amount never does. When several
// candidates remain, a labelled one wins, then the first.
func (c *Codes) Extract(s string) (code string, ok bool) {
	s = asciiLower(maskedCard.ReplaceAllString(s, " "))
	s = c.letterO(s)
	s = chineseNumerals(s)
	best, bestScore := "", notCode
	for i := 0; i < len(s); {
		if !isAlnum(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isAlnum(s[j]) {
			j++
		}
		if code, score := c.candidate(s, i, j); score > bestScore {
			best, bestScore = code, score
		}
		i = j
	}
	return best, bestScore > notCode
}

// candidate judges the alphanumeric token s[start:end].
func (c *Codes) candidate(s string, start, end int) (string, int) {
	tok := s[start:end]
	split := 0 // tok[:split] letters, tok[split:] digits
	for split < len(tok) && isLetter(tok[split]) {
		split++
	}
	letters, digits := tok[:split], tok[split:]
	if !allDigits(digits) {
		return "", notCode // words, "4g", "a1b2"
	}
	// Only the neighbourhood matters; bounding it keeps long texts linear.
	before, after := window(s, start-contextBytes, start), window(s, end, end+contextBytes)
	if blocked(before, after) {
		return "", notCode
	}
	whole := len(before) == start && len(after) == len(s)-end && isFiller(before) && isFiller(after)

	var score int
	switch {
	case asciiLabels[letters]: // "rc96", "code51", "err55"
		score, tok, letters = labelled, digits, ""
	case hasLabel(before):
		score = labelled
	case whole || inCodeContext(before, after): // "51", "a0?" alone count
		score = inContext
	}
	if score == notCode {
		return "", notCode
	}

	switch {
	case letters == "" && len(digits) == 2:
		return digits, score
	case letters == "" && len(digits) == 1 && score == labelled: // "错误码5" is 05
		return "0" + digits, score
	case letters == "" && (len(digits) == 3 || len(digits) == 4) && score == labelled:
		return digits, score // the brand's own code
	case len(letters) == 1 && len(digits) == 1:
		up := strings.ToUpper(tok)
		if c.known[up] || score == labelled { // "a8" is a model, "错误码a8" a code
			return up, score
		}
	case len(letters) == 1 && len(digits) <= 4 && score == labelled:
		return strings.ToUpper(tok), score // "E102"
	}
	return "", notCode
}

// contextBytes is how much text on each side of a token is looked at.
const contextBytes = 64

// window returns s[from:to] clamped to s and shrunk to whole runes.
func window(s string, from, to int) string {
	from, to = max(from, 0), min(to, len(s))
	for from < to && !utf8.RuneStart(s[from]) {
		from++
	}
	for to < len(s) && to > from && !utf8.RuneStart(s[to]) {
		to--
	}
	return s[from:to]
}

// blocked reports whether the surroundings make a number something other
// than a code: an amount, count, time, date, decimal, ordinal or part of a
// masked card number.
func blocked(before, after string) bool {
	// Glued punctuation between digits: 10:51, 2026-11-25, 51.00, 1,051, 11/25.
	if after != "" && strings.ContainsRune(".:/-,", rune(after[0])) && len(after) > 1 && isDigit(after[1]) {
		return true
	}
	if n := len(before); n > 1 && strings.ContainsRune(".:/-,", rune(before[n-1])) && isDigit(before[n-2]) {
		return true
	}
	if after != "" && (isLetter(after[0]) || after[0] == '*') { // 4g, 10am, masked digits
		return true
	}
	b := strings.TrimRight(before, " ")
	if b != "" && strings.ContainsRune("*+¥$€", lastRune(b)) {
		return true
	}
	// Minutes after an hour: 11点50, 3时51.
	if r := []rune(b); len(r) > 1 && (r[len(r)-1] == '点' || r[len(r)-1] == '时') && unicode.IsDigit(r[len(r)-2]) {
		return true
	}
	a := strings.TrimLeft(after, " ")
	if isMeasured(a) {
		return true
	}
	if w := leadingWord(a); englishUnits[w] {
		return true
	}
	lb := strings.TrimRight(b, " :=#") // "操作员号:01", "金额=51"
	for _, w := range amountWords {
		if strings.HasSuffix(lb, w) && wordEnd(lb, len(lb)-len(w), w) {
			return true
		}
	}
	return false
}

// measureWords follow numbers that count or measure: 51元, 3次, 51分钟, 25号.
var measureWords = strings.Fields(`个 台 张 笔 次 元 块 分 秒 天 号 日 月 年 岁 万 千 百 亿 % 点 小时 钟 毛 角 人 家 条 遍 倍 位 度 米 斤 折 周 回 多 来 几 单 件 份 期 楼 层 路 级 部 套 克 ° ¥ 页 包 箱 瓶 杯 碗 盒 袋 辆 间 只 头 趟`)

// notMeasures start with a measure word but are not one: 应答码:04 日期,
// 05号错误.
var notMeasures = strings.Fields(`日期 日切 号错 人工 分析 点击 点算 点解 点搞 天气 条件 部分`)

// isMeasured reports whether the text after a number starts with a measure word.
func isMeasured(after string) bool {
	for _, w := range notMeasures {
		if strings.HasPrefix(after, w) {
			return false
		}
	}
	for _, m := range measureWords {
		if strings.HasPrefix(after, m) {
			return true
		}
	}
	return false
}

// englishUnits are measure words in English messages: "51 times", "10 mins".
var englishUnits = wordSet(`times time x min mins minute minutes sec secs second seconds hour hours hr hrs day days
	yuan rmb cny usd dollar dollars pcs people cards percent am pm kg gb mb`)

// amountWords precede amounts, ordinals, versions and operator numbers:
// 消费51, 第2笔, 金额 51, 操作员号:01.
var amountWords = strings.Fields(`第 消费 金额 收款 付款 支付 充值 转账 退款 花了 刷了 余额 共 约 大约 价格 价钱 多少 百分之 人民币 操作员号 操作员 柜员号 柜员 工号 员工号 尾数 尾号 后四位 后两位 编号 rmb usd cny amount paid pay total version ver operator`)

// labels introduce a code explicitly: 错误码51, 应答码:05, rc=96, error 55.
var labels = strings.Fields(`错误码 错误代码 故障码 返回码 返回代码 应答码 响应码 结果码 提示码 报错码 错误号 代码`)

// asciiLabels are the English labels, also when glued to the digits ("rc96").
var asciiLabels = wordSet(`code rc err error errcode errorcode retcode respcode resp`)

// nearWords come right before codes, at most connectors apart: 显示 a0,
// 报51, 就是个05, the screen "shows 51".
var nearWords = append(strings.Fields(`提示 显示 报 出现 出来 出 返回 回 回了 弹出 跳出 跳 写着 写的 写 小字 一行字 有个 下面有个 后面有个 变成 成了 换成 这次是 这次 这回 现在是 结果是 就是 还是 都是 又是 也是 总是 一直是 一直 老是 是个 就 结果 一刷就 说 说是 报了 弹了 话 全是 全都是
	show shows showing says saying display displays got getting gives gave giving returns returned returning throws reads`),
	"declined with", "failed with", "rejected with")

// codeWords describe failures and code meanings; a two-digit number in the
// same short clause is taken for a code: 交易失败51, 51 余额不足,
// 此卡为无效卡 04, a0 mac校验错.
var codeWords = strings.Fields(`失败 错误 报错 出错 错 故障 余额不足 资金不足 不足 密码 mac 校验 签到 无效 过期 超限 超出 限制 太大 超时
	发卡 联系 没收 挂失 被窃 不允许 受限 异常 不正常 不一致 未登记 不支持 芯片 作弊 重试 拒绝 不予承兑 持卡人 交换中心
	未初始化 初始化 睡眠 日切 稍后 不能受理 受理 吞卡 锁定 原交易 无效商户 此卡 该卡 超了 刷不了 刷不过 不行
	交易成功 确认 批准 好不了 还不好 没好
	error failed fail declined decline insufficient invalid expired registered unavailable timeout wrong pin exceeds exceeded limit`)

// questionWords after a number ask what the code means: 05什么意思.
var questionWords = strings.Fields(`什么意思 啥意思 是什么 是啥 怎么办 怎么处理 怎么解决 咋办 咋回事 怎么回事 啥情况 什么情况 是不是 咋整 咋弄 点算
	mean means meaning`)

// connectors sit between a label or context word and the code: "显示的是 51",
// "错误码: a0", "报了51".
var connectors = []string{" ", ":", "=", "#", "\"", "'", "是", "为", "了", "的", "个", "着", "一次"}

// hasLabel reports whether before ends with a label, allowing connectors.
func hasLabel(before string) bool {
	if endsWithAny(before, labels, asciiLabels) {
		return true
	}
	// A bare 码 ("码是九四", "码:05"), but not 二维码, 扫码, 付款码, 条码,
	// 验证码 or 密码.
	b := []rune(strings.TrimRight(before, " :=,是为"))
	n := len(b)
	return n > 0 && b[n-1] == '码' && (n == 1 || !strings.ContainsRune("维扫款条证密编号", b[n-2]))
}

// inCodeContext reports whether a two-character token sits where codes sit.
func inCodeContext(before, after string) bool {
	if endsWithAny(before, nearWords, nil) {
		return true
	}
	b, a := strings.TrimRight(before, " "), strings.TrimLeft(after, " ")
	if (strings.HasSuffix(b, "(") || strings.HasSuffix(b, "[")) && (strings.HasPrefix(a, ")") || strings.HasPrefix(a, "]")) {
		return true
	}
	next, prev := clauseAfter(a), clauseBefore(b)
	return containsAny(prev, codeWords) || containsAny(next, codeWords) || containsAny(next, questionWords) ||
		// "这个码是什么意思 94": the question about a code comes first.
		strings.Contains(prev, "码") && containsAny(prev, questionWords)
}

// clauseRunes bounds how far from a number its clause reaches.
const clauseRunes = 12

const clauseBreaks = ",.!?;()[]"

// clauseAfter is the start of s up to the first clause break.
func clauseAfter(s string) string {
	if k := strings.IndexAny(s, clauseBreaks); k >= 0 {
		s = s[:k]
	}
	n := 0
	for i := range s {
		if n == clauseRunes {
			return s[:i]
		}
		n++
	}
	return s
}

// clauseBefore is the end of s back to the last clause break.
func clauseBefore(s string) string {
	if k := strings.LastIndexAny(s, clauseBreaks); k >= 0 {
		s = s[k+1:]
	}
	for n := utf8.RuneCountInString(s); n > clauseRunes; n-- {
		_, size := utf8.DecodeRuneInString(s)
		s = s[size:]
	}
	return s
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// endsWithAny reports whether s, after trimming connectors one at a time,
// ends with one of words, or with one of the ASCII words as a whole word.
func endsWithAny(s string, words []string, ascii map[string]bool) bool {
	for range 4 {
		for _, w := range words {
			if strings.HasSuffix(s, w) && wordEnd(s, len(s)-len(w), w) {
				return true
			}
		}
		if ascii != nil {
			if w := trailingWord(s); ascii[w] {
				return true
			}
		}
		trimmed := s
		for _, c := range connectors {
			trimmed = strings.TrimSuffix(trimmed, c)
		}
		if trimmed == s {
			return false
		}
		s = trimmed
	}
	return false
}

// wordEnd reports whether an ASCII word w starting at s[i] is a whole word
// ("shows", not "xshows"); Chinese words need no such check.
func wordEnd(s string, i int, w string) bool {
	if !isLetter(w[0]) || i == 0 {
		return true
	}
	return !isLetter(s[i-1])
}

// fillers may surround a code that is the whole message.
var fillers = strings.Fields(`是 就是 是个 就是个 啊 呀 呢 吧 了 哦 嗯 这个 那个 又 又是 还是 还 一直 老是 总是 全是 都是
	咋整 咋弄 咋办 咋回事 怎么办 怎么整 怎么弄 怎么回事 啥意思 什么意思 是啥 点算 点搞 点解 求助 急`)

// isFiller reports whether s holds nothing but spaces, punctuation and
// filler particles.
func isFiller(s string) bool {
	s = strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) })
	for s != "" {
		n := len(s)
		for _, f := range fillers {
			s = strings.TrimPrefix(s, f)
		}
		s = strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) })
		if len(s) == n {
			return false
		}
	}
	return true
}

func leadingWord(s string) string {
	i := 0
	for i < len(s) && isLetter(s[i]) {
		i++
	}
	return s[:i]
}

func trailingWord(s string) string {
	i := len(s)
	for i > 0 && isLetter(s[i-1]) {
		i--
	}
	return s[i:]
}

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// asciiLower lowercases ASCII letters only, keeping byte offsets.
func asciiLower(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return 'A' <= r && r <= 'Z' }) < 0 {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// allDigits reports whether s is a non-empty run of ASCII digits.
func allDigits(s string) bool {
	for i := range len(s) {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isAlnum(c byte) bool  { return isDigit(c) || isLetter(c) }
