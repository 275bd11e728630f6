package retrieval

import (
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/posbot/posbot/knowledge"
)

func TestInformative(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in       string
		empty    bool
		contains []string
	}{
		{"刷卡失败了怎么办", true, nil},
		{"pos机用不了了", true, nil},
		{"刷卡失败,交易金额99元", true, nil},
		{"商户号898310048161234的机器交易失败", true, nil},
		{"hello how are you", true, nil},
		{"刷了好几次都提示读卡失败", false, []string{"读卡"}},
		{"the signal is weak", false, []string{"signal", "weak"}},
		{"机器一直通讯失败", false, []string{"通讯"}},
	}
	for _, tt := range tests {
		got := DefaultAnalyzer().Informative(tt.in)
		if empty := len(Tokens(got)) == 0; empty != tt.empty {
			t.Errorf("Informative(%q) = %q, empty=%v want %v", tt.in, got, empty, tt.empty)
		}
		for _, c := range tt.contains {
			if !strings.Contains(got, c) {
				t.Errorf("Informative(%q) = %q, lacks %q", tt.in, got, c)
			}
		}
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	got := strings.Join(Tokens("读卡失败 MAC错 a0"), " ")
	if want := "读卡 卡失 失败 mac 错 a0"; got != want {
		t.Fatalf("Tokens = %q, want %q", got, want)
	}
}

// tokensReference is Tokens as first written, on runes and strings: the
// byte-wise tokenizer must cut every text the same way.
func tokensReference(s string) []string {
	var out []string
	var run, word []rune
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

var tokenSeeds = []string{
	"", "读卡失败 MAC错 a0", "交易失败51", "POS机显示\"余额不足\"", "Ａ０ full-width", "café résumé", "ǅungla", "한국어 카드", "カード読めない",
	"签到失败!!!请重试~~", "卡号6222****1234", "\x7f\x00DEL", "a\u00a0b", "𠀀𠀁 rare han", "x", "中", "中a中", "\xff\xfe broken", "E102 C0 1001",
}

func FuzzTokens(f *testing.F) {
	for _, s := range tokenSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Tokens(s), tokensReference(s); !slices.Equal(got, want) {
			t.Fatalf("Tokens(%q) = %q, want %q", s, got, want)
		}
	})
}

func TestTokensLikeReferenceOnKnowledge(t *testing.T) {
	t.Parallel()
	base, err := knowledge.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range base.All() {
		for _, s := range []string{Document(p), EmbedText(p)} {
			if got, want := Tokens(s), tokensReference(s); !slices.Equal(got, want) {
				t.Fatalf("%s: Tokens differ from the reference:\n%q\n%q", p.ID, got, want)
			}
		}
	}
}

func FuzzLower(f *testing.F) {
	for _, s := range append(tokenSeeds, "ΑΒΓ", "İstanbul", "ǅ", "\uFFFD", "中\xe4\xb8") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := lower(s), strings.ToLower(s); got != want {
			t.Fatalf("lower(%q) = %q, strings.ToLower %q", s, got, want)
		}
	})
}
