package redact

import (
	"strings"
	"testing"
)

// formCases are the forms in which merchants type card data, each as the
// engine must store it. The card number 6222021234567890128 passes Luhn.
var formCases = []struct {
	name, in, want string
}{
	// Whatever separates the groups.
	{"line breaks", "卡号6222\n0212\n3456\n7890\n128", "卡号622202*********0128"},
	{"crlf", "6222\r\n0212\r\n3456\r\n7890\r\n128", "622202*********0128"},
	{"tabs", "6222\t0212\t3456\t7890\t128", "622202*********0128"},
	{"double spaces", "6222  0212  3456  7890  128", "622202*********0128"},
	{"no-break spaces", "6222\u00a00212\u00a03456\u00a07890\u00a0128", "622202*********0128"},
	{"zero-width spaces", "6222\u200b0212\u200b3456\u200b7890\u200b128", "622202*********0128"},
	{"ideographic spaces", "6222\u30000212\u30003456\u30007890\u3000128", "622202*********0128"},
	{"full-width commas", "6222，0212，3456，7890，128", "622202*********0128"},
	{"commas", "6222,0212,3456,7890,128", "622202*********0128"},
	{"dots", "6222.0212.3456.7890.128", "622202*********0128"},
	{"enumeration commas", "6222、0212、3456、7890、128", "622202*********0128"},
	{"mixed separators", "6222 -0212\n3456.\u200b7890 ,128", "622202*********0128"},
	{"digit by digit", "6 2 2 2 0 2 1 2 3 4 5 6 7 8 9 0 1 2 8", "622202*********0128"},
	{"split by words", "我卡号前面是6222 0212 3456，后面是7890 128", "我卡号前面是622202*********0128"},
	{"split by english words", "card starts 6222 0212 3456 then 7890 128", "card starts 622202*********0128"},
	{"full-width digits and spaces", "６２２２ ０２１２ ３４５６ ７８９０ １２８", "622202*********0128"},
	{"arabic-indic digits", "٦٢٢٢٠٢١٢٣٤٥٦٧٨٩٠١٢٨", "622202*********0128"},
	{"spoken in chinese numerals", "卡号六二二二零二一二三四五六七八九零一二八", "卡号622202*********0128"},
	{"unlabelled long run", "516222021234567890128", "516222***********0128"},
	{"code kept beside the number", "显示51 6222 0212 3456 7890 128", "显示51 622202*********0128"},

	// Secrets, Chinese and English.
	{"cvv behind the card", "卡背面后三位是583", "卡背面后三位是******"},
	{"last three", "后三位583", "后三位******"},
	{"cvv 三位数", "背面三位数：583", "背面三位数：******"},
	{"english pin", "the pin is 1234", "the pin is ******"},
	{"english cvv", "the cvv is 583", "the cvv is ******"},
	{"english code", "the code is 583912", "the code is ******"},
	{"english security code", "security code: 583", "security code: ******"},
	{"english sms code", "SMS code 583912 just came", "SMS code ****** just came"},
	{"english password", "password is abc123x", "password is ******"},
	{"pin split by spaces", "密码 123 456", "密码 ******"},
	{"pin digit by digit", "PIN码 8 8 8 8", "PIN码 ******"},
	{"pin with colon split", "my pin: 12 34", "my pin: ******"},
	{"sms code after words", "验证码发过来了，是583912", "验证码发过来了，是******"},
	{"dynamic code", "动态码 7788", "动态码 ******"},
	{"alphanumeric password", "密码是abc123", "密码是******"},
	{"expiry before 到期", "卡12/28到期", "卡******到期"},
	{"expiry in words", "卡的有效期是2028年12月", "卡的有效期是******"},
	{"valid thru", "valid thru 12/28", "valid thru ******"},
	{"exp", "exp 1228", "exp ******"},

	// Not card data.
	{"error code", "error code is 1001", "error code is 1001"},
	{"date and time", "2026-11-25 10:51:33 交易失败 51", "2026-11-25 10:51:33 交易失败 51"},
	{"receipt numbers", "参考号:091523680051 凭证号:000318", "参考号:091523680051 凭证号:000318"},
	{"amount", "金额 1,000.00 元", "金额 1,000.00 元"},
	{"terminal and batch", "终端号12345678 批次号000001", "终端号12345678 批次号000001"},
	{"hotline on the back", "卡背面的客服电话是95588", "卡背面的客服电话是95588"},
	{"amounts in words", "today i paid 300 then 500 then 1200 and 3456", "today i paid 300 then 500 then 1200 and 3456"},
	{"labelled order number", "订单号20261125123456789012", "订单号20261125123456789012"},
	{"pin pad", "密码键盘坏了 终端号12345678", "密码键盘坏了 终端号12345678"},
	{"pin tries", "密码输错了3次", "密码输错了3次"},
	{"pin wrong then code", "密码错误 应答码 55", "密码错误 应答码 55"},
}

func TestForms(t *testing.T) {
	t.Parallel()
	for _, tc := range formCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Redact(tc.in)
			if got.Text != tc.want {
				t.Errorf("Redact(%q) = %q, want %q", tc.in, got.Text, tc.want)
			}
			if got.Found() != (tc.want != tc.in) {
				t.Errorf("Redact(%q).Found() = %v", tc.in, got.Found())
			}
			if again := Redact(got.Text); again.Text != got.Text || again.Found() {
				t.Errorf("not idempotent: %q -> %q", got.Text, again.Text)
			}
		})
	}
}

func TestThen(t *testing.T) {
	t.Parallel()
	first := Redact("密码是123456")
	r := first.Then(Redact(first.Text + " 6222021234567890128"))
	if r.PANs != 1 || r.Secrets != 1 {
		t.Fatalf("Then counts = %d PANs, %d secrets; want 1 and 1", r.PANs, r.Secrets)
	}
	if out := r.Scrub("123456 and 6222021234567890128"); strings.Contains(out, "123456") || strings.Contains(out, "1234567890") {
		t.Fatalf("Scrub after Then = %q, want both values gone", out)
	}
}
