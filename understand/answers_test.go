package understand

import "testing"

func TestScopeAnswer(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"所有卡", "所有卡都不行", "all"},
		{"每张卡", "每张卡都刷不了", "all"},
		{"哪张卡", "哪张卡都不行", "all"},
		{"全部", "全部失败", "all"},
		{"别的卡也不行", "别的卡也不行", "all"},
		{"english all", "all cards fail", "all"},
		{"只有这一张", "只有这一张", "one"},
		{"就这张卡", "就这张卡不行", "one"},
		{"就他这张", "就他这张", "one"},
		{"别的卡可以", "别的卡可以", "one"},
		{"其他卡正常", "其他卡正常", "one"},
		{"换卡就好", "换张卡就好了", "one"},
		{"english one", "only one card", "one"},
		{"其他人正常", "就这个顾客的卡刷不了 其他人都正常", "one"},
		{"只有 about signal", "信号只有一格", ""},
		{"ambiguous", "这张卡不行", ""},
		{"code", "交易失败51", ""},
		{"unrelated", "今天天气不错", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := ScopeAnswer(Normalize(tc.in)); got != tc.want {
				t.Errorf("ScopeAnswer(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestSignalAnswer(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"没信号", "没信号", "none"},
		{"没有信号", "没有信号", "none"},
		{"没网", "没网", "none"},
		{"连不上", "连不上", "none"},
		{"断网", "断网了", "none"},
		{"信号差", "信号差", "none"},
		{"信号不好", "信号不好", "none"},
		{"english", "no signal", "none"},
		{"有信号", "有信号", "ok"},
		{"网络正常", "网络正常", "ok"},
		{"信号满格", "信号满格", "ok"},
		{"网络没问题", "网络没问题", "ok"},
		{"word only", "信号", ""},
		{"interference question", "会不会有信号干扰", ""},
		{"code", "交易失败51", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := SignalAnswer(Normalize(tc.in)); got != tc.want {
				t.Errorf("SignalAnswer(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestNewTerminalAnswer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		in           string
		isNew, known bool
	}{
		{"新机器", "新机器", true, true},
		{"刚买的", "刚买的", true, true},
		{"第一次用", "第一次用", true, true},
		{"刚换的", "刚换的机器", true, true},
		{"english new", "it's a new terminal", true, true},
		{"用了很久", "用了很久了", false, true},
		{"一直正常", "一直正常的", false, true},
		{"老机器", "老机器了", false, true},
		{"用了两年", "用了两年", false, true},
		{"不是新机器", "不是新机器", false, true},
		{"unknown", "交易失败", false, false},
		{"empty", "", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			isNew, known := NewTerminalAnswer(Normalize(tc.in))
			if isNew != tc.isNew || known != tc.known {
				t.Errorf("NewTerminalAnswer(%q) = %v, %v; want %v, %v", tc.in, isNew, known, tc.isNew, tc.known)
			}
		})
	}
}

func TestOptionIndex(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want int
	}{
		{"digit", "1", 1},
		{"第一个", "第一个", 1},
		{"选1", "选1", 1},
		{"第2个", "第2个", 2},
		{"第二个", "第二个", 2},
		{"二", "二", 2},
		{"2.", "2.", 2},
		{"full-width digit", "３", 3},
		{"the second", "the second", 2},
		{"second one", "the second one", 2},
		{"option 4", "option 4", 4},
		{"我选第三个吧", "我选第三个吧", 3},
		{"code is not an option", "51", 0},
		{"zero", "0", 0},
		{"sentence", "交易失败", 0},
		{"machines", "两台", 0},
		{"empty", "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := OptionIndex(Normalize(tc.in)); got != tc.want {
				t.Errorf("OptionIndex(%q) = %d, want %d", tc.in, got, tc.want)
			}
		})
	}
}
