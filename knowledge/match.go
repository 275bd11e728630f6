package knowledge

import (
	"regexp"
	"slices"
	"strings"
)

// Kinds of lexicon entry a phrase may belong to.
const (
	EntryConcept = iota + 1 // a concept's variant; Key is the concept id
	EntryGeneric            // a generic word
	EntryRule               // a rule's phrase; Key is "intents.human", "cues.domain" …
	EntryExcept             // a rule's except phrase; Key is the rule
)

// Entry is what one phrase of the lexicon stands for.
type Entry struct {
	Kind int
	Key  string
}

// Hit is one occurrence of a lexicon phrase in a text, by byte offsets.
type Hit struct {
	Start, End int
	Entry
}

// Matcher finds every phrase of every lexicon in a text in one pass, with
// an Aho-Corasick automaton. It is read-only after NewMatcher and safe for
// concurrent use.
type Matcher struct {
	auto     *automaton
	phrases  []string
	entries  [][]Entry
	patterns map[string][]pattern
	concepts map[string]Concept // by id, canonical filled in from any language
	order    map[string]int     // concept id → position, for a stable order
}

// pattern is a rule's regular expression and strings one of which every
// match holds (see required; "只有[^,]{0,6}[张卡]" needs 只有), checked
// first: most messages hold none of them, and a substring test is cheaper
// than a match. need is nil when no such string can be named.
type pattern struct {
	re   *regexp.Regexp
	need []string
}

// NewMatcher builds the matcher of ls. ls must have been validated (Load
// does), so every pattern compiles.
func NewMatcher(ls Lexicons) *Matcher {
	m := &Matcher{patterns: map[string][]pattern{}, concepts: map[string]Concept{}, order: map[string]int{}}
	index := map[string]int{}
	add := func(phrase string, e Entry) {
		phrase = strings.ToLower(phrase)
		if phrase == "" {
			return
		}
		i, ok := index[phrase]
		if !ok {
			i = len(m.phrases)
			index[phrase] = i
			m.phrases = append(m.phrases, phrase)
			m.entries = append(m.entries, nil)
		}
		if !slices.Contains(m.entries[i], e) {
			m.entries[i] = append(m.entries[i], e)
		}
	}
	for _, lang := range ls.Languages() {
		l := ls[lang]
		for _, g := range l.Generic {
			add(g, Entry{EntryGeneric, ""})
		}
		for _, c := range l.Concepts {
			if _, ok := m.order[c.ID]; !ok {
				m.order[c.ID] = len(m.order)
			}
			prev := m.concepts[c.ID]
			prev.ID = c.ID
			prev.Generic = prev.Generic || c.Generic
			if prev.Cue == "" {
				prev.Cue = c.Cue
			}
			if prev.Canonical == "" {
				prev.Canonical = ls.Canonical(c.ID)
			}
			m.concepts[c.ID] = prev
			for _, v := range c.Variants {
				add(v, Entry{EntryConcept, c.ID})
			}
		}
		for group, rules := range map[string]map[string]Rule{"intents": l.Intents, "answers": l.Answers, "cues": l.Cues} {
			for name, r := range rules {
				key := group + "." + name
				for _, p := range r.Phrases {
					add(p, Entry{EntryRule, key})
				}
				for _, p := range r.Except {
					add(p, Entry{EntryExcept, key})
				}
				for _, p := range r.Patterns {
					if lang == "en" {
						p = `\b(?:` + p + `)\b`
					}
					m.patterns[key] = append(m.patterns[key], pattern{regexp.MustCompile(p), required(p)})
				}
			}
		}
	}
	m.auto = newAutomaton(m.phrases)
	return m
}

// Scan is the lexicon's reading of one text: every phrase occurrence.
type Scan struct {
	m    *Matcher
	text string
	hits []Hit
}

// Scan finds every lexicon phrase in s, which should be normalised (lower
// case). English phrases count only as whole words.
func (m *Matcher) Scan(s string) Scan {
	sc := Scan{m: m, text: s}
	if s != "" {
		// About one hit every two bytes in merchants' messages: room for
		// them at once rather than growing the slice hit by hit.
		sc.hits = make([]Hit, 0, min(len(s)/2+2, 256))
	}
	m.auto.each(s, func(start, end int, phrase int32) {
		if !wholeWord(s, start, end) {
			return
		}
		for _, e := range m.entries[phrase] {
			sc.hits = append(sc.hits, Hit{start, end, e})
		}
	})
	return sc
}

// wholeWord reports whether s[start:end] does not cut an ASCII word: a
// phrase that starts or ends with a letter or digit must not continue one.
func wholeWord(s string, start, end int) bool {
	if start > 0 && isWordByte(s[start]) && isWordByte(s[start-1]) {
		return false
	}
	return end >= len(s) || !isWordByte(s[end-1]) || !isWordByte(s[end])
}

func isWordByte(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9'
}

// Text returns the text that was scanned.
func (sc Scan) Text() string { return sc.text }

// By reports whether m made the scan (false for the zero Scan).
func (sc Scan) By(m *Matcher) bool { return sc.m != nil && sc.m == m }

// Hits returns every occurrence, in order of their end.
func (sc Scan) Hits() []Hit { return sc.hits }

// Has reports whether rule key ("intents.human", "answers.scope_one",
// "cues.domain") recognises the text: one of its phrases occurs outside its
// except phrases, or one of its patterns matches.
func (sc Scan) Has(key string) bool {
	_, ok := sc.Find(key)
	return ok
}

// Find returns where rule key first recognises the text: the earliest
// phrase hit, or pattern match, as [start, end).
func (sc Scan) Find(key string) ([2]int, bool) {
	return sc.find(key, false)
}

// FindLast returns where rule key last recognises the text: the latest
// phrase hit, or pattern match, as [start, end).
func (sc Scan) FindLast(key string) ([2]int, bool) {
	return sc.find(key, true)
}

func (sc Scan) find(key string, last bool) ([2]int, bool) {
	best, found := [2]int{}, false
	better := func(start int) bool { return !found || (!last && start < best[0]) || (last && start > best[0]) }
	for _, h := range sc.hits {
		if h.Kind != EntryRule || h.Key != key || sc.excepted(key, h) {
			continue
		}
		if better(h.Start) {
			best, found = [2]int{h.Start, h.End}, true
		}
	}
	for _, p := range sc.m.patterns[key] {
		if p.need != nil && !holdsAny(sc.text, p.need) {
			continue
		}
		var loc []int
		if last {
			if all := p.re.FindAllStringIndex(sc.text, -1); len(all) > 0 {
				loc = all[len(all)-1]
			}
		} else {
			loc = p.re.FindStringIndex(sc.text)
		}
		if loc != nil && better(loc[0]) {
			best, found = [2]int{loc[0], loc[1]}, true
		}
	}
	return best, found
}

// excepted reports whether h lies inside an except phrase of its rule.
func (sc Scan) excepted(key string, h Hit) bool {
	for _, e := range sc.hits {
		if e.Kind == EntryExcept && e.Key == key && e.Start <= h.Start && h.End <= e.End {
			return true
		}
	}
	return false
}

// Concepts returns the concepts whose variants occur, in lexicon order.
func (sc Scan) Concepts() []Concept {
	var ids []string
	for _, h := range sc.hits {
		if h.Kind == EntryConcept && !slices.Contains(ids, h.Key) {
			ids = append(ids, h.Key)
		}
	}
	slices.SortFunc(ids, func(a, b string) int { return sc.m.order[a] - sc.m.order[b] })
	out := make([]Concept, len(ids))
	for i, id := range ids {
		out[i] = sc.m.concepts[id]
	}
	return out
}

// Generic returns the generic words of the text that do not overlap a
// longer one, leftmost and longest first: what Informative takes out.
func (sc Scan) Generic() [][2]int {
	var gs [][2]int
	for _, h := range sc.hits {
		if h.Kind == EntryGeneric || h.Kind == EntryConcept && sc.m.concepts[h.Key].Generic {
			gs = append(gs, [2]int{h.Start, h.End})
		}
	}
	slices.SortFunc(gs, func(a, b [2]int) int {
		if a[0] != b[0] {
			return a[0] - b[0]
		}
		return b[1] - a[1]
	})
	var out [][2]int
	for _, g := range gs {
		if n := len(out); n > 0 && g[0] < out[n-1][1] {
			continue
		}
		out = append(out, g)
	}
	return out
}

// Cue reports whether a concept with the given cue ("fraud", "scam",
// "insider") occurs.
func (sc Scan) Cue(cue string) bool {
	for _, h := range sc.hits {
		if h.Kind == EntryConcept && sc.m.concepts[h.Key].Cue == cue {
			return true
		}
	}
	return false
}

// Concept returns concept id.
func (m *Matcher) Concept(id string) (Concept, bool) {
	c, ok := m.concepts[id]
	return c, ok
}
