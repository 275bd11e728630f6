package retrieval

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/posbot/posbot/knowledge"
)

// Analyzer reads text for search with the lexicon: it expands a message
// with the knowledge base's words for the concepts it mentions, and keeps
// what can tell one cause from another. It is read-only after NewAnalyzer
// and safe for concurrent use.
type Analyzer struct {
	matcher     func() *knowledge.Matcher // built in the background at start-up: asked for when first needed
	identifiers *regexp.Regexp
	version     string
}

// m returns the lexicons' matcher, waiting for it the first time.
func (a *Analyzer) m() *knowledge.Matcher { return a.matcher() }

// NewAnalyzer returns the analyzer of base's lexicons.
func NewAnalyzer(base *knowledge.Base) *Analyzer {
	ls := base.Lexicons()
	var labels []string
	for _, lang := range ls.Languages() {
		for _, l := range ls[lang].Identifiers {
			labels = append(labels, regexp.QuoteMeta(strings.ToLower(l)))
		}
	}
	// Receipt numbers and amounts: they say which transaction, not what
	// went wrong.
	ids := `(?:` + strings.Join(labels, "|") + `)?[::]?\s*[0-9*]+(\.[0-9]+)?\s*(元|块|笔|次|号|点|分钟|分|秒|天|个|张|台|年|月|日)?`
	if len(labels) == 0 {
		ids = `[0-9*]+(\.[0-9]+)?`
	}
	b, _ := json.Marshal(ls) // lexicons always marshal
	h := sha256.Sum256(b)
	return &Analyzer{matcher: base.Matcher, identifiers: regexp.MustCompile(ids), version: hex.EncodeToString(h[:4])}
}

// DefaultAnalyzer returns the analyzer of the embedded knowledge base's
// lexicons, built once.
var DefaultAnalyzer = sync.OnceValue(func() *Analyzer {
	base, err := knowledge.Embedded()
	if err != nil {
		panic("retrieval: the embedded knowledge base does not load: " + err.Error())
	}
	return NewAnalyzer(base)
})

// Version identifies the lexicons the analyzer was built from, so that
// stores can tell when analysed text must be computed again.
func (a *Analyzer) Version() string { return a.version }

// Scan reads s, which should be normalised (lower case, half-width), with
// the lexicons.
func (a *Analyzer) Scan(s string) knowledge.Scan { return a.m().Scan(lower(s)) }

// Reading is a query as every searcher reads it, so that the in-memory
// retriever and the stores rank and judge on the same words.
type Reading struct {
	// Lower is the query's text in lower case; Scan the lexicon's reading of it.
	Lower string
	Scan  knowledge.Scan
	// Info is what can tell one cause from another (Informative): ranking
	// and confidence rest on it.
	Info string
	// Expanded is the text with the canonical words of every concept it
	// mentions (Expand): what is ranked on when Info holds no known term,
	// and what the hash embedder embeds.
	Expanded string
}

// Read reads q, using q.Scan when it is this analyzer's reading of q.Text.
func (a *Analyzer) Read(q Query) Reading {
	rd := Reading{Lower: lower(q.Text), Scan: q.Scan}
	if !rd.Scan.By(a.m()) || rd.Scan.Text() != rd.Lower {
		rd.Scan = a.Scan(rd.Lower)
	}
	rd.Expanded = rd.Lower + canonicals(rd.Scan, true)
	// Generic failure words match everything.
	rd.Info = a.informative(rd.Scan)
	return rd
}

// Mentions counts the specific concepts the query mentions, how many of
// them top speaks of (holds one of the concept's canonical words whole:
// holds reports whether top holds every token of a word), and whether the
// query quotes one of top's screen wordings: the parts of retrieval.Evidence
// that rest on the reading. Every searcher judges with it.
func (rd Reading) Mentions(top knowledge.Passage, holds func(word string) bool) (concepts, supported int, display bool) {
	for _, c := range rd.Scan.Concepts() {
		if c.Generic {
			continue
		}
		concepts++
		for w := range strings.FieldsSeq(lower(c.Canonical)) {
			if holds(w) {
				supported++
				break
			}
		}
	}
	for _, d := range top.Display {
		if utf8.RuneCountInString(d) >= 3 && strings.Contains(rd.Lower, lower(d)) {
			display = true
		}
	}
	return concepts, supported, display
}

// Expand appends to s the canonical words of every concept it mentions.
func (a *Analyzer) Expand(s string) string {
	s = strings.ToLower(s)
	return s + canonicals(a.m().Scan(s), true)
}

// Informative strips the generic words, identifiers and numbers from s and
// adds the canonical words of its specific concepts, leaving what can tell
// one cause from another ("刷卡失败了怎么办" leaves nothing; "读卡失败"
// keeps 读卡).
func (a *Analyzer) Informative(s string) string {
	s = strings.ToLower(s)
	return a.informative(a.m().Scan(s))
}

func (a *Analyzer) informative(sc knowledge.Scan) string {
	s := sc.Text()
	var b strings.Builder
	last := 0
	for _, g := range sc.Generic() {
		b.WriteString(s[last:g[0]])
		b.WriteByte(' ')
		last = g[1]
	}
	b.WriteString(s[last:])
	rest := b.String()
	if strings.ContainsAny(rest, "0123456789*") { // every identifier holds one
		rest = a.identifiers.ReplaceAllString(rest, " ")
	}
	return dropLoneHan(rest) + canonicals(sc, false)
}

// canonicals returns the canonical words of the concepts of sc, each
// preceded by a space; those of generic concepts only when withGeneric.
func canonicals(sc knowledge.Scan, withGeneric bool) string {
	var b strings.Builder
	for _, c := range sc.Concepts() {
		if c.Generic && !withGeneric {
			continue
		}
		b.WriteByte(' ')
		b.WriteString(c.Canonical)
	}
	return b.String()
}

// dropLoneHan blanks Chinese characters left standing alone after the
// generic words are gone ("刷了" leaves "刷"): one character is too little to
// tell causes apart.
func dropLoneHan(s string) string {
	rs := []rune(s)
	for i, r := range rs {
		if !unicode.Is(unicode.Han, r) {
			continue
		}
		prev := i > 0 && unicode.Is(unicode.Han, rs[i-1])
		next := i+1 < len(rs) && unicode.Is(unicode.Han, rs[i+1])
		if !prev && !next {
			rs[i] = ' '
		}
	}
	return string(rs)
}
