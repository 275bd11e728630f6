package understand

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/posbot/posbot/knowledge"
)

// Facts are what a merchant tells a support agent that helps find the
// transaction. Empty fields were not found.
type Facts struct {
	MerchantNo string // 商户号, 15 characters (ISO 8583 field 42)
	TerminalNo string // 终端号, 8 characters (field 41)
	RefNo      string // 参考号, 12 characters (field 37)
	// Time is the sale's time as written: "今天下午3点20分", "14:32",
	// "2026-11-25 09:15:02". A date alone is not a time.
	Time string
	// Amount is the amount's digits, in yuan: "128.50".
	Amount string
	// CardLast4 are a card's last four digits, after a word that says so
	// ("尾号1234") or from a card number as redact masks it.
	CardLast4 string
}

// FactReader reads Facts with the words of the knowledge base's lexicons
// (their facts sections). Build it with NewFactReader; it is read-only and
// safe for concurrent use.
type FactReader struct {
	merchantNo, terminalNo, refNo, cardLast4 gated
	amount, time                             *regexp.Regexp
	hour                                     []string // words that make a match a time of day
}

// gated is a pattern that matches only where one of its keys occurs (in
// lower case): most messages hold none, and a substring search is much
// faster than the pattern.
type gated struct {
	re   *regexp.Regexp
	keys []string
}

// find returns the first non-empty group of the pattern's first match in
// s (lower is s in lower case); "" for none.
func (g gated) find(s, lower string) string {
	if g.re == nil || !slices.ContainsFunc(g.keys, func(k string) bool { return strings.Contains(lower, k) }) {
		return ""
	}
	return group(g.re, s)
}

// gate returns re gated by the first word of each of words, and extra.
func gate(re *regexp.Regexp, words []string, extra ...string) gated {
	keys := slices.Clone(extra)
	for _, w := range words {
		if f := strings.Fields(strings.ToLower(w)); len(f) > 0 {
			keys = append(keys, f[0])
		}
	}
	slices.Sort(keys)
	return gated{re: re, keys: slices.Compact(keys)}
}

// idRun is a run of digits long enough to be an identifier (or a card
// number as redact masks it), which the time reader must not read a time
// out of.
var idRun = regexp.MustCompile(`\d{5,}|\d{6}\*+\d{4}`)

// NewFactReader builds the patterns of base's fact words. It fails when
// base has no lexicons.
func NewFactReader(base *knowledge.Base) (*FactReader, error) {
	ls := base.Lexicons()
	if len(ls) == 0 {
		return nil, errors.New("understand: the knowledge base has no lexicons")
	}
	var w knowledge.FactWords
	for _, lang := range ls.Languages() {
		f := ls[lang].Facts
		w.MerchantNo = append(w.MerchantNo, f.MerchantNo...)
		w.TerminalNo = append(w.TerminalNo, f.TerminalNo...)
		w.RefNo = append(w.RefNo, f.RefNo...)
		w.Is = append(w.Is, f.Is...)
		w.CardLast4 = append(w.CardLast4, f.CardLast4...)
		w.CurrencySigns = append(w.CurrencySigns, f.CurrencySigns...)
		w.Currency = append(w.Currency, f.Currency...)
		w.Days = append(w.Days, f.Days...)
		w.DayParts = append(w.DayParts, f.DayParts...)
		w.Month = append(w.Month, f.Month...)
		w.Day = append(w.Day, f.Day...)
		w.Hour = append(w.Hour, f.Hour...)
		w.Minute = append(w.Minute, f.Minute...)
		w.Half = append(w.Half, f.Half...)
	}
	fr := &FactReader{hour: w.Hour}
	var errs []error
	compile := func(pattern string) *regexp.Regexp {
		re, err := regexp.Compile(pattern)
		errs = append(errs, err)
		return re
	}
	// What may sit between a label and its value on receipts and screens:
	// an English gloss in parentheses ("商户编号(MERCHANT NO.):"), a word
	// such as 是, colons and spaces. Each value is exactly the field's
	// length: the trailing group refuses a longer run of letters or digits.
	is := separators(":：", w.Is)
	label := `(?:\s*\([a-z. ]{0,24}\))?(?:\s|` + separators(":：=", w.Is) + `)*`
	value := func(labels []string, n int) gated {
		if len(labels) == 0 {
			return gated{}
		}
		return gate(compile(fmt.Sprintf(`(?i)(?:%s)%s([0-9a-z]{%d})(?:[^0-9a-z]|$)`, alt(labels), label, n)), labels)
	}
	fr.merchantNo = value(w.MerchantNo, 15)
	fr.terminalNo = value(w.TerminalNo, 8)
	fr.refNo = value(w.RefNo, 12)

	// A masked card number (first six, stars, last four) says its last four too.
	fr.cardLast4 = gate(compile(`(?i)(?:\d{6}\*{2,}`+altAfter(`|`, w.CardLast4)+`)\s*`+is+`?\s*(\d{4})(?:\D|$)`), w.CardLast4, "*")

	const number = `(\d{1,7}(?:\.\d{1,2})?)`
	var amounts []string
	if len(w.CurrencySigns) > 0 {
		amounts = append(amounts, `(?:`+alt(w.CurrencySigns)+`)\s*`+number)
	}
	if len(w.Currency) > 0 {
		amounts = append(amounts, number+`\s*(?:`+alt(w.Currency)+`)`)
	}
	if len(amounts) > 0 {
		fr.amount = compile(`(?i)(?:` + strings.Join(amounts, "|") + `)`)
	}

	// A date, maybe with a clock time; or a spoken or clock time, maybe
	// after a spoken date, a day and a part of the day.
	date := `\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:\s+\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?`
	var spoken strings.Builder
	if len(w.Month) > 0 && len(w.Day) > 0 {
		spoken.WriteString(`(?:\d{1,2}(?:` + alt(w.Month) + `)\d{1,2}(?:` + alt(w.Day) + `)\s*)?`)
	}
	if len(w.Days) > 0 {
		spoken.WriteString(`(?:` + alt(w.Days) + `)?`)
	}
	spoken.WriteString(`\s*`)
	if len(w.DayParts) > 0 {
		spoken.WriteString(`(?:` + alt(w.DayParts) + `)?`)
	}
	spoken.WriteString(`\s*\d{1,2}(?:[:：]\d{2}`)
	if len(w.Hour) > 0 {
		spoken.WriteString(`|(?:` + alt(w.Hour) + `)`)
		var after []string
		if len(w.Minute) > 0 {
			after = append(after, `\d{1,2}(?:`+alt(w.Minute)+`)?`)
		} else {
			after = append(after, `\d{1,2}`)
		}
		if len(w.Half) > 0 {
			after = append(after, `(?:`+alt(w.Half)+`)`)
		}
		spoken.WriteString(`(?:` + strings.Join(after, "|") + `)?`)
	}
	spoken.WriteString(`)`)
	fr.time = compile(`(?i)(?:` + date + `|` + spoken.String() + `)`)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("understand: fact patterns: %w", err)
	}
	return fr, nil
}

// Read finds the facts in s, a merchant's message, typed or OCR'd from a
// receipt, raw or normalised. Letters in identifiers are returned
// uppercase. Unlabelled numbers are not identifiers: a bare 15-digit number
// may be anything.
func (fr *FactReader) Read(s string) Facts {
	lower := strings.ToLower(s)
	f := Facts{
		MerchantNo: strings.ToUpper(fr.merchantNo.find(s, lower)),
		TerminalNo: strings.ToUpper(fr.terminalNo.find(s, lower)),
		RefNo:      strings.ToUpper(fr.refNo.find(s, lower)),
		CardLast4:  fr.cardLast4.find(s, lower),
		Amount:     group(fr.amount, s),
	}
	// The first time-like run decides: a date with no time is no time.
	if m := strings.TrimSpace(fr.time.FindString(idRun.ReplaceAllString(s, " "))); m != "" && fr.isTime(m) {
		f.Time = m
	}
	return f
}

// isTime reports whether m, a match of the time pattern, says a time of
// day: a clock time or an hour word, not a date alone.
func (fr *FactReader) isTime(m string) bool {
	if strings.ContainsAny(m, ":：") {
		return true
	}
	lower := strings.ToLower(m)
	return slices.ContainsFunc(fr.hour, func(h string) bool { return strings.Contains(lower, strings.ToLower(h)) })
}

// group returns the first non-empty group of re's first match in s; "" for
// no match or a nil re.
func group(re *regexp.Regexp, s string) string {
	if re == nil {
		return ""
	}
	m := re.FindStringSubmatch(s)
	for _, g := range m[min(1, len(m)):] {
		if g != "" {
			return g
		}
	}
	return ""
}

// alt is an alternation of words, longest first (so "商户号码" wins over
// "商户号" and "ending in" over "ending"); a space in a word matches any
// spacing, none included.
func alt(words []string) string {
	ws := slices.Clone(words)
	slices.SortFunc(ws, func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) })
	ws = slices.Compact(ws)
	for i, w := range ws {
		parts := strings.Fields(strings.ToLower(w))
		for j, p := range parts {
			parts[j] = regexp.QuoteMeta(p)
		}
		ws[i] = strings.Join(parts, `\s*`)
	}
	return strings.Join(ws, "|")
}

// separators is a pattern of one separator: a character of chars or one
// of words (single characters join the class).
func separators(chars string, words []string) string {
	class := []rune(chars)
	var long []string
	for _, w := range words {
		if r := []rune(w); len(r) == 1 {
			class = append(class, r...)
		} else {
			long = append(long, w)
		}
	}
	var quoted strings.Builder
	for _, r := range class {
		quoted.WriteString(regexp.QuoteMeta(string(r)))
	}
	return `(?:[` + quoted.String() + `]` + altAfter(`|`, long) + `)`
}

// altAfter is alt(words) after sep, or "" when there are no words.
func altAfter(sep string, words []string) string {
	if len(words) == 0 {
		return ""
	}
	return sep + alt(words)
}
