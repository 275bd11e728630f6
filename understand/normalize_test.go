package understand

import (
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"full-width letters and digits", "ＰＯＳ机显示Ａ０", "pos机显示a0"},
		{"full-width space collapses", "交易失败\u3000\u300051", "交易失败 51"},
		{"chinese punctuation", "失败了。怎么办？（急）：好的；行！", "失败了.怎么办?(急):好的;行!"},
		{"full-width comma", "余额不足，怎么办", "余额不足,怎么办"},
		{"lowercase ascii", "RC:96 Error", "rc:96 error"},
		{"ocr spaced characters", "请 先 签 到 操作员号:01", "请先签到操作员号:01"},
		{"words keep their space", "交易失败 刷卡失败", "交易失败 刷卡失败"},
		{"typo 密马", "提示密马错误", "提示密码错误"},
		{"speech recogniser homophones", "中端报交義是败 让签道", "终端报交易失败 让签到"},
		{"pinyin", "shua ka shi bai le zen me ban", "刷卡失败 le 怎么办"},
		{"pinyin words only whole", "bush xing", "bush xing"},
		{"whitespace collapses and trims", "  交易失败 \n\t 51  ", "交易失败 51"},
		{"ka卡", "KA卡刷不了", "卡刷不了"},
		{"lowercase ka卡", "ka卡刷不了", "卡刷不了"},
		{"咔", "刷咔失败", "刷卡失败"},
		{"ka alone stays", "ka", "ka"},
		{"卡卡 stays", "机器卡卡的", "机器卡卡的"},
		{"pos鸡", "pos鸡坏了", "pos机坏了"},
		{"pos机器", "POS机器坏了", "pos机坏了"},
		{"poss机", "poss机", "pos机"},
		{"poss机器 chains", "poss机器", "pos机"},
		{"破s机", "破s机刷不了", "pos机刷不了"},
		{"销费", "销费失败", "消费失败"},
		{"交意", "交意失败", "交易失败"},
		{"通迅", "通迅失败", "通讯失败"},
		{"签倒", "签倒失败", "签到失败"},
		{"余颜", "余颜不足", "余额不足"},
		{"失拜", "交易失拜", "交易失败"},
		{"失贁", "交易失贁", "交易失败"},
		{"秘码", "秘码错误", "密码错误"},
		{"ocr traditional forms", "交易失敗 余額不足 密碼錯", "交易失败 余额不足 密码错"},
		{"ocr misread 夫败", "交易夫败", "交易失败"},
		{"帐 variant", "钱没到帐", "钱没到账"},
		{"emoji removed", "交易失败😭😭51🙏", "交易失败51"},
		{"emoji with joiner and skin tone", "好的👍🏻👨‍💻", "好的"},
		{"decorative symbols removed", "★★交易失败★★", "交易失败"},
		{"punctuation runs collapse", "怎么办？？？！！！", "怎么办?!"},
		{"ellipsis", "刷不了……", "刷不了."},
		{"masked card keeps its stars", "622202*********0128", "622202*********0128"},
		{"codes and numbers kept", "错误码E102 金额51.00 10:51", "错误码e102 金额51.00 10:51"},
		{"full-width yen", "￥51", "¥51"},
		{"circled digit", "选②", "选2"},
		{"invalid utf-8 dropped", "交易\xff失败", "交易失败"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Normalize(tc.in)
			if got != tc.want {
				t.Errorf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if again := Normalize(got); again != got {
				t.Errorf("Normalize not idempotent: %q -> %q", got, again)
			}
		})
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"ＰＯＳ机显示Ａ０", "kakaKA卡", "poss机器!!!", "交易失败 😭 51", "a\u200db"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Normalize(s)
		if again := Normalize(got); again != got {
			t.Fatalf("Normalize not idempotent: %q -> %q -> %q", s, got, again)
		}
		if !utf8.ValidString(got) {
			t.Fatalf("Normalize(%q) = %q, not valid UTF-8", s, got)
		}
		if strings.Contains(got, "  ") || strings.TrimSpace(got) != got {
			t.Fatalf("Normalize(%q) = %q, whitespace not collapsed", s, got)
		}
	})
}

func BenchmarkNormalize(b *testing.B) {
	msgs := []string{
		"刷咔显示交意失拜51，余颜不足怎么办？？？😭",
		"ＰＯＳ机器签倒失败，显示Ａ０ ＭＡＣ校验错",
		strings.Repeat("交易失败\n应答码:51\n余额不足\n", 20),
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, m := range msgs {
			Normalize(m)
		}
	}
}

func TestContainsHan(t *testing.T) {
	t.Parallel()
	han := regexp.MustCompile(`\p{Han}`)
	for r := rune(0); r <= unicode.MaxRune; r++ {
		s := "a" + string(r)
		if containsHan(s) != han.MatchString(s) {
			t.Fatalf("%U: containsHan %v, \\p{Han} %v", r, !han.MatchString(s), han.MatchString(s))
		}
	}
	if containsHan("\xff") || !containsHan("\xff中") {
		t.Error("broken bytes")
	}
}
