package handoff

import (
	"strings"
	"testing"
)

func TestPackets(t *testing.T) {
	t.Parallel()
	full := Supplied{MerchantNo: "123456789012345", TerminalNo: "12345678", RefNo: "123456789012", Time: "14:32", Amount: "128元", CardLast4: "7894"}
	tests := []struct {
		name, lang, target string
		s                  Supplied
		p                  Provider
		want, not          []string
	}{
		{"bank", "zh", "bank", full, Provider{}, []string{"银行卡背面的客服电话", "应答码 51（余额不足）", "交易时间 14:32", "金额 128元", "请不要"}, []string{"7894", "123456789012345"}},
		{"bank, nothing supplied", "zh", "bank", Supplied{}, Provider{}, []string{"应答码 51（余额不足）。"}, []string{"交易时间", "，金额"}},
		{"bank in English", "en", "bank", full, Provider{}, []string{"back of your card", "code 51 (余额不足)", "at 14:32", "for 128元", "do not"}, nil},
		{"provider", "zh", "provider", full, Provider{Name: "银联商务", Hotline: "95534"},
			[]string{"商户号：123456789012345", "终端号：12345678", "参考号：123456789012", "交易时间：14:32", "金额：128元", "应答码：51", "已尝试：重新签到；换卡", "服务商：银联商务，客服热线 95534"}, []string{"请补充", "7894"}},
		{"provider, gaps, no provider", "zh", "provider", Supplied{TerminalNo: "12345678"}, Provider{},
			[]string{"商户号：（请补充）", "终端号：12345678", "合同或终端上标注的服务商官方客服电话"}, nil},
		{"provider, hotline only", "en", "provider", full, Provider{Hotline: "400-000-0000"}, []string{"Merchant ID (商户号): 123456789012345", "Provider hotline 400-000-0000", "Already tried: 重新签到; 换卡"}, nil},
		{"provider, name only", "en", "provider", Supplied{}, Provider{Name: "Lakala"}, []string{"(please fill in)", "Provider: Lakala (use the official number"}, nil},
		{"nobody to call", "zh", "none", full, Provider{Hotline: "95534"}, nil, []string{"95534", "【"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc := testService(t)
			svc.cfg.Provider = tt.p
			got := svc.packet(tt.lang, Ticket{Target: tt.target, Code: "51", Supplied: tt.s}, "余额不足", []string{"重新签到", "换卡"})
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("packet lacks %q:\n%s", w, got)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("packet has %q:\n%s", n, got)
				}
			}
		})
	}
}
