package knowledge

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestRequired(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr string
		want []string // nil: nothing can be named
	}{
		{"只有[^,.!?;]{0,6}[张卡]", []string{"只有"}},
		{"(?:还是|还|也|依然)不行", []string{"不行"}},
		{"^不行", []string{"不行"}},
		{"(?:别的|其他|其它|换(?:了)?(?:一)?张)卡?也", []string{"也"}}, // as long as 换, and one string
		{"(?:别的|其他)卡", []string{"别的", "其他"}},
		{"[?？]\\s*$", []string{"?", "？"}},
		{`\b(?:no (?:signal|network))\b`, []string{"signal", "network"}},
		{"用了(?:很久|[0-9]+年)", []string{"用了"}},
		{"x*", nil},
		{".{2,}", nil},
		{"(?i)abc", nil},
		{"[a-z]+", nil},
		{"a|b*", nil},
		{"(?:ab){2}", []string{"ab"}},
	}
	for _, tt := range tests {
		got := required(tt.expr)
		slices.Sort(got)
		slices.Sort(tt.want)
		if !slices.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
			t.Errorf("required(%q) = %q, want %q", tt.expr, got, tt.want)
		}
	}
}

// TestRequiredNeverSkipsAMatch runs every pattern of the lexicons over the
// knowledge base's own words and the evaluation messages: wherever a
// pattern matches, the text holds one of its required strings, so the
// substring test in Scan.Find never skips a match.
func TestRequiredNeverSkipsAMatch(t *testing.T) {
	t.Parallel()
	b, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, p := range b.All() {
		texts = append(texts, p.Title, p.Summary)
		texts = append(texts, p.Phrasings...)
		texts = append(texts, p.Display...)
		texts = append(texts, p.Steps...)
	}
	files, _ := filepath.Glob("../eval/testdata/*.jsonl")
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var c struct {
				Query string   `json:"query"`
				Turns []string `json:"turns"`
			}
			if json.Unmarshal(sc.Bytes(), &c) == nil {
				texts = append(texts, c.Query)
				texts = append(texts, c.Turns...)
			}
		}
		fh.Close()
	}
	if len(texts) < 3000 {
		t.Fatalf("only %d texts to try the patterns on", len(texts))
	}
	m := b.Matcher()
	matches, prefiltered := 0, 0
	for key, ps := range m.patterns {
		for _, p := range ps {
			if p.need != nil {
				prefiltered++
			}
			for _, s := range texts {
				s = strings.ToLower(s)
				if !p.re.MatchString(s) {
					continue
				}
				matches++
				if p.need != nil && !holdsAny(s, p.need) {
					t.Errorf("%s: %s matches %q, which holds none of %q", key, p.re, s, p.need)
				}
			}
		}
	}
	if matches < 100 || prefiltered < 40 {
		t.Fatalf("%d matches, %d patterns with required strings: the test proves little", matches, prefiltered)
	}
	t.Logf("%d matches of %d patterns with required strings", matches, prefiltered)
}

func FuzzRequired(f *testing.F) {
	for _, s := range []string{"只有这一张卡不行", "别的卡也", "no signal here", "用了3年了？", "还是不行"} {
		f.Add(s)
	}
	b, err := Embedded()
	if err != nil {
		f.Fatal(err)
	}
	type pat struct {
		re   *regexp.Regexp
		need []string
	}
	var ps []pat
	for _, list := range b.Matcher().patterns {
		for _, p := range list {
			if p.need != nil {
				ps = append(ps, pat{p.re, p.need})
			}
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range ps {
			if p.re.MatchString(s) && !holdsAny(s, p.need) {
				t.Fatalf("%s matches %q, which holds none of %q", p.re, s, p.need)
			}
		}
	})
}
