package knowledge

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestEmbeddedLoads(t *testing.T) {
	t.Parallel()
	b, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, p := range b.All() {
		kinds[p.Kind]++
	}
	// 5 headline causes + 5 aspects, 8 strategies, 10 families, 40 sub-causes,
	// Plus one overview of all causes (overview-causes).
	want := map[string]int{KindOverview: 11, KindStrategy: 8, KindFamily: 10, KindCause: 40}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("%d passages of kind %s, want %d", kinds[k], k, n)
		}
	}
	if kinds[KindMessage] < 10 {
		t.Errorf("%d message passages, want at least the 10 common terminal messages", kinds[KindMessage])
	}
}

// TestEveryResponseCode checks that every code of the reference table
// (pos-domain-facts.md §1.2 and §1.3) has its own passage.
func TestEveryResponseCode(t *testing.T) {
	t.Parallel()
	b, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	codes := strings.Fields(`00 01 03 04 05 10 11 12 13 14 15 21 22 25 30 34 38 40 41 43 45 51 54 55 57 58 59
		61 62 64 65 68 75 77 79 90 91 92 94 96 97 98 99 A0 A1 A2 A3 A4 A5 A6 A7
		02 06 07 09 19 20 23 31 33 35 36 37 39 42 44 52 53 56 60 63 66 67 93 95`)
	for _, c := range codes {
		p, ok := b.ByCode(c)
		if !ok {
			t.Errorf("no passage for code %s", c)
			continue
		}
		if len(p.Display) == 0 || p.Category == "" {
			t.Errorf("code %s: terminal wording or category missing", c)
		}
	}
}

// TestArticleTaxonomyCovered proves that every heading of the source article's
// taxonomy (testdata/article-taxonomy.tsv) has its passage, and, when the
// article itself is beside the repository (../shared/seed), that the list
// holds every heading of it.
func TestArticleTaxonomyCovered(t *testing.T) {
	t.Parallel()
	b, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("testdata/article-taxonomy.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var headings []string
	kindOf := map[string]string{"cause": "", "aspect": KindOverview, "strategy": KindStrategy, "family": KindFamily}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 3 {
			t.Fatalf("bad line %q", line)
		}
		kind, heading, id := cols[0], cols[1], cols[2]
		headings = append(headings, heading)
		p, ok := b.ByID(id)
		if !ok {
			t.Errorf("article heading %q: no passage %q", heading, id)
			continue
		}
		if want := kindOf[kind]; want != "" && p.Kind != want {
			t.Errorf("passage %s: kind %s, want %s", id, p.Kind, want)
		}
		if len(p.Steps) < 3 || len(p.Phrasings) < 3 {
			t.Errorf("passage %s: %d steps and %d phrasings, want at least 3 of each", id, len(p.Steps), len(p.Phrasings))
		}
	}
	if len(headings) != 68 {
		t.Errorf("%d headings in the taxonomy list, want 68", len(headings))
	}
	article, err := filepath.Glob("../../shared/seed/000_*.txt")
	if err != nil || len(article) == 0 {
		t.Log("source article not beside the repository; checked the list only")
		return
	}
	text, err := os.ReadFile(article[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headings {
		if !strings.Contains(string(text), h+"：") && !strings.Contains(string(text), h+":") && !strings.Contains(string(text), ". "+h) {
			t.Errorf("heading %q is not in the source article", h)
		}
	}
}

func TestNoAdvertisement(t *testing.T) {
	t.Parallel()
	b, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range b.All() {
		for _, s := range p.texts() {
			for _, bad := range []string{"拉卡拉", "soupos", "一清机", "95016", "http"} {
				if strings.Contains(strings.ToLower(s), bad) {
					t.Errorf("passage %s contains %q", p.ID, bad)
				}
			}
		}
	}
}

func TestValidation(t *testing.T) {
	t.Parallel()
	good := func() Passage {
		return Passage{ID: "msg-x", Kind: KindMessage, Family: "terminal-message", Title: "通讯失败", Summary: "连不上网。",
			Steps: []string{"检查信号。"}, Target: TargetProvider, KeyTerms: []string{"信号"}}
	}
	tests := []struct {
		name   string
		mutate func(ps []Passage) []Passage
		want   string
	}{
		{"valid", func(ps []Passage) []Passage { return ps }, ""},
		{"duplicate id", func(ps []Passage) []Passage { return append(ps, ps[0]) }, "duplicate id"},
		{"duplicate code", func(ps []Passage) []Passage {
			a, b := good(), good()
			a.ID, a.Kind, a.Code = "code-51", KindCode, "51"
			b.ID, b.Kind, b.Code = "code-51b", KindCode, "51"
			return []Passage{a, b}
		}, "already belongs"},
		{"no steps", func(ps []Passage) []Passage { ps[0].Steps = nil; return ps }, "no steps"},
		{"bad target", func(ps []Passage) []Passage { ps[0].Target = "bank-or-provider"; return ps }, "target"},
		{"avoid as an instruction", func(ps []Passage) []Passage { ps[0].Avoid = []string{"询问顾客的密码"}; return ps }, "prohibition"},
		{"avoid as a prohibition", func(ps []Passage) []Passage {
			ps[0].Avoid = []string{"不要询问顾客的密码", "没查清前不要重刷"}
			return ps
		}, ""},
		{"unknown kind", func(ps []Passage) []Passage { ps[0].Kind = "faq"; return ps }, "unknown kind"},
		{"key term missing", func(ps []Passage) []Passage { ps[0].KeyTerms = []string{"签到"}; return ps }, "key term"},
		{"advert URL", func(ps []Passage) []Passage { ps[0].Steps[0] = "办理请访问 http://www.example.cn#pos"; return ps }, "not an official"},
		{"official URL", func(ps []Passage) []Passage {
			ps[0].Steps[0] = "检查信号，或查看 https://cn.unionpay.com/ 的公告。"
			return ps
		}, ""},
		{"en steps mismatch", func(ps []Passage) []Passage {
			ps[0].EN = &English{Title: "x", Summary: "y", Steps: []string{"a", "b"}}
			return ps
		}, "en has"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tt.mutate([]Passage{good()}))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestLoadRejectsUnknownFields(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{"data/a.yaml": {Data: []byte("- id: msg-x\n  kind: message\n  colour: red\n")}}
	if _, err := Load(fsys); err == nil || !strings.Contains(err.Error(), "colour") {
		t.Fatalf("Load = %v, want an error naming the unknown field", err)
	}
}

func TestCodesSorted(t *testing.T) {
	t.Parallel()
	b, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.IsSorted(b.Codes()) {
		t.Fatal("Codes() is not sorted")
	}
}
