package redact

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Test card numbers: all pass Luhn except where a case says otherwise.
// 6222021234567890123 and 6222021234567890 fail it.
var redactCases = []struct {
	name string
	in   string
	want Result
}{
	// Card numbers.
	{"pan 19 digits", "6222021234567890128", Result{Text: "622202*********0128", PANs: 1}},
	{"pan 16 digits visa", "4111111111111111", Result{Text: "411111******1111", PANs: 1}},
	{"pan 13 digits", "4222222222222", Result{Text: "422222***2222", PANs: 1}},
	{"pan 15 digits amex", "378282246310005", Result{Text: "378282*****0005", PANs: 1}},
	{"pan grouped by spaces", "6222 0212 3456 7890 128", Result{Text: "622202*********0128", PANs: 1}},
	{"pan grouped by dashes", "4111-1111-1111-1111", Result{Text: "411111******1111", PANs: 1}},
	{"pan full-width digits", "卡６２２２０２１２３４５６７８９０１２８", Result{Text: "卡622202*********0128", PANs: 1}},
	{"pan inside chinese", "我的卡6222021234567890128刷不了", Result{Text: "我的卡622202*********0128刷不了", PANs: 1}},
	{"two pans", "4111111111111111和5105105105105100都不行", Result{Text: "411111******1111和510510******5100都不行", PANs: 2}},
	{"pan after a code", "51 6222021234567890128", Result{Text: "51 622202*********0128", PANs: 1}},
	{"grouped pan after a code", "显示51 6222 0212 3456 7890 128", Result{Text: "显示51 622202*********0128", PANs: 1}},
	{"pan before a code", "6225881234567898 报05", Result{Text: "622588******7898 报05", PANs: 1}},
	{"keyword makes non-luhn 19 digits card data", "卡号6222021234567890123", Result{Text: "卡号622202*********0123", PANs: 1}},
	{"keyword with colon and groups", "银行卡：6222 0212 3456 7890 123", Result{Text: "银行卡：622202*********0123", PANs: 1}},
	{"english keyword", "card no. 6222021234567890", Result{Text: "card no. 622202******7890", PANs: 1}},
	{"keyword leaves code outside", "卡号6222021234567890 51", Result{Text: "卡号622202********90 51", PANs: 1}},
	{"english pan and pin", "card 6222021234567894 pin 246810 declined code 55", Result{Text: "card 622202******7894 pin ****** declined code 55", PANs: 1, Secrets: 1}},
	{"pan pin and code", "卡号6222021234567890128 密码123456 显示55", Result{Text: "卡号622202*********0128 密码****** 显示55", PANs: 1, Secrets: 1}},

	// Numbers that are not card data.
	{"non-luhn 19 digits stay", "6222021234567890123", Result{Text: "6222021234567890123"}},
	{"non-luhn grouped stays", "6222 0212 3456 7890", Result{Text: "6222 0212 3456 7890"}},
	{"merchant number", "商户号：123456789012345", Result{Text: "商户号：123456789012345"}},
	{"luhn-valid merchant number stays when labelled", "商户编号 898310048161234", Result{Text: "商户编号 898310048161234"}},
	{"luhn-valid 15 digits not starting with 8 are masked even after 商户号", "商户编号 123456789012347", Result{Text: "商户编号 123456*****2347", PANs: 1}},
	{"luhn-valid merchant number after 是", "商户号是898310048161234，终端号12345678", Result{Text: "商户号是898310048161234，终端号12345678"}},
	{"terminal number", "终端号12345678", Result{Text: "终端号12345678"}},
	{"reference number", "参考号 123456789012", Result{Text: "参考号 123456789012"}},
	{"voucher and batch", "凭证号000123 批次号000001", Result{Text: "凭证号000123 批次号000001"}},
	{"phone number", "电话13800138000", Result{Text: "电话13800138000"}},
	{"grouped phone number", "138 0013 8000", Result{Text: "138 0013 8000"}},
	{"amount", "消费 1000.00 元失败", Result{Text: "消费 1000.00 元失败"}},
	{"date and time", "2026-11-25 10:51 交易失败", Result{Text: "2026-11-25 10:51 交易失败"}},
	{"long order number", "订单号20261125123456789012", Result{Text: "订单号20261125123456789012"}},
	{"last four only", "银行卡尾号1234", Result{Text: "银行卡尾号1234"}},
	{"receipt masked pan", "6222 **** **** 1234", Result{Text: "6222 **** **** 1234"}},
	{"already masked", "卡号622202*********0128 51", Result{Text: "卡号622202*********0128 51"}},

	// Secrets.
	{"pin 密码是", "密码是123456", Result{Text: "密码是******", Secrets: 1}},
	{"pin full-width colon", "密码：888888", Result{Text: "密码：******", Secrets: 1}},
	{"pin space", "密码 1234", Result{Text: "密码 ******", Secrets: 1}},
	{"pin english", "pin 1234", Result{Text: "pin ******", Secrets: 1}},
	{"pin 码为", "PIN码为666666", Result{Text: "PIN码为******", Secrets: 1}},
	{"pin 我的密码", "我的密码123456", Result{Text: "我的密码******", Secrets: 1}},
	{"pay password", "支付密码是654321", Result{Text: "支付密码是******", Secrets: 1}},
	{"withdrawal password", "取款密码 000000", Result{Text: "取款密码 ******", Secrets: 1}},
	{"initial pin", "密码还是初始的 111111 没改过", Result{Text: "密码还是初始的 ****** 没改过", Secrets: 1}},
	{"cvv", "cvv 123", Result{Text: "cvv ******", Secrets: 1}},
	{"cvv2 colon", "CVV2:456", Result{Text: "CVV2:******", Secrets: 1}},
	{"security code", "安全码 789", Result{Text: "安全码 ******", Secrets: 1}},
	{"three digits on the back", "卡背面三位数是321", Result{Text: "卡背面三位数是******", Secrets: 1}},
	{"three-digit code on the back", "背面的三位码 321", Result{Text: "背面的三位码 ******", Secrets: 1}},
	{"sms code", "验证码 123456", Result{Text: "验证码 ******", Secrets: 1}},
	{"sms code 是", "短信验证码是 5678", Result{Text: "短信验证码是 ******", Secrets: 1}},
	{"expiry slash", "有效期 12/28", Result{Text: "有效期 ******", Secrets: 1}},
	{"expiry chinese", "有效期2028年12月", Result{Text: "有效期******", Secrets: 1}},

	// Words about PINs that carry none.
	{"pin wrong", "密码错误", Result{Text: "密码错误"}},
	{"pin wrong 3 times", "密码错了3次", Result{Text: "密码错了3次"}},
	{"prompt says pin wrong", "提示密码错", Result{Text: "提示密码错"}},
	{"entered pin three times", "输了三次密码", Result{Text: "输了三次密码"}},
	{"please enter pin", "请输入密码", Result{Text: "请输入密码"}},
	{"pin pad broken", "密码键盘坏了", Result{Text: "密码键盘坏了"}},
	{"code before pin word", "55 密码错", Result{Text: "55 密码错"}},
	{"amount after pin word", "密码错了，金额 1000 元", Result{Text: "密码错了，金额 1000 元"}},
	{"code 55", "code 55", Result{Text: "code 55"}},
	{"error 55", "error 55", Result{Text: "error 55"}},
	{"hotline after pin word", "密码重置请拨打95516", Result{Text: "密码重置请拨打95516"}},
	{"validity without date", "有效期多久", Result{Text: "有效期多久"}},
}

func TestRedact(t *testing.T) {
	t.Parallel()
	for _, tc := range redactCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Redact(tc.in)
			if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreUnexported(Result{})); diff != "" {
				t.Errorf("Redact(%q) mismatch (-want +got):\n%s", tc.in, diff)
			}
			if got.Found() != (tc.want.PANs+tc.want.Secrets > 0) {
				t.Errorf("Redact(%q).Found() = %v", tc.in, got.Found())
			}
			if again := Redact(got.Text); again.Text != got.Text || again.Found() {
				t.Errorf("Redact not idempotent: %q -> %q", got.Text, again.Text)
			}
		})
	}
}

func BenchmarkRedact(b *testing.B) {
	msgs := []string{
		"刷卡显示交易失败51，余额不足怎么办",
		"卡号 6222 0212 3456 7890 128，密码是123456，商户号123456789012345 终端号12345678",
		strings.Repeat("POS机签到失败，显示A0 MAC校验错，", 20),
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, m := range msgs {
			Redact(m)
		}
	}
}

func TestScrub(t *testing.T) {
	t.Parallel()
	r := Redact("信用卡621488063059277311,背面三位数是583,提示59")
	out := r.Scrub("来源:ISO 8583:1987 第39域;应答码 59;尾号7311")
	if strings.Contains(out, "583") || !strings.Contains(out, "59") || !strings.Contains(out, "7311") {
		t.Fatalf("Scrub = %q: want the CVV's digits gone, the code and the kept last four untouched", out)
	}
	if clean := Redact("交易失败51"); clean.Scrub("ISO 8583") != "ISO 8583" {
		t.Fatal("Scrub changed a reply although nothing was masked")
	}
}
