package bot

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/posbot/posbot/knowledge"
)

// wordings finds the screen wordings and code meanings a merchant quotes
// ("显示该卡未初始化", "终端已锁定", "找不到原始交易"): the screen's own words
// are the strongest evidence there is, wherever the passage ranks. A
// wording belongs to the passages whose display texts or title hold it;
// one shared by many passages (交易失败，请联系发卡行) says nothing and is
// left out, and so is one made of generic words only.
type wordings struct {
	phrases []string            // lower case, longest first
	owners  map[string][]string // phrase → passage ids
	byFirst map[rune][]int32    // first character → phrases starting with it, in order
}

// maxOwners is how many passages may share a wording before it stops
// telling them apart.
const maxOwners = 2

func newWordings(base *knowledge.Base, generic func(string) string) *wordings {
	w := &wordings{owners: map[string][]string{}}
	add := func(phrase, id string) {
		phrase = strings.ToLower(strings.TrimSpace(phrase))
		if utf8.RuneCountInString(phrase) < 3 || informativeRunes(generic(phrase)) < 2 {
			return
		}
		if !slices.Contains(w.owners[phrase], id) {
			w.owners[phrase] = append(w.owners[phrase], id)
		}
	}
	for _, p := range base.All() {
		if p.Family == "approved" {
			continue // "交易成功" quoted is not a failure's cause
		}
		for _, d := range p.Display {
			add(d, p.ID)
		}
		// A code's meaning is what screens say, in English too ("INVALID
		// MERCHANT"); a message's title names a topic ("预授权"), which
		// merchants mention without quoting.
		for _, m := range p.Meanings() {
			add(m, p.ID)
		}
	}
	// Guidance (the lexicons' guidance words start it) is also said by every
	// screen that holds it within a longer line: 02's title says 请联系发卡行,
	// and so do the screens of 01, 02 and 44 (交易失败，请联系发卡行), so it
	// tells none of them apart.
	var guides []string
	for _, l := range base.Lexicons() {
		for _, g := range l.Guidance {
			for ph := range w.owners {
				if strings.HasPrefix(ph, strings.ToLower(g)) {
					guides = append(guides, ph)
				}
			}
		}
	}
	for _, p := range base.All() {
		if p.Family == "approved" {
			continue
		}
		for _, d := range p.Display {
			d = strings.ToLower(d)
			for _, ph := range guides {
				if ids := w.owners[ph]; len(ph) < len(d) && !slices.Contains(ids, p.ID) && strings.Contains(d, ph) {
					w.owners[ph] = append(ids, p.ID)
				}
			}
		}
	}
	for ph, ids := range w.owners {
		if len(ids) > maxOwners {
			delete(w.owners, ph)
			continue
		}
		w.phrases = append(w.phrases, ph)
	}
	slices.SortFunc(w.phrases, func(a, b string) int {
		if d := len(b) - len(a); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	w.byFirst = map[rune][]int32{}
	for i, ph := range w.phrases {
		r, _ := utf8.DecodeRuneInString(ph)
		w.byFirst[r] = append(w.byFirst[r], int32(i))
	}
	return w
}

// informativeRunes counts the Chinese characters and Latin letters and
// digits of s.
func informativeRunes(s string) int {
	n := 0
	for _, r := range s {
		if unicode.Is(unicode.Han, r) || r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			n++
		}
	}
	return n
}

// find returns the passages of the longest wording sc's text quotes, and
// the wording; nil when it quotes none. A wording that is part of a longer
// phrase of the lexicon meaning something else ("密码错误" in
// "操作员密码错误") is not quoted.
func (w *wordings) find(sc knowledge.Scan) ([]string, string) {
	text := sc.Text()
	// Only phrases that start with a character of the text can occur in
	// it: mark those, and try them in the order of phrases.
	var small [8]uint64
	marks := small[:]
	if n := (len(w.phrases) + 63) / 64; n > len(small) {
		marks = make([]uint64, n)
	}
	for _, r := range text {
		for _, c := range w.byFirst[r] {
			marks[c/64] |= 1 << (c % 64)
		}
	}
	for c, ph := range w.phrases {
		if marks[c/64]&(1<<(c%64)) == 0 {
			continue
		}
		i := strings.Index(text, ph)
		if i < 0 || straddled(sc, i, i+len(ph)) {
			continue
		}
		return w.owners[ph], ph
	}
	return nil, ""
}

// straddled reports whether a concept phrase of sc overlaps [start, end)
// and reaches beyond it.
func straddled(sc knowledge.Scan, start, end int) bool {
	for _, h := range sc.Hits() {
		if h.Kind == knowledge.EntryConcept && h.Start < end && start < h.End && (h.Start < start || h.End > end) {
			return true
		}
	}
	return false
}
