package knowledge

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"
)

// Lexicon is how merchants say things in one language, and what the engine
// reads in them: spelling fixes, generic words, concepts with their
// variants, intents, answers to the triage question, cues and the words
// around response codes. It lives in data/lexicon/<language>.yaml, beside
// the passages, so that whoever edits the knowledge edits the vocabulary
// too. Phrases are matched in normalised text (lower case, half-width);
// English phrases and patterns as whole words.
type Lexicon struct {
	Language string `yaml:"language"`
	// Spelling maps misspellings, OCR confusions and dialect words to the
	// words the rest of the lexicon uses ("秘马": "密码", "咗": "了").
	Spelling map[string]string `yaml:"spelling"`
	// Pinyin maps domain words typed in pinyin to characters, as whole words.
	Pinyin map[string]string `yaml:"pinyin"`
	// Generic are words that say something failed, or fill a sentence,
	// without saying what.
	Generic []string `yaml:"generic"`
	// Concepts are the ways merchants say one thing.
	Concepts []Concept `yaml:"concepts"`
	// Intents are what a message asks for or says about the last answer:
	// human, unsolved, solved, question, but_after, greeting, thanks, ack,
	// also (a second question), switch (a follow-up opening another
	// question), correction (the code after it is the one meant),
	// cant_describe, still.
	Intents map[string]Rule `yaml:"intents"`
	// Answers are answers to the triage question: scope_one, scope_all,
	// signal_none, signal_ok, terminal_old, terminal_new.
	Answers map[string]Rule `yaml:"answers"`
	// Cues are signs the dialogue acts on: damaged_card, domain, failure,
	// frozen_account, debited, card, out_of_scope, prevention.
	Cues map[string]Rule `yaml:"cues"`
	// Codes are the words around response codes.
	Codes CodeWords `yaml:"codes"`
	// Options are the words of a pick among numbered options.
	Options OptionWords `yaml:"options"`
	// Chrome are the words every photo of a screen shows around its
	// message (its buttons, the phone's status bar): a picture with only
	// these, generic words and noise says nothing of the problem.
	Chrome []string `yaml:"chrome"`
	// Identifiers are labels of receipt numbers (商户号, 参考号 …).
	Identifiers []string `yaml:"identifiers"`
	// Guidance are the words that start what a screen tells the merchant to
	// do ("请联系发卡行", "please retry") rather than what went wrong:
	// guidance that other screens carry within their lines tells none of
	// them apart.
	Guidance []string `yaml:"guidance"`
	// Facts are the words around what a merchant tells a support agent:
	// receipt numbers, a card's last four digits, an amount, a time.
	Facts FactWords `yaml:"facts"`
	// Neutral are Latin words that do not make a message English ("rc", "pos").
	Neutral []string `yaml:"neutral"`
	// NeutralPatterns are regular expressions for such words as a class
	// (pinyin: "yu e bu zu", "zenme ban"), matched as whole words.
	NeutralPatterns []string `yaml:"neutral_patterns"`
}

// Concept is one thing merchants say in many ways.
type Concept struct {
	// ID names the concept ("card-read"); the same id across languages is
	// the same concept.
	ID string `yaml:"id"`
	// Canonical are the knowledge base's words for it, space-separated,
	// added to a message for search. A language file may leave it out when
	// another language's file gives it.
	Canonical string `yaml:"canonical"`
	// Variants are what merchants write.
	Variants []string `yaml:"variants"`
	// Generic marks the concept "it failed": it says nothing of the cause.
	Generic bool `yaml:"generic"`
	// Cue marks a sign of fraud: "fraud", "scam" or "insider".
	Cue string `yaml:"cue"`
}

// Rule recognises something in a message: any phrase, or any pattern, found
// after the except phrases are taken out.
type Rule struct {
	Phrases  []string `yaml:"phrases"`
	Patterns []string `yaml:"patterns"`
	Except   []string `yaml:"except"`
}

// CodeWords are the words around response codes.
type CodeWords struct {
	Labels        []string `yaml:"labels"`
	Near          []string `yaml:"near"`
	CodeWords     []string `yaml:"code_words"`
	QuestionWords []string `yaml:"question_words"`
	Measure       []string `yaml:"measure"`
	NotMeasure    []string `yaml:"not_measure"`
	Units         []string `yaml:"units"`
	Amount        []string `yaml:"amount"`
	// NotAmount end with an amount word but are a code's meaning (无效金额).
	NotAmount  []string `yaml:"not_amount"`
	Fillers    []string `yaml:"fillers"`
	Connectors []string `yaml:"connectors"`
	// BareLabels label a code on their own ("码是九四") unless the text
	// ends with one of NotBareLabels (二维码, 验证码 …).
	BareLabels    []string `yaml:"bare_labels"`
	NotBareLabels []string `yaml:"not_bare_labels"`
	// NotCodes are tokens that look like codes but are words of their own
	// (d0 and t+1, settlement terms; 4g, 5g), never read as codes, not
	// even with OCR's look-alikes.
	NotCodes []string `yaml:"not_codes"`
	// Numerals say when numbers spelt in characters are codes.
	Numerals Numerals `yaml:"numerals"`
}

// Numerals say when numbers spelt in characters (五十一, 五五) are codes:
// not after NotAfter's characters nor before NotBefore's (三千五, 五一节),
// not a holiday before HolidayNext's characters (五一那天), never NotNumbers
// (一一核对).
type Numerals struct {
	NotAfter    string   `yaml:"not_after"`
	NotBefore   string   `yaml:"not_before"`
	Holidays    []string `yaml:"holidays"`
	HolidayNext string   `yaml:"holiday_next"`
	NotNumbers  []string `yaml:"not_numbers"`
}

// FactWords are the words around what a merchant tells a support agent
// that helps find the transaction: the labels of the receipt numbers, the
// words before a card's last four digits, around an amount and in a time
// of day. The handoff reads them into a ticket. Words match whatever their
// case; a space in a word matches any spacing, none included ("merchant
// id" matches "MerchantID").
type FactWords struct {
	// MerchantNo, TerminalNo and RefNo label the merchant number (15
	// characters), terminal number (8) and reference number (12).
	MerchantNo []string `yaml:"merchant_no"`
	TerminalNo []string `yaml:"terminal_no"`
	RefNo      []string `yaml:"ref_no"`
	// Is are words between a label and its value ("商户号是…").
	Is []string `yaml:"is"`
	// CardLast4 are words before a card's last four digits ("尾号1234").
	CardLast4 []string `yaml:"card_last4"`
	// CurrencySigns go before an amount (¥), Currency after it (元, yuan).
	CurrencySigns []string `yaml:"currency_signs"`
	Currency      []string `yaml:"currency"`
	// A spoken time: [<n><Month><n><Day>] [Days] [DayParts] <n><Hour>[<n><Minute>|<Half>]
	// ("11月25日 今天下午3点20分", "3点半"); clock times (14:32) and dates
	// (2026-11-25 09:15) need no words.
	Days     []string `yaml:"days"`
	DayParts []string `yaml:"day_parts"`
	Month    []string `yaml:"month"`
	Day      []string `yaml:"day"`
	Hour     []string `yaml:"hour"`
	Minute   []string `yaml:"minute"`
	Half     []string `yaml:"half"`
}

// lists returns the word lists by their YAML names.
func (f FactWords) lists() []namedList {
	return []namedList{{"facts.merchant_no", f.MerchantNo}, {"facts.terminal_no", f.TerminalNo}, {"facts.ref_no", f.RefNo},
		{"facts.is", f.Is}, {"facts.card_last4", f.CardLast4}, {"facts.currency_signs", f.CurrencySigns},
		{"facts.currency", f.Currency}, {"facts.days", f.Days}, {"facts.day_parts", f.DayParts}, {"facts.month", f.Month},
		{"facts.day", f.Day}, {"facts.hour", f.Hour}, {"facts.minute", f.Minute}, {"facts.half", f.Half}}
}

// namedList is a word list with its name in the lexicon file.
type namedList struct {
	what string
	xs   []string
}

// requiredFacts are the fact word lists some language must fill: without
// them a fact cannot be read at all.
var requiredFacts = []string{"facts.merchant_no", "facts.terminal_no", "facts.ref_no", "facts.card_last4", "facts.currency"}

// OptionWords read a pick among numbered options.
type OptionWords struct {
	Ordinals map[string]int `yaml:"ordinals"`
	Prefixes []string       `yaml:"prefixes"`
	Suffixes []string       `yaml:"suffixes"`
}

// The keys every language's lexicon defines.
var (
	IntentKeys = []string{"human", "unsolved", "solved", "question", "but_after", "greeting", "thanks", "ack", "also", "switch", "correction", "cant_describe", "still"}
	AnswerKeys = []string{"scope_one", "scope_all", "signal_none", "signal_ok", "terminal_old", "terminal_new"}
	CueKeys    = []string{"damaged_card", "domain", "failure", "frozen_account", "debited", "card", "out_of_scope", "prevention"}
	CueKinds   = []string{"fraud", "scam", "insider"}
)

// Lexicons are the lexicons of every language, by language.
type Lexicons map[string]*Lexicon

// Languages returns the languages, sorted.
func (ls Lexicons) Languages() []string { return slices.Sorted(maps.Keys(ls)) }

func loadLexicons(fsys fs.FS) (Lexicons, error) {
	names, err := fs.Glob(fsys, "data/lexicon/*.yaml")
	if err != nil {
		return nil, fmt.Errorf("list lexicons: %w", err)
	}
	ls := Lexicons{}
	for _, name := range names {
		var l Lexicon
		if err := decodeFile(fsys, name, &l); err != nil {
			return nil, err
		}
		if want := strings.TrimSuffix(path.Base(name), ".yaml"); l.Language != want {
			return nil, fmt.Errorf("%s: language %q, want %q", name, l.Language, want)
		}
		ls[l.Language] = &l
	}
	if len(ls) == 0 {
		return nil, errors.New("load lexicons: no data/lexicon/*.yaml")
	}
	return ls, ls.validate()
}

// validate checks every lexicon and that they agree with each other: the
// same intent, answer and cue keys everywhere, concept ids that mean one
// thing, every pattern compiles, no term twice.
func (ls Lexicons) validate() error {
	var errs []error
	bad := func(lang, f string, a ...any) {
		errs = append(errs, fmt.Errorf("lexicon %s: "+f, append([]any{lang}, a...)...))
	}
	canonical := map[string]string{}
	filled := map[string]bool{} // fact word lists some language fills
	for _, lang := range ls.Languages() {
		l := ls[lang]
		for k, v := range l.Spelling {
			if k == "" || v == "" || strings.Contains(v, k) {
				bad(lang, "spelling %q → %q: a fix must not contain what it fixes", k, v)
			}
			if _, again := l.Spelling[v]; again {
				bad(lang, "spelling %q → %q → %q: fix to the final word", k, v, l.Spelling[v])
			}
		}
		for _, c := range l.Concepts {
			switch {
			case c.ID == "":
				bad(lang, "a concept without an id")
			case c.Cue != "" && !slices.Contains(CueKinds, c.Cue):
				bad(lang, "concept %s: cue %q is not one of %v", c.ID, c.Cue, CueKinds)
			case len(c.Variants) == 0:
				bad(lang, "concept %s has no variants", c.ID)
			}
			if c.Canonical != "" {
				if prev, ok := canonical[c.ID]; ok && prev != c.Canonical {
					bad(lang, "concept %s: canonical %q differs from %q in another language", c.ID, c.Canonical, prev)
				}
				canonical[c.ID] = c.Canonical
			}
		}
		seen := map[string]string{}
		for _, c := range l.Concepts {
			for _, v := range c.Variants {
				if other, dup := seen[v]; dup {
					bad(lang, "variant %q in concepts %s and %s", v, other, c.ID)
				}
				seen[v] = c.ID
			}
		}
		for _, lists := range []namedList{{"generic", l.Generic}, {"identifiers", l.Identifiers}, {"guidance", l.Guidance}, {"chrome", l.Chrome}, {"neutral", l.Neutral},
			{"codes.labels", l.Codes.Labels}, {"codes.near", l.Codes.Near}, {"codes.code_words", l.Codes.CodeWords},
			{"codes.question_words", l.Codes.QuestionWords}, {"codes.measure", l.Codes.Measure}, {"codes.not_measure", l.Codes.NotMeasure}, {"codes.not_amount", l.Codes.NotAmount},
			{"codes.units", l.Codes.Units}, {"codes.amount", l.Codes.Amount}, {"codes.fillers", l.Codes.Fillers},
			{"options.prefixes", l.Options.Prefixes}, {"options.suffixes", l.Options.Suffixes}} {
			if d := duplicate(lists.xs); d != "" {
				bad(lang, "%s lists %q twice", lists.what, d)
			}
		}
		for _, list := range l.Facts.lists() {
			if d := duplicate(list.xs); d != "" {
				bad(lang, "%s lists %q twice", list.what, d)
			}
			if slices.ContainsFunc(list.xs, func(w string) bool { return strings.TrimSpace(w) == "" }) {
				bad(lang, "%s lists an empty word", list.what)
			}
			if len(list.xs) > 0 {
				filled[list.what] = true
			}
		}
		for _, group := range []struct {
			what  string
			rules map[string]Rule
			keys  []string
		}{{"intents", l.Intents, IntentKeys}, {"answers", l.Answers, AnswerKeys}, {"cues", l.Cues, CueKeys}} {
			for _, k := range group.keys {
				if _, ok := group.rules[k]; !ok {
					bad(lang, "%s.%s is missing (every language defines %v)", group.what, k, group.keys)
				}
			}
			for k, r := range group.rules {
				if !slices.Contains(group.keys, k) {
					bad(lang, "%s.%s is not one of %v", group.what, k, group.keys)
				}
				if d := duplicate(r.Phrases); d != "" {
					bad(lang, "%s.%s lists %q twice", group.what, k, d)
				}
				for _, p := range r.Patterns {
					if _, err := regexp.Compile(p); err != nil {
						bad(lang, "%s.%s: pattern %q: %v", group.what, k, p, err)
					}
				}
			}
		}
	}
	for _, lang := range ls.Languages() {
		for _, c := range ls[lang].Concepts {
			if canonical[c.ID] == "" {
				bad(lang, "concept %s has no canonical words in any language", c.ID)
			}
		}
	}
	for _, what := range requiredFacts {
		if !filled[what] {
			errs = append(errs, fmt.Errorf("lexicons: %s is empty in every language: that fact cannot be read", what))
		}
	}
	return errors.Join(errs...)
}

// Canonical returns the canonical words of concept id, from whichever
// language gives them.
func (ls Lexicons) Canonical(id string) string {
	for _, lang := range ls.Languages() {
		for _, c := range ls[lang].Concepts {
			if c.ID == id && c.Canonical != "" {
				return c.Canonical
			}
		}
	}
	return ""
}

func duplicate(xs []string) string {
	seen := make(map[string]bool, len(xs))
	for _, x := range xs {
		if seen[x] {
			return x
		}
		seen[x] = true
	}
	return ""
}
