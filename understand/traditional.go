package understand

import (
	_ "embed"
	"strings"
	"sync"

	gocc "github.com/liuzl/gocc"
)

// Loading OpenCC's tables and finding which characters they change took
// tens of milliseconds on a message's first Chinese character: most of a
// one-shot command's time. traditional.txt lists those characters, made
// from the same tables by
//
//	go generate ./understand
//
// (TestTraditionalTableFresh fails while it differs from what the tables
// say), so the tables load only for a message that holds one of them.
//
//go:generate go test -run TestTraditionalTableFresh -update .

//go:embed traditional.txt
var traditionalText string

// CJK code points the table covers: Extension A and the Unified Ideographs.
const (
	cjkFirst = 0x3400
	cjkLast  = 0x9fff
)

// traditionalSet is the characters of traditional.txt as a bit set over
// [cjkFirst, cjkLast], made on first use (a few microseconds).
var traditionalSet = sync.OnceValue(func() []uint64 {
	set := make([]uint64, (cjkLast-cjkFirst)/64+1)
	for _, r := range traditionalText {
		if cjkFirst <= r && r <= cjkLast {
			set[(r-cjkFirst)/64] |= 1 << ((r - cjkFirst) % 64)
		}
	}
	return set
})

// traditional reports whether OpenCC's t2s conversion changes r on its own.
func traditional(r rune) bool {
	if r < cjkFirst || r > cjkLast {
		return false
	}
	return traditionalSet()[(r-cjkFirst)/64]&(1<<((r-cjkFirst)%64)) != 0
}

// t2s is OpenCC's Traditional to Simplified converter, loaded on first use.
var t2s = sync.OnceValue(func() *gocc.OpenCC {
	cc, err := gocc.New("t2s")
	if err != nil {
		return nil // the tables are embedded in the library: cannot happen
	}
	return cc
})

// traditionalChars returns, in code point order, the characters of
// [cjkFirst, cjkLast] that cc changes when converting each on its own
// line: what traditional.txt must hold.
func traditionalChars(cc *gocc.OpenCC) ([]rune, error) {
	// One character per line, so that no phrase spans two of them.
	var b strings.Builder
	for r := rune(cjkFirst); r <= cjkLast; r++ {
		b.WriteRune(r)
		b.WriteByte('\n')
	}
	conv, err := cc.Convert(b.String())
	if err != nil {
		return nil, err
	}
	var out []rune
	for i, line := range strings.Split(conv, "\n") {
		if r := rune(cjkFirst + i); r <= cjkLast && line != string(r) {
			out = append(out, r)
		}
	}
	return out, nil
}
