package telegram

import (
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"
)

func TestSplit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		text  string
		limit int
		want  []string
	}{
		{"empty", "  \n ", 10, nil},
		{"fits", "交易失败 51", 10, []string{"交易失败 51"}},
		{"at line breaks", "aaaa\nbbbb\ncccc", 10, []string{"aaaa\nbbbb", "cccc"}},
		{"blank lines between parts dropped", "aaaa\n\n\nbbbb", 6, []string{"aaaa", "bbbb"}},
		{"long line cut between characters", "abcdefghij\nxy", 4, []string{"abcd", "efgh", "ij", "xy"}},
		{"emoji count two units", "😀😀😀", 4, []string{"😀😀", "😀"}},
		{"no surrogate pair cut", "a😀b", 2, []string{"a", "😀", "b"}},
		{"chinese", "第一步\n第二步\n第三步", 8, []string{"第一步\n第二步", "第三步"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := split(tt.text, tt.limit)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("split(%q, %d) mismatch (-want +got):\n%s", tt.text, tt.limit, diff)
			}
			for _, p := range got {
				if n := len(utf16.Encode([]rune(p))); n > tt.limit {
					t.Errorf("part %q is %d units, limit %d", p, n, tt.limit)
				}
			}
		})
	}
}

func TestSplitTelegramLimit(t *testing.T) {
	t.Parallel()
	line := strings.Repeat("刷卡失败😀", 100) // 600 units
	text := strings.Repeat(line+"\n", 20)
	parts := split(text, maxMessageUnits)
	if len(parts) != 4 { // 6 lines (3600 units + newlines) per part
		t.Fatalf("%d parts, want 4", len(parts))
	}
	for _, p := range parts {
		if units(p) > maxMessageUnits {
			t.Errorf("part of %d units", units(p))
		}
		if strings.Trim(p, "\n") != p || strings.Count(p, "\n") != strings.Count(p, line)-1 {
			t.Error("part not cut at a line break")
		}
	}
}

func TestParseCommand(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, cmd, target, arg string }{
		{"/start", "start", "", ""},
		{"/Start@posbot_bot", "start", "posbot_bot", ""},
		{"/human 我要人工", "human", "", "我要人工"},
	}
	for _, tt := range tests {
		cmd, target, arg := parseCommand(tt.in)
		if cmd != tt.cmd || target != tt.target || arg != tt.arg {
			t.Errorf("parseCommand(%q) = %q, %q, %q; want %q, %q, %q", tt.in, cmd, target, arg, tt.cmd, tt.target, tt.arg)
		}
	}
}

func TestCallbackData(t *testing.T) {
	t.Parallel()
	for i, o := range []string{"所有卡都刷不了", "机器没信号/连不上网", strings.Repeat("长", 30)} {
		d := optionData(i, o)
		if len(d) > maxCallbackData {
			t.Errorf("option %q: data %q is %d bytes", o, d, len(d))
		}
		cb := parseCallback(d)
		switch cb.kind {
		case "say":
			if cb.text != o {
				t.Errorf("round trip of %q gave %q", o, cb.text)
			}
		case "opt":
			if cb.index != i {
				t.Errorf("round trip of index %d gave %d", i, cb.index)
			}
		default:
			t.Errorf("data %q not parsed", d)
		}
	}
	for _, d := range []string{"", "opt:-1", "opt:x", "zz"} {
		if cb := parseCallback(d); cb.kind != "" {
			t.Errorf("parseCallback(%q) = %+v, want unknown", d, cb)
		}
	}
}
