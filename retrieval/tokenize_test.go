package retrieval

import (
	"strings"
	"testing"
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
