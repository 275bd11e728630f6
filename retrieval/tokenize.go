package retrieval

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Tokens splits text into search tokens: character bigrams for runs of CJK
// (a run of one character stays a unigram) and lower-case words for runs of
// letters and digits. It needs no dictionary, which keeps it fast and
// predictable on the short, typo-ridden messages merchants send.
func Tokens(s string) []string {
	var out []string
	var tz tokenizer
	tz.each(s, func(tok []byte) { out = append(out, string(tok)) })
	return out
}

// tokenizer cuts text into the tokens of Tokens, handing each to a function
// as bytes it may not keep: a query looks its tokens up in the index
// (m[string(tok)] does not allocate) without making a string of each. Its
// zero value is ready; its buffers are reused from one text to the next.
type tokenizer struct {
	run  []rune // the current run of CJK characters
	word []byte // the current word of ASCII letters and digits, lower case
	tok  []byte
}

// each calls emit with every token of s, in the order Tokens returns them.
func (tz *tokenizer) each(s string, emit func(tok []byte)) {
	tz.run, tz.word = tz.run[:0], tz.word[:0]
	flushCJK := func() {
		switch run := tz.run; {
		case len(run) == 1:
			tz.tok = utf8.AppendRune(tz.tok[:0], run[0])
			emit(tz.tok)
		case len(run) > 1:
			for i := 0; i+1 < len(run); i++ {
				tz.tok = utf8.AppendRune(utf8.AppendRune(tz.tok[:0], run[i]), run[i+1])
				emit(tz.tok)
			}
		}
		tz.run = tz.run[:0]
	}
	flushWord := func() {
		if len(tz.word) > 0 {
			emit(tz.word)
		}
		tz.word = tz.word[:0]
	}
	for _, r := range s {
		switch {
		case r < unicode.MaxASCII:
			// ASCII letters and digits make words (unicode.IsLetter and
			// IsDigit of ASCII are these ranges); the rest separates.
			switch {
			case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
				flushCJK()
				tz.word = append(tz.word, byte(r))
			case 'A' <= r && r <= 'Z':
				flushCJK()
				tz.word = append(tz.word, byte(r+'a'-'A'))
			default:
				flushCJK()
				flushWord()
			}
		case cjkIdeograph(r) || unicode.Is(unicode.Han, r):
			flushWord()
			tz.run = append(tz.run, r)
		default:
			flushCJK()
			flushWord()
		}
	}
	flushCJK()
	flushWord()
}

// lower is strings.ToLower, without mapping the Chinese characters most of
// a message is made of through the case tables (they have no case): the
// same string, returned as it is when nothing changes.
func lower(s string) string {
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				return strings.ToLower(s)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if size == 1 || !cjkIdeograph(r) && unicode.ToLower(r) != r {
			return strings.ToLower(s) // a broken byte becomes U+FFFD there
		}
		i += size
	}
	return s
}
