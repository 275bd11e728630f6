// Package understand reads merchants' messages with the knowledge base's
// lexicons: it normalises the text (full-width forms, Traditional
// characters, dialect words, typos, OCR spacing), extracts the response
// code, and reads once, into a Reading, everything the dialogue acts on:
// intents, answers to the triage question and cues. A FactReader reads
// what a merchant tells a support agent: receipt identifiers, the sale's
// time and amount, a card's last four digits.
//
// A Reader is read-only after NewReader, a FactReader after NewFactReader;
// both are safe for concurrent use. The word lists are data
// (knowledge/data/lexicon); only the mechanics live here.
package understand

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/posbot/posbot/knowledge"
)

// Reader reads messages. Build it with NewReader.
type Reader struct {
	m        *knowledge.Matcher
	norm     *normalizer
	codes    *Codes
	options  options
	neutral  *regexp.Regexp
	letterCo []string // known letter codes, for InDomain
	chrome   map[string]bool
}

// NewReader returns the reader of base's lexicons and codes.
func NewReader(base *knowledge.Base) (*Reader, error) {
	ls := base.Lexicons()
	if len(ls) == 0 {
		return nil, errors.New("understand: the knowledge base has no lexicons")
	}
	r := &Reader{
		m:       base.Matcher(),
		norm:    newNormalizer(ls),
		codes:   newCodes(base.Codes(), ls),
		options: newOptions(ls),
	}
	// A code's meaning said next to a number makes it a code ("重复交易 94"),
	// as the lexicons' code words do.
	// In English too, as terminals with an English screen show it
	// ("INVALID MERCHANT 03").
	for _, code := range base.Codes() {
		p, _ := base.ByCode(code)
		for _, m := range p.Meanings() {
			if utf8.RuneCountInString(m) >= 3 {
				r.codes.words.codeWords = append(r.codes.words.codeWords, m)
			}
		}
	}
	r.codes.words.indexEnglish()
	r.chrome = map[string]bool{}
	for _, l := range ls {
		for _, w := range l.Chrome {
			r.chrome[strings.ToLower(w)] = true
		}
	}
	var neutral []string
	for _, lang := range ls.Languages() {
		for _, w := range ls[lang].Neutral {
			neutral = append(neutral, regexp.QuoteMeta(strings.ToLower(w)))
		}
	}
	for _, lang := range ls.Languages() {
		for _, p := range ls[lang].NeutralPatterns {
			if _, err := regexp.Compile(p); err != nil {
				return nil, fmt.Errorf("lexicon %s: neutral pattern %q: %w", lang, p, err)
			}
			neutral = append(neutral, "(?:"+p+")")
		}
	}
	neutral = append(neutral, `[a-z][0-9]{1,4}`)
	r.neutral = regexp.MustCompile(`\b(?:` + strings.Join(neutral, "|") + `)\b`)
	return r, nil
}

// Codes returns the reader's response-code extractor.
func (r *Reader) Codes() *Codes { return r.codes }

// Normalize canonicalises a message; see normalizer.
func (r *Reader) Normalize(s string) string { return r.norm.normalize(s) }

// Reading is everything the dialogue needs from one message, read once.
type Reading struct {
	// Text and Image are the normalised typed text and OCR text.
	Text, Image string
	// Lang is "en" when the merchant wrote English beyond code labels, else "zh".
	Lang string
	// Neutral is true when the text holds neither Chinese nor English
	// words, only codes, labels, digits and punctuation ("51", "code 55").
	Neutral bool
	// Code is the response code found in text and image; HasCode says
	// whether there is one.
	Code    string
	HasCode bool

	// Intents of the typed text.
	Human, Solved, Unsolved, Thanks, Greeting, Ack, Question bool
	// CantDescribe is true when the merchant says they cannot describe
	// the problem ("说不清楚", "idk how to explain"); Still when the
	// message says a problem persists ("还是96", "still getting 99").
	CantDescribe, Still bool

	// Answers to the triage question, in text and image: Scope "one" or
	// "all"; Signal "none" or "ok"; NewTerminal when TerminalKnown.
	Scope         string
	Signal        string
	NewTerminal   bool
	TerminalKnown bool

	// Cues in text and image.
	Damaged, InDomain, Failure, Card bool
	// OutOfScope is true when the message asks about another service than
	// the card terminal (花呗, 外卖平台, 报税).
	OutOfScope bool
	// AlsoAt is where the typed text turns to a second question ("另外",
	// "顺便问下"), a byte offset into Text; 0 when it does not.
	AlsoAt int
	// Switch is true when the message opens with another question ("还有个
	// 事，", "顺便问下"): the last diagnosis does not carry over to it.
	Switch                 bool
	Fraud, Scam, Insider   bool
	FrozenAccount, Debited bool
	// ImageUnread is true when a picture came with the message and its OCR
	// text said nothing (Image is then ""): the merchant asks about the
	// terminal all the same.
	ImageUnread bool
	// Prevention is true when the message asks how to keep fraud away
	// ("客人问会不会被盗刷"), not that it happened.
	Prevention bool

	// Scan is the lexicon's reading of text and image together.
	Scan knowledge.Scan
	// TextScan is the lexicon's reading of the typed text alone.
	TextScan knowledge.Scan
}

// All returns text and image together, as the engine searches them.
func (rd Reading) All() string { return strings.TrimSpace(rd.Text + "\n" + rd.Image) }

// Read reads a message: text as typed and image as read by OCR, both
// already normalised by Normalize (and redacted).
func (r *Reader) Read(text, image string) Reading {
	unread := image != "" && !r.says(image)
	if unread {
		// OCR of a photo that shows nothing readable (glare, a blur, the
		// buttons and the status bar only): the message is what was typed.
		image = ""
	}
	rd := Reading{Text: text, Image: image, ImageUnread: unread}
	all := rd.All()
	rd.Scan = r.m.Scan(all)
	rd.TextScan = rd.Scan
	if image != "" {
		rd.TextScan = r.m.Scan(text)
	}
	rd.Lang, rd.Neutral = r.language(text)
	rd.Code, rd.HasCode = r.codes.Extract(all)

	ts := rd.TextScan
	// "不是34是54", "不对 是61": the code after a correction is meant; the
	// last correction's first ("不对不对，她又说看错了，是61"), else the
	// first's ("哦不是a7 是a0 眼花了").
	for _, find := range []func(string) ([2]int, bool){ts.FindLast, ts.Find} {
		if code, ok := r.corrected(ts, find); ok {
			rd.Code, rd.HasCode = code, true
			break
		}
	}
	rd.Human = ts.Has("intents.human")
	rd.Unsolved = ts.Has("intents.unsolved")
	rd.Question = ts.Has("intents.question")
	rd.Solved = r.solved(ts, rd.Unsolved, rd.Question)
	rd.Thanks = ts.Has("intents.thanks")
	rd.Greeting = ts.Has("intents.greeting")
	rd.Ack = r.onlyAck(ts)
	rd.CantDescribe = ts.Has("intents.cant_describe")
	rd.Still = ts.Has("intents.still")

	sc := rd.Scan
	switch {
	case sc.Has("answers.scope_one"):
		rd.Scope = "one"
	case sc.Has("answers.scope_all"):
		rd.Scope = "all"
	}
	switch {
	case sc.Has("answers.signal_none"):
		rd.Signal = "none"
	case sc.Has("answers.signal_ok"):
		rd.Signal = "ok"
	}
	switch {
	case sc.Has("answers.terminal_old"):
		rd.TerminalKnown = true
	case sc.Has("answers.terminal_new"):
		rd.NewTerminal, rd.TerminalKnown = true, true
	}
	rd.OutOfScope = sc.Has("cues.out_of_scope")
	if loc, ok := ts.Find("intents.also"); ok && utf8.RuneCountInString(text[:loc[0]]) >= 4 && utf8.RuneCountInString(text[loc[1]:]) >= 4 {
		rd.AlsoAt = loc[0]
	}
	if loc, ok := ts.Find("intents.switch"); ok && utf8.RuneCountInString(ts.Text()[:loc[0]]) <= 3 && utf8.RuneCountInString(ts.Text()[loc[1]:]) >= 4 {
		rd.Switch = true
	}
	rd.Damaged = sc.Has("cues.damaged_card")
	rd.Card = sc.Has("cues.card")
	rd.Failure = sc.Has("cues.failure")
	rd.InDomain = r.inDomain(all, sc)
	rd.Fraud, rd.Scam, rd.Insider = sc.Cue("fraud"), sc.Cue("scam"), sc.Cue("insider")
	rd.FrozenAccount = sc.Has("cues.frozen_account")
	rd.Debited = sc.Has("cues.debited")
	rd.Prevention = sc.Has("cues.prevention")
	return rd
}

// solved: the merchant says it works now, and neither asks ("好了吗"),
// denies ("还没好") nor brings a new problem after it ("成功了但是没到账";
// before it, "刚才不行，但现在好了", the problem is the old one).
func (r *Reader) solved(ts knowledge.Scan, unsolved, question bool) bool {
	loc, ok := ts.Find("intents.solved")
	if !ok || unsolved || question {
		return false
	}
	for _, h := range ts.Hits() {
		if h.Kind == knowledge.EntryRule && h.Key == "intents.but_after" && h.Start >= loc[1] {
			return false
		}
	}
	return true
}

// onlyAck reports whether the text is nothing but acknowledgements
// ("好的", "嗯嗯", "ok"), punctuation and spaces.
func (r *Reader) onlyAck(ts knowledge.Scan) bool {
	s := ts.Text()
	if s == "" {
		return false
	}
	keep := make([]bool, len(s))
	for i := range keep {
		keep[i] = true
	}
	any := false
	for _, h := range ts.Hits() {
		if h.Kind == knowledge.EntryRule && h.Key == "intents.ack" {
			any = true
			for i := h.Start; i < h.End; i++ {
				keep[i] = false
			}
		}
	}
	if !any {
		return false
	}
	var rest strings.Builder
	for i := range len(s) {
		if keep[i] {
			rest.WriteByte(s[i])
		}
	}
	return strings.Trim(rest.String(), " .,!?~-:;'\"。，！？、～") == ""
}

// inDomain reports whether the message is about POS terminals or card
// payments at all: a domain word or a known letter code ("a0?").
// corrected returns the code named after the correction find locates: a
// code read in what follows ("弄错了 51是流水号 代码是05"), else the number
// right after it ("不对 是61").
func (r *Reader) corrected(ts knowledge.Scan, find func(string) ([2]int, bool)) (string, bool) {
	loc, ok := find("intents.correction")
	if !ok {
		return "", false
	}
	rest := ts.Text()[loc[1]:]
	if code, ok := r.codes.Extract(rest); ok {
		return code, true
	}
	return r.codes.Leading(rest)
}

// says reports whether OCR text of a picture says anything: a code, a
// word of the lexicons beyond the generic ones and the screen's chrome
// (buttons, status bar), a code-like token (e102), or a run of four Chinese
// characters, which search may find a passage for.
func (r *Reader) says(image string) bool {
	if _, ok := r.codes.Extract(image); ok {
		return true
	}
	sc := r.m.Scan(image)
	for _, h := range sc.Hits() {
		if h.Kind != knowledge.EntryGeneric && h.Kind != knowledge.EntryExcept && !r.chrome[sc.Text()[h.Start:h.End]] {
			return true
		}
	}
	return codeLike.MatchString(image) || hanRun.MatchString(image)
}

var (
	codeLike = regexp.MustCompile(`\b[a-z]{1,3}[0-9]{2,4}\b`)
	hanRun   = regexp.MustCompile(`\p{Han}{4}`)
)

func (r *Reader) inDomain(all string, sc knowledge.Scan) bool {
	if sc.Has("cues.domain") {
		return true
	}
	// A robot is not a terminal: 机器人 holds 机器, a domain word.
	_, ok := r.codes.Extract(all)
	return ok
}

// language returns "en" when the merchant wrote English words beyond code
// labels, else "zh"; neutral when the text has neither Chinese nor English
// words.
func (r *Reader) language(text string) (lang string, neutral bool) {
	if !English(text) {
		if r.mostlyEnglish(text) {
			// "It says 余额不足 and a 51 underneath, what does that mean":
			// English around a quoted Chinese screen.
			return "en", false
		}
		return "zh", !containsHan(text)
	}
	if r.englishWords(text) > 0 {
		return "en", false
	}
	return "zh", true
}

// mostlyEnglish reports whether text is written in English around a few
// Chinese words, a quoted screen: at least four English words (beyond the
// neutral ones, such as pos and rc), at least as many as its Chinese
// characters, and those few. A Chinese sentence with pasted English screen
// text ("TRANS FAILED … 请持卡人联系发卡行") stays Chinese.
func (r *Reader) mostlyEnglish(text string) bool {
	han, letters := 0, 0
	for _, c := range text {
		switch {
		case 0x4e00 <= c && c <= 0x9fff:
			han++
		case 'a' <= c && c <= 'z':
			letters++
		}
	}
	if han > 8 || letters < 8 { // most Chinese messages: no need to read words
		return false
	}
	words := r.englishWords(text)
	return words >= 4 && words >= han
}

// englishWords counts the words of two Latin letters or more in text that
// are not neutral (pos, rc, pinyin).
func (r *Reader) englishWords(text string) int {
	n := 0
	for _, w := range strings.FieldsFunc(r.neutral.ReplaceAllString(text, " "), func(c rune) bool { return c < 'a' || c > 'z' }) {
		if len(w) >= 2 {
			n++
		}
	}
	return n
}

// containsHan reports whether s holds a Chinese character (\p{Han}).
func containsHan(s string) bool {
	for _, r := range s {
		if 0x4e00 <= r && r <= 0x9fff || r >= 0x2e80 && unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}
