package understand

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/posbot/posbot/knowledge"
)

// Codes extracts response codes from normalised messages. Build it with
// a Reader (NewReader); it is read-only after that and safe for
// concurrent use.
type Codes struct {
	known map[string]bool
	words codeWords
}

// codeWords are the lexicons' words around codes (knowledge.CodeWords of
// every language), split by what the extractor does with them.
type codeWords struct {
	labels, nearWords, codeWords, questionWords []string
	measure, notMeasures, amountWords, fillers  []string
	notAmounts, connectors                      []string
	english                                     []string // the code words in English, see indexEnglish
	asciiLabels, englishUnits                   map[string]bool
	bareLabels, notBareLabels                   []string
	notCodes                                    map[string]bool
	holidays, notNumerals                       []string
	numeralsNotAfter, numeralsNotBefore         string
	holidayNext                                 string
}

// newCodes returns a Codes that accepts the given response codes ("51",
// "A0", …) as two-character letter codes, with the lexicons' words around
// codes. Two-digit codes are recognised whether known or not, so a code
// missing from the knowledge base still reaches the engine, which can say
// it does not know it.
func newCodes(known []string, ls knowledge.Lexicons) *Codes {
	c := &Codes{known: make(map[string]bool, len(known))}
	for _, k := range known {
		if k = strings.ToUpper(strings.TrimSpace(k)); k != "" {
			c.known[k] = true
		}
	}
	w := &c.words
	w.asciiLabels, w.englishUnits, w.notCodes = map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, lang := range ls.Languages() {
		cw := ls[lang].Codes
		for _, l := range cw.Labels {
			if isASCIIWord(l) {
				w.asciiLabels[l] = true
			} else {
				w.labels = append(w.labels, l)
			}
		}
		for _, u := range cw.Units {
			w.englishUnits[u] = true
		}
		w.nearWords = append(w.nearWords, cw.Near...)
		w.codeWords = append(w.codeWords, cw.CodeWords...)
		w.questionWords = append(w.questionWords, cw.QuestionWords...)
		w.measure = append(w.measure, cw.Measure...)
		w.notMeasures = append(w.notMeasures, cw.NotMeasure...)
		w.amountWords = append(w.amountWords, cw.Amount...)
		w.notAmounts = append(w.notAmounts, cw.NotAmount...)
		w.fillers = append(w.fillers, cw.Fillers...)
		w.connectors = append(w.connectors, cw.Connectors...)
		w.bareLabels = append(w.bareLabels, cw.BareLabels...)
		w.notBareLabels = append(w.notBareLabels, cw.NotBareLabels...)
		for _, t := range cw.NotCodes {
			w.notCodes[strings.ToLower(t)] = true
		}
		w.holidays = append(w.holidays, cw.Numerals.Holidays...)
		w.notNumerals = append(w.notNumerals, cw.Numerals.NotNumbers...)
		w.numeralsNotAfter += cw.Numerals.NotAfter
		w.numeralsNotBefore += cw.Numerals.NotBefore
		w.holidayNext += cw.Numerals.HolidayNext
	}
	w.indexEnglish()
	return c
}

func isASCIIWord(s string) bool {
	for i := range len(s) {
		if !isLetter(s[i]) {
			return false
		}
	}
	return s != ""
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
	if strings.IndexByte(s, 'o') < 0 {
		return s // every match holds an o
	}
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
// phone 五五 → 55, 六幺 → 61 (幺 is 1), 零五 → 05, A零 → A0, A七 → A7,
// E幺零二 → E102.
// Amounts and counts stay excluded by the usual rules afterwards (五十块 →
// 50块 is measured, 五六张 → 56张 too); holidays (五一节, 十一期间) are
// left alone; 两, 百, 千 and 万 are never converted.
func (w *codeWords) chineseNumerals(s string) string {
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
		if j == i+1 && prev == 'a' && (i < 2 || !isLatin(rs[i-2])) && !strings.ContainsRune(w.numeralsNotBefore, next) {
			b.WriteString(cnDigit(rs[i])) // a七 → a7: the A codes said aloud
			i = j
			continue
		}
		b.WriteString(w.convertRun(rs[i:j], prev, next))
		i = j
	}
	return b.String()
}

// convertRun writes one run of numeral characters as digits where it reads
// as a code, else returns it unchanged.
func (w *codeWords) convertRun(run []rune, prev, next rune) string {
	keep := string(run)
	if strings.ContainsRune(w.numeralsNotAfter, prev) || strings.ContainsRune(w.numeralsNotBefore, next) {
		return keep // 三千五, 五一节, 十一期间
	}
	if slices.Contains(w.holidays, keep) && strings.ContainsRune(w.holidayNext, next) {
		return keep // 五一那天, 十一放假: holidays
	}
	if slices.Contains(w.notNumerals, keep) {
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

func isLatin(r rune) bool { return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' }

func isCNNumeral(r rune) bool {
	return r == '十' || strings.ContainsRune("零〇幺一二三四五六七八九", r)
}

func cnDigit(r rune) string { return string(rune('0' + cnDigits[r])) }

var cnDigits = map[rune]int{'零': 0, '〇': 0, '幺': 1, '一': 1, '二': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}

// lookAlikes are the letters OCR reads for digits.
var lookAlikes = map[byte]byte{'o': '0', 'q': '0', 'd': '0', 'l': '1', 'i': '1', 'z': '2', 's': '5', 'b': '8', 'g': '9'}

// ocrCode returns tok read with look-alike letters as digits, when that is
// a known code and tok could be an OCR'd code: two characters, at least
// one a digit, or bracketed ("[ol]"). It returns "" otherwise.
func (c *Codes) ocrCode(tok, before, after string) string {
	if len(tok) != 2 {
		return ""
	}
	bracketed := strings.HasSuffix(strings.TrimRight(before, " "), "[") || strings.HasSuffix(strings.TrimRight(before, " "), "(")
	if !bracketed && !isDigit(tok[0]) && !isDigit(tok[1]) {
		return ""
	}
	out := []byte(tok)
	for i := range out {
		if d, ok := lookAlikes[out[i]]; ok {
			out[i] = d
		}
	}
	if string(out) == tok {
		return ""
	}
	// A letter code keeps its letter: "ao" is A0, read by letterO.
	if fixed := strings.ToUpper(string(out)); c.known[fixed] && allDigits(string(out)) {
		return string(out)
	}
	return ""
}

// spacedPair is two single characters spaced apart ("9 7", "a 0", "5 l").
var spacedPair = regexp.MustCompile(`(^|[^a-z0-9])([a-z0-9]) ([a-z0-9])($|[^a-z0-9])`)

// joinSpaced joins a code OCR or a hurried merchant spaced out ("rc:9 7",
// "应答码: 5 5", "a 0") when the two characters make a known code.
func (c *Codes) joinSpaced(s string) string {
	if !strings.Contains(s, " ") {
		return s
	}
	return spacedPair.ReplaceAllStringFunc(s, func(m string) string {
		sub := spacedPair.FindStringSubmatch(m)
		pair := sub[2] + sub[3]
		if isLetter(pair[0]) && isLetter(pair[1]) {
			return m
		}
		if c.known[strings.ToUpper(pair)] || c.ocrCode(pair, "", "") != "" {
			return sub[1] + pair + sub[4]
		}
		return m
	})
}

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
	if strings.IndexByte(s, '*') >= 0 { // every masked card number holds a *
		s = maskedCard.ReplaceAllString(s, " ")
	}
	s = asciiLower(s)
	s = c.letterO(s)
	s = c.words.chineseNumerals(s)
	s = c.joinSpaced(s)
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

// Leading returns the code s starts with, after spaces and a word or two
// ("是54", "it's 61"): what follows a correction ("不是34是54", "不对 是61")
// names the code meant. Only a two-digit number or a known code counts.
func (c *Codes) Leading(s string) (string, bool) {
	s = asciiLower(s)
	s = c.letterO(s)
	s = c.words.chineseNumerals(s) // "不对 是五十五"
	s = c.joinSpaced(s)
	i := 0
	for i < len(s) && !isAlnum(s[i]) {
		_, size := utf8.DecodeRuneInString(s[i:])
		if i += size; i > 12 { // a few words at most: "是", "应该是"
			return "", false
		}
	}
	j := i
	for j < len(s) && isAlnum(s[j]) {
		j++
	}
	tok := s[i:j]
	if i == j {
		return "", false
	}
	if len(tok) > 2 && allLetters(tok) && j-i <= 5 { // "it's 61": a short word before the code
		return c.Leading(s[j:])
	}
	if c.words.blocked(window(s, i-contextBytes, i), window(s, j, j+contextBytes)) {
		return "", false // "不对 12点51分又失败": a time, an amount, a count
	}
	switch up := strings.ToUpper(tok); {
	case len(tok) == 2 && allDigits(tok):
		return tok, true
	case c.known[up]:
		return up, true
	}
	return "", false
}

// Trailing returns the known code a message ends on after 是 ("是55" in
// "让他拍照发我了，是55"), with nothing but punctuation and
// fillers after it. Alone such a number could be anything; as the next
// line of a conversation about a terminal it is the code the merchant went
// to look up, and the engine reads it so only there.
func (c *Codes) Trailing(s string) (string, bool) {
	i := strings.LastIndex(s, "是")
	if i < 0 {
		return "", false
	}
	rest := s[i+len("是"):]
	code, ok := c.Leading(rest)
	if !ok || !c.known[code] {
		return "", false
	}
	j := strings.Index(asciiLower(rest), strings.ToLower(code))
	if j < 0 {
		return "", false
	}
	tail := strings.Trim(rest[j+len(code):], " ，,。.!！?？~")
	if tail != "" && !c.words.isFiller(tail) {
		return "", false
	}
	return code, true
}

// candidate judges the alphanumeric token s[start:end].
func (c *Codes) candidate(s string, start, end int) (string, int) {
	tok := s[start:end]
	if c.words.notCodes[tok] || start >= 2 && s[start-1] == '+' && c.words.notCodes[s[start-2:end]] {
		return "", notCode // "d0", "t+1": settlement terms
	}
	split := 0 // tok[:split] letters, tok[split:] digits
	for split < len(tok) && isLetter(tok[split]) {
		split++
	}
	letters, digits := tok[:split], tok[split:]
	// OCR reads 5 as S, 1 as l or I, 0 as O ("RC: 5l", "应答码:O5"): a
	// two-character token holding a digit, or bracketed, that reads as a
	// known code once the look-alikes are digits is that code.
	if fixed := c.ocrCode(tok, s[:start], s[end:]); fixed != "" && !c.known[strings.ToUpper(tok)] {
		tok = fixed
		split = 0
		for split < len(tok) && isLetter(tok[split]) {
			split++
		}
		letters, digits = tok[:split], tok[split:]
	}
	// Only the neighbourhood matters; bounding it keeps long texts linear.
	before, after := window(s, start-contextBytes, start), window(s, end, end+contextBytes)
	w := &c.words
	if !allDigits(digits) {
		// A labelled brand code read by OCR: "ERR: E3O1" is E301.
		fixed, ok := lookAlikeDigits(digits)
		if !ok || len(letters) < 1 || len(letters) > 3 || !w.hasLabel(before) {
			return "", notCode // words, "4g", "a1b2"
		}
		digits, tok = fixed, letters+fixed
	}
	if w.blocked(before, after) {
		return "", notCode
	}
	whole := len(before) == start && len(after) == len(s)-end && w.isFiller(before) && w.isFiller(after)

	var score int
	switch {
	case w.asciiLabels[letters]: // "rc96", "code51", "err55"
		score, tok, letters = labelled, digits, ""
	case w.hasLabel(before):
		score = labelled
	case whole || w.inCodeContext(before, after): // "51", "a0?" alone count
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
		// "a8" is a model, "错误码a8" and "显示a8" a code.
		if c.known[up] || score == labelled || endsWithAny(before, w.nearWords, nil, w.connectors) {
			return up, score
		}
	case len(letters) >= 1 && len(letters) <= 3 && len(digits) >= 1 && len(digits) <= 4 && score == labelled:
		// The brand's own code: "E102", "错误码ER07".
		return strings.ToUpper(tok), score // "E102"
	}
	return "", notCode
}

// lookAlikeDigits reads OCR's look-alikes in a run of digits (o for 0, l
// and i for 1): ok when at least two characters are real digits.
func lookAlikeDigits(s string) (string, bool) {
	real := 0
	b := []byte(s)
	for i, ch := range b {
		switch {
		case ch >= '0' && ch <= '9':
			real++
		case ch == 'o':
			b[i] = '0'
		case ch == 'l' || ch == 'i':
			b[i] = '1'
		default:
			return "", false
		}
	}
	return string(b), real >= 2
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
func (w *codeWords) blocked(before, after string) bool {
	// Glued punctuation between digits: 10:51, 2026-11-25, 51.00, 1,051, 11/25.
	if after != "" && strings.ContainsRune(".:/-,", rune(after[0])) && len(after) > 1 && isDigit(after[1]) {
		return true
	}
	if n := len(before); n > 1 && strings.ContainsRune(".:/-,", rune(before[n-1])) && digitsBefore(before[:n-1]) {
		return true // "1o:51" is a time OCR'd, "56,ooo.00" an amount
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
	if w.isMeasured(a) {
		return true
	}
	if w.englishUnits[leadingWord(a)] {
		return true
	}
	lb := strings.TrimRight(b, " :=#") // "操作员号:01", "金额=51"
	for _, x := range w.amountWords {
		if strings.HasSuffix(lb, x) && wordEnd(lb, len(lb)-len(x), x) &&
			!slices.ContainsFunc(w.notAmounts, func(m string) bool { return strings.HasSuffix(lb, m) }) {
			return true
		}
	}
	return false
}

// digitsBefore reports whether s ends in a number, OCR's look-alike letters
// and thousands commas included ("1o", "56,ooo").
func digitsBefore(s string) bool {
	i := len(s) - 1
	for i >= 0 && (lookAlikes[s[i]] != 0 || s[i] == ',') {
		i--
	}
	return i >= 0 && isDigit(s[i])
}

// isMeasured reports whether the text after a number starts with a measure word.
func (w *codeWords) isMeasured(after string) bool {
	for _, x := range w.notMeasures {
		if strings.HasPrefix(after, x) {
			return false
		}
	}
	for _, m := range w.measure {
		if strings.HasPrefix(after, m) {
			return true
		}
	}
	return false
}

// hasLabel reports whether before ends with a label, allowing connectors.
func (w *codeWords) hasLabel(before string) bool {
	if endsWithAny(before, w.labels, w.asciiLabels, w.connectors) {
		return true
	}
	// A bare label ("码是九四", "码:05"), but not 二维码, 扫码, 付款码, 条码,
	// 验证码 or 密码.
	b := strings.TrimRight(before, " :=,是为")
	for _, l := range w.bareLabels {
		if strings.HasSuffix(b, l) && !slices.ContainsFunc(w.notBareLabels, func(x string) bool { return strings.HasSuffix(b, x) }) {
			return true
		}
	}
	return false
}

// inCodeContext reports whether a two-character token sits where codes sit.
func (w *codeWords) inCodeContext(before, after string) bool {
	if endsWithAny(before, w.nearWords, nil, w.connectors) {
		return true
	}
	b, a := strings.TrimRight(before, " "), strings.TrimLeft(after, " ")
	if (strings.HasSuffix(b, "(") || strings.HasSuffix(b, "[")) && (strings.HasPrefix(a, ")") || strings.HasPrefix(a, "]")) {
		return true
	}
	next, prev := clauseAfter(a), clauseBefore(b)
	if w.englishCodeWords(b, a) {
		return true
	}
	return containsAny(prev, w.codeWords) || containsAny(next, w.codeWords) || containsAny(next, w.questionWords) ||
		// "这个码是什么意思 94": the question about a code comes first.
		strings.Contains(prev, "码") && containsAny(prev, w.questionWords)
}

// englishCodeWords reports whether an English code word sits in the clause
// around a number: English words are long, so the clause reaches as far as
// englishClauseRunes ("RESTRICTED CARD 62", "92 HOST UNREACHABLE").
func (w *codeWords) englishCodeWords(before, after string) bool {
	prev, next := clauseBeforeN(before, englishClauseRunes), clauseAfterN(after, englishClauseRunes)
	for _, cw := range w.english {
		if strings.Contains(prev, cw) || strings.Contains(next, cw) {
			return true
		}
	}
	return false
}

// indexEnglish notes which code words are English (letters and spaces), for
// englishCodeWords; run once the code words are all in.
func (w *codeWords) indexEnglish() {
	w.english = w.english[:0]
	for _, cw := range w.codeWords {
		if isASCIIWord(strings.ReplaceAll(cw, " ", "")) {
			w.english = append(w.english, cw)
		}
	}
}

// englishClauseRunes bounds how far an English clause reaches from a
// number: English words are long.
const englishClauseRunes = 40

// clauseRunes bounds how far from a number its clause reaches.
const clauseRunes = 12

const clauseBreaks = ",.!?;()[]"

// clauseAfter is the start of s up to the first clause break.
func clauseAfter(s string) string { return clauseAfterN(s, clauseRunes) }

// clauseAfterN is clauseAfter reaching at most n runes.
func clauseAfterN(s string, limit int) string {
	if k := strings.IndexAny(s, clauseBreaks); k >= 0 {
		s = s[:k]
	}
	n := 0
	for i := range s {
		if n == limit {
			return s[:i]
		}
		n++
	}
	return s
}

// clauseBefore is the end of s back to the last clause break.
func clauseBefore(s string) string { return clauseBeforeN(s, clauseRunes) }

// clauseBeforeN is clauseBefore reaching at most n runes.
func clauseBeforeN(s string, limit int) string {
	if k := strings.LastIndexAny(s, clauseBreaks); k >= 0 {
		s = s[k+1:]
	}
	for n := utf8.RuneCountInString(s); n > limit; n-- {
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
func endsWithAny(s string, words []string, ascii map[string]bool, connectors []string) bool {
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

// isFiller reports whether s holds nothing but spaces, punctuation and
// filler particles.
func (w *codeWords) isFiller(s string) bool {
	s = strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) })
	for s != "" {
		n := len(s)
		for _, f := range w.fillers {
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

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func allLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isLetter(s[i]) {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isAlnum(c byte) bool  { return isDigit(c) || isLetter(c) }
