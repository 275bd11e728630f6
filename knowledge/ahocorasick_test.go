package knowledge

import (
	"cmp"
	"slices"
	"strings"
	"testing"
)

type occurrence struct {
	start, end int
	phrase     int32
}

// occurrencesByIndex finds every occurrence of every phrase with
// strings.Index, in the automaton's order: by end, then longest first.
func occurrencesByIndex(phrases []string, text string) []occurrence {
	var out []occurrence
	for p, ph := range phrases {
		if slices.Index(phrases, ph) != p {
			continue // a repeated phrase is found under its first index
		}
		for off := 0; ; {
			i := strings.Index(text[off:], ph)
			if i < 0 {
				break
			}
			out = append(out, occurrence{off + i, off + i + len(ph), int32(p)})
			off += i + 1
		}
	}
	slices.SortFunc(out, func(a, b occurrence) int {
		return cmp.Or(cmp.Compare(a.end, b.end), cmp.Compare(a.start, b.start))
	})
	return out
}

func automatonOccurrences(a *automaton, text string) []occurrence {
	var out []occurrence
	a.each(text, func(start, end int, p int32) { out = append(out, occurrence{start, end, p}) })
	return out
}

// TestAutomatonFindsEveryOccurrence checks the automaton of the lexicons
// against strings.Index on the knowledge base's own text.
func TestAutomatonFindsEveryOccurrence(t *testing.T) {
	t.Parallel()
	b, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	m := b.Matcher()
	total := 0
	for _, p := range b.All() {
		text := strings.ToLower(p.Title + "。" + p.Summary + "。" + strings.Join(p.Phrasings, "。") + "\n" + strings.Join(p.Steps, "\n"))
		got, want := automatonOccurrences(m.auto, text), occurrencesByIndex(m.phrases, text)
		if !slices.Equal(got, want) {
			t.Fatalf("%s: automaton found\n%v\nstrings.Index\n%v", p.ID, got, want)
		}
		total += len(got)
	}
	if total < 10000 {
		t.Fatalf("only %d occurrences: the test proves little", total)
	}
}

func TestAutomatonSmall(t *testing.T) {
	t.Parallel()
	phrases := []string{"he", "she", "his", "hers", "e", "she", "刷卡", "卡", "刷卡失败", "失败"}
	a := newAutomaton(phrases)
	for _, text := range []string{"", "ushers", "hishers", "she", "刷卡失败了，卡刷不了", "\xff\xfe刷", "eeee"} {
		if got, want := automatonOccurrences(a, text), occurrencesByIndex(phrases, text); !slices.Equal(got, want) {
			t.Errorf("%q: automaton %v, strings.Index %v", text, got, want)
		}
	}
}

func FuzzAutomaton(f *testing.F) {
	for _, s := range []string{"ushers", "刷卡失败了", "aaab", "通讯失败请检查网络"} {
		f.Add(s)
	}
	b, err := Embedded()
	if err != nil {
		f.Fatal(err)
	}
	m := b.Matcher()
	small := []string{"a", "ab", "bab", "b", "aa", "卡", "刷卡"}
	as := newAutomaton(small)
	f.Fuzz(func(t *testing.T, text string) {
		if got, want := automatonOccurrences(m.auto, text), occurrencesByIndex(m.phrases, text); !slices.Equal(got, want) {
			t.Fatalf("%q: automaton %v, strings.Index %v", text, got, want)
		}
		if got, want := automatonOccurrences(as, text), occurrencesByIndex(small, text); !slices.Equal(got, want) {
			t.Fatalf("%q: automaton %v, strings.Index %v", text, got, want)
		}
	})
}
