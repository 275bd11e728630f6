package understand

import (
	"sync"

	"github.com/posbot/posbot/knowledge"
)

// The tests call the reader through these functions, one per thing read,
// with the embedded knowledge base's lexicons.

var testReader = sync.OnceValue(func() *Reader {
	base, err := knowledge.Embedded()
	if err != nil {
		panic(err)
	}
	r, err := NewReader(base)
	if err != nil {
		panic(err)
	}
	return r
})

var testFacts = sync.OnceValue(func() *FactReader {
	base, err := knowledge.Embedded()
	if err != nil {
		panic(err)
	}
	fr, err := NewFactReader(base)
	if err != nil {
		panic(err)
	}
	return fr
})

func lexicons() knowledge.Lexicons {
	base, err := knowledge.Embedded()
	if err != nil {
		panic(err)
	}
	return base.Lexicons()
}

func Normalize(s string) string { return testReader().Normalize(s) }

// NewCodes returns an extractor that knows the given codes, with the
// embedded lexicons' words.
func NewCodes(known []string) *Codes { return newCodes(known, lexicons()) }

func read(s string) Reading        { return testReader().Read(s, "") }
func WantsHuman(s string) bool     { return read(s).Human }
func Solved(s string) bool         { return read(s).Solved }
func Unsolved(s string) bool       { return read(s).Unsolved }
func Greeting(s string) bool       { return read(s).Greeting }
func Thanks(s string) bool         { return read(s).Thanks }
func InDomain(s string) bool       { return read(s).InDomain }
func ScopeAnswer(s string) string  { return read(s).Scope }
func SignalAnswer(s string) string { return read(s).Signal }
func OptionIndex(s string) int     { return testReader().OptionIndex(s) }

func OutOfScope(s string) bool {
	rd := read(s)
	return !rd.InDomain && !rd.Greeting && !rd.Thanks && !rd.Human
}

func NewTerminalAnswer(s string) (isNew, known bool) {
	rd := read(s)
	return rd.NewTerminal, rd.TerminalKnown
}
