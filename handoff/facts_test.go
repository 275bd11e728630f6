package handoff

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/redact"
)

func TestSupplied(t *testing.T) {
	t.Parallel()
	svc := testService(t)
	tests := []struct {
		name string
		said []string // merchant messages, redacted as the engine keeps them
		want Supplied
	}{
		{"receipt numbers", []string{"交易失败51", "商户号:123456789012345 终端号:12345678 参考号:123456789012"},
			Supplied{MerchantNo: "123456789012345", TerminalNo: "12345678", RefNo: "123456789012"}},
		{"time, amount and a card", []string{"今天下午3点20分刷了128.50元，卡号6222021234567894，显示51"},
			Supplied{Time: "今天下午3点20分", Amount: "128.50元", CardLast4: "7894"}},
		{"clock time and yuan sign", []string{"14:32 收款 ￥99 失败", "尾号是 1234 的卡"},
			Supplied{Time: "14:32", Amount: "99元", CardLast4: "1234"}},
		{"date and time", []string{"2026-11-25 09:15:02 那笔 300块 扣款了但是小票没出"},
			Supplied{Time: "2026-11-25 09:15:02", Amount: "300元"}},
		{"the latest mention wins", []string{"金额 50元", "不对，是 80元"}, Supplied{Amount: "80元"}},
		{"codes and numbers are not times", []string{"错误码 A0，终端号 12345678", "51"}, Supplied{TerminalNo: "12345678"}},
		{"nothing", []string{"刷不了卡"}, Supplied{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var h []bot.Turn
			for _, s := range tt.said {
				h = append(h, bot.Turn{Role: "merchant", Text: redact.Redact(s).Text}, bot.Turn{Role: "bot", Text: "好的 10:00 之前 20元"})
			}
			if d := cmp.Diff(tt.want, svc.supplied(h)); d != "" {
				t.Errorf("supplied (-want +got):\n%s", d)
			}
		})
	}
}

// testService is a Service of the embedded knowledge base.
func testService(t *testing.T) *Service {
	t.Helper()
	base, err := knowledge.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Base: base})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLastFour(t *testing.T) {
	t.Parallel()
	in := redact.Redact("卡号 6222021234567894 和 4111 1111 1111 1111 都刷不了").Text
	got := lastFour(in)
	if got != "卡号 ****7894 和 ****1111 都刷不了" {
		t.Errorf("lastFour(%q) = %q", in, got)
	}
}
