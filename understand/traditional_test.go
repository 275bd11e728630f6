package understand

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite traditional.txt from OpenCC's tables")

// TestTraditionalTableFresh: traditional.txt lists exactly the characters
// OpenCC's t2s tables change; with -update (go generate ./understand) it
// is rewritten.
func TestTraditionalTableFresh(t *testing.T) {
	t.Parallel()
	cc := t2s()
	if cc == nil {
		t.Fatal("OpenCC's t2s tables do not load")
	}
	chars, err := traditionalChars(cc)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("# Characters OpenCC's t2s tables change on their own (go generate ./understand).\n")
	for i, r := range chars {
		b.WriteRune(r)
		if i%64 == 63 || i == len(chars)-1 {
			b.WriteByte('\n')
		}
	}
	if *update {
		if err := os.WriteFile("traditional.txt", []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if traditionalText != b.String() {
		t.Fatal("traditional.txt is stale: run go generate ./understand")
	}
	if len(chars) < 1000 {
		t.Fatalf("only %d Traditional characters", len(chars))
	}
	for r := rune(0); r < 0x10000; r++ {
		want := cjkFirst <= r && r <= cjkLast && strings.ContainsRune(traditionalText, r)
		if traditional(r) != want {
			t.Fatalf("traditional(%U) = %v, want %v", r, !want, want)
		}
	}
}
