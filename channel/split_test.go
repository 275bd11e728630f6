package channel

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSplit(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("交易失败，请联系发卡行。", 300) // one line of 10,800 bytes
	steps := strings.Repeat("1. 重新签到后再试一次\n", 200)
	tests := []struct {
		name  string
		text  string
		limit int
		parts int // 0: just check the invariants
	}{
		{"empty", "  \n ", 2048, 0},
		{"fits", "交易失败 51", 2048, 1},
		{"at line breaks", steps, 2048, 0},
		{"inside a long line", long, 2048, 6},
		{"tiny limit", "ab\ncd", 1, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			parts := Split(tt.text, tt.limit, nil)
			if tt.parts != 0 && len(parts) != tt.parts {
				t.Errorf("%d parts, want %d", len(parts), tt.parts)
			}
			var joined strings.Builder
			for i, p := range parts {
				if len(p) > tt.limit || p == "" || !utf8.ValidString(p) {
					t.Errorf("part %d: %d bytes, valid UTF-8 %v", i, len(p), utf8.ValidString(p))
				}
				joined.WriteString(p)
			}
			flat := func(s string) string { return strings.Join(strings.Fields(s), "") }
			if flat(joined.String()) != flat(tt.text) {
				t.Error("the parts do not add up to the text")
			}
		})
	}
	if got := Split(steps, 2048, nil); !strings.HasSuffix(got[0], "再试一次") {
		t.Errorf("first part does not end at a line break: %q", got[0][len(got[0])-20:])
	}
	runes := func(s string) int { return utf8.RuneCountInString(s) }
	if got := Split("一二三四五", 2, runes); len(got) != 3 || got[2] != "五" {
		t.Errorf("split by characters = %q", got)
	}
}
