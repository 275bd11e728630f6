package knowledge

import (
	"slices"
	"testing"
)

// A code's meanings are its titles' parts, in both languages, lower case,
// a hyphenated one also as typed; other passages have none.
func TestMeanings(t *testing.T) {
	t.Parallel()
	b, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for code, want := range map[string][]string{
		"02": {"请联系发卡行", "特殊条件"},
		"04": {"pick-up card", "pick up card"},
	} {
		p, ok := b.ByCode(code)
		if !ok {
			t.Fatalf("no code %s", code)
		}
		got := p.Meanings()
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("code %s: meanings %q lack %q", code, got, w)
			}
		}
	}
	if p, ok := b.ByID("msg-comm-fail"); !ok || p.Meanings() != nil {
		t.Errorf("a message passage has meanings: %q", p.Meanings())
	}
}
