package retrieval

import (
	"strings"
	"unicode"
)

// Tokens splits text into search tokens: character bigrams for runs of CJK
// (a run of one character stays a unigram) and lower-case words for runs of
// letters and digits. It needs no dictionary, which keeps it fast and
// predictable on the short, typo-ridden messages merchants send.
func Tokens(s string) []string {
	var out []string
	var run []rune
	var word []rune
	flushCJK := func() {
		switch {
		case len(run) == 1:
			out = append(out, string(run))
		case len(run) > 1:
			for i := 0; i+1 < len(run); i++ {
				out = append(out, string(run[i:i+2]))
			}
		}
		run = run[:0]
	}
	flushWord := func() {
		if len(word) > 0 {
			out = append(out, strings.ToLower(string(word)))
		}
		word = word[:0]
	}
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Han, r):
			flushWord()
			run = append(run, r)
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			flushCJK()
			word = append(word, r)
		default:
			flushCJK()
			flushWord()
		}
	}
	flushCJK()
	flushWord()
	return out
}
