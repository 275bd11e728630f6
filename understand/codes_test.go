package understand

import (
	"strings"
	"testing"
)

// testKnown is a knowledge base's code list: some UnionPay two-digit codes
// and the letter codes A0–A7 (A8 deliberately missing).
var testKnown = []string{"00", "01", "03", "04", "05", "14", "25", "33", "51", "55", "61", "77", "96", "97", "99",
	"A0", "A1", "A2", "A3", "A4", "A5", "A6", "A7"}

func TestExtract(t *testing.T) {
	t.Parallel()
	codes := NewCodes(testKnown)
	tests := []struct {
		name string
		in   string
		want string // "" means no code
	}{
		// Codes, in the forms merchants type them.
		{"bare code", "51", "51"},
		// Settlement terms are not codes, not even read with look-alikes.
		{"d0 is same-day settlement", "商户问他这个是t+1还是d0", ""},
		{"t+1", "结算是t+1吗", ""},
		{"一 before a time word is not a digit", "96一上午了 我要找真人客服", "96"},
		{"a card number's first digits", "给我生成几个62开头的卡号", ""},
		// OCR and typing slips: look-alike letters, spaced characters.
		{"ocr l for 1", "RESP C0DE: 5l", "51"},
		{"ocr O for 0", "应答码：O5", "05"},
		{"ocr S for 5", "应答码:S1", "51"},
		{"ocr I for 1", "INVALID CARD RC:I4 无效卡号", "14"},
		{"ocr bracketed letters", "交易失败 [Ol]", "01"},
		{"ocr after decline words", "交易拒绝 2S 退货金额超限", "25"},
		{"spaced digits after a label", "RC:9 7 终端未登记", "97"},
		{"spaced label and digits", "应 答 码 : 5 5", "55"},
		{"spaced letter code", "err a 0", "A0"},
		{"resp code label", "RESP CODE:51", "51"},
		{"err label", "ERR:A0", "A0"},
		{"words are not ocr codes", "the code is 51", "51"},
		{"so is not 50", "so the machine is broken", ""},
		{"code buried in a long story", "早上开门先签到，一切正常，中午来了个客人买了两千多的东西，刷了两次都不行，屏幕上写着交易失败 应答码 61，客人说卡里有钱，后来换了张卡才付成功", "61"},
		{"ocr only for known codes", "交易失败 Z9", ""},
		{"spaced amount", "刚才付了 5 1 元", ""},
		{"model name", "机器型号 S90 怎么开机", ""},
		{"ok is not a code", "客人说 ok 了", ""},
		{"time read with O", "1O:51 交易成功", ""},
		{"spaced holiday", "5 1 假期 到账慢", ""},
		{"version", "版本 v1.5l 升级了", ""},
		{"building", "我们店在 S1 栋，刷卡都正常", ""},
		{"bus route", "坐 l5 路车来的客人", ""},
		{"is after code is not 15", "the error code is unknown", ""},
		{"spaced count", "刷了 3 5 次都不行", ""},
		{"a long story without a code", "早上开门先签到，一切正常，中午来了个客人买了两千多的东西，刷了两次都不行，客人说卡里有钱，后来换了张卡才付成功", ""},
		{"bare code with question mark", "51？", "51"},
		{"bare letter code lowercase", "a0", "A0"},
		{"bare letter code uppercase", "A7", "A7"},
		{"letter O read for zero", "交易失败 AO", "A0"},
		{"question about a code first", "这个码是什么意思 94", "94"},
		{"after 回个", "刷卡回个21,说睡眠卡", "21"},
		{"after 一直", "为啥一直55", "55"},
		{"before 日切", "刷卡出来个90 日切", "90"},
		{"english gives", "every card gives 97 terminal not registered", "97"},
		{"a count of cards", "试了3张卡都不行", ""},
		{"90 days is no code", "90天前的交易", ""},
		{"a return trip", "来回跑了2趟", ""},
		{"again 51", "又51了", "51"},
		{"written on the screen", "屏幕上写的是51", "51"},
		{"partial approval", "小票上写着10 部分金额批准 1200.00", "10"},
		{"part of the money", "退了20部分款", ""},
		{"english wrong pin", "card was declined with 55 wrong pin", "55"},
		{"wrote 20 pages", "写了20页", ""},
		{"a0 what now", "a0咋整", "A0"},
		{"75 how", "75 咋弄", "75"},
		{"65 is it the count", "65是不是次数超了", "65"},
		{"cantonese says 51", "部机又话51 点算", "51"},
		{"all of them 92", "啥卡都刷不了 全是92", "92"},
		{"after a failure phrase", "背面三位数是 ****** 刷不了 05", "05"},
		{"last digits of a terminal", "终端号尾数96那台 一直请先签到", ""},
		{"again 3 times", "又3次了", ""},
		{"still 20 yuan", "还是20块", ""},
		{"a short count of machines", "又坏了2台", ""},
		{"minutes in characters before a code", "晚上十一点五十刷卡提示90 系统日切", "90"},
		{"minutes after an hour", "11点50刷卡失败", ""},
		{"urgent with an amount", "急 88元的单子", ""},
		{"code in characters", "屏幕上出来个五十一就失败了", "51"},
		{"digits spoken one by one", "顾客耍卡报了个五五 说密码错", "55"},
		{"yao for one", "刷三万的时候报六幺 交易金额超限", "61"},
		{"letter and zero spoken", "出来个a零 然后说让签到", "A0"},
		{"letter and digit spoken", "a七 安全处理失败", "A7"},
		{"an amount OCR'd with o for 0", "金额:56,OOO.00 超出终端单笔限额 交易失败", ""},
		{"invalid amount is 13's meaning", "消费 金额:0.00 无效金额 13 请重新输入", "13"},
		{"an amount asked about", "这36是什么钱 谁扣的", ""},
		{"letter a spoken", "诶零 然后说让签到", "A0"},
		{"a word's a before a numeral", "visa一直刷不了", ""},
		{"spoken numeral after a word ending in a", "mega一号店刷卡失败", ""},
		{"brand code spoken, unlabelled", "中端报了个e幺零二", ""},
		{"brand code spoken, labelled", "错误码e幺零二", "E102"},
		{"may day is a holiday", "五一那天刷卡失败", ""},
		{"bare 码 as the label", "它说重复交易 码是九四", "94"},
		{"once more", "偶尔报一次96,再刷一次就好了", "96"},
		{"swiped once more for 50", "再刷一次50块", ""},
		{"码 then a comma", "其实屏幕上有个码,是96", "96"},
		{"qr code then a comma and an amount", "扫了二维码,是96元", ""},
		{"small print", "下面还有一行小字 a0", "A0"},
		{"there is a", "显示'过期卡',下面有个54", "54"},
		{"still not well", "96一上午了还不好,我要投诉", "96"},
		{"there are 3", "店里有个3台机器", ""},
		{"this time", "换了张工行的卡,这次是51了", "51"},
		{"this time 3 yuan", "这次是3块钱", ""},
		{"this time the 2nd", "这回是第2笔", ""},
		{"this time 20 minutes", "这次等了20分钟", ""},
		{"became 75", "他又输错了一次,现在变成75了", "75"},
		{"96 will not go away", "96一直好不了,给我接人工", "96"},
		{"declined with after a masked card", "customer card 622588******7898 declined with 05, can you check it?", "05"},
		{"61 exceeds", "declined with 61 exceeds amount limit", "61"},
		{"became 3 machines", "变成3台了", ""},
		{"declined with 20 dollars left", "declined with 20 dollars left on it", ""},
		{"limit of 50 yuan", "limit is 50 yuan per day", ""},
		{"qr code and a number", "二维码是88", ""},
		{"letter code then its wording", "a2 交易成功,请向资金转入行确认", "A2"},
		{"may day holiday", "五一节刷卡一直失败", ""},
		{"three thousand five", "刷了三千五失败了", ""},
		{"five or six cards", "拿了五六张卡都失败", ""},
		{"one by one", "一一核对了还是失败", ""},
		{"zero-five in characters", "错误代码零五是什么意思", "05"},
		{"ninety-six in characters", "电签机报九十六,交换中心异常", "96"},
		{"after 说", "pos说04,好像是让我没收", "04"},
		{"fifty yuan in characters", "五十块钱的东西刷不了", ""},
		{"eleven o'clock in characters", "晚上十一点刷卡失败", ""},
		{"thirty minutes in characters", "等了三十分钟还是失败", ""},
		{"the twentieth", "第二十笔交易失败", ""},
		{"operator number on a sign-in screen", "请先签到操作员号:01 密码:", ""},
		{"always for 30 minutes", "一直等了30分钟", ""},
		{"returned 50 yuan", "回了50元给顾客", ""},
		{"english gives an amount", "customer gives 50 dollars cash", ""},
		{"qr code and an amount", "扫码收款 88", ""},
		{"letter O with meaning", "ao mac校验错", "A0"},
		{"english word with o is no code", "go to the bank", ""},
		{"after 交易失败", "交易失败51", "51"},
		{"after 交易失败 and space", "交易失败 51", "51"},
		{"after 刷卡显示交易失败", "刷卡显示交易失败51", "51"},
		{"label 错误码 full-width colon", "错误码：A0", "A0"},
		{"label 错误码 lowercase letter", "错误码a0", "A0"},
		{"label 返回码", "返回码 05", "05"},
		{"label RC colon", "RC:96", "96"},
		{"label rc equals", "rc=96", "96"},
		{"label rc glued", "rc96", "96"},
		{"label 应答码", "应答码25", "25"},
		{"label 响应码", "响应码 14", "14"},
		{"parentheses", "(33)", "33"},
		{"full-width parentheses", "交易失败（33）", "33"},
		{"label error", "error 55", "55"},
		{"label err", "err 55", "55"},
		{"label code", "code 51", "51"},
		{"label error code", "Error Code: 05", "05"},
		{"label 代码", "代码51", "51"},
		{"after 提示", "提示51", "51"},
		{"after 显示", "显示51", "51"},
		{"before 错误", "51错误", "51"},
		{"after 报", "报51", "51"},
		{"after 报了", "又报了51", "51"},
		{"after 出现", "出现51", "51"},
		{"letter code after 显示 with meaning", "显示 A0 MAC校验错", "A0"},
		{"before meaning words", "51 余额不足", "51"},
		{"after 就是个", "就是个05", "05"},
		{"after 还是", "还是51", "51"},
		{"meaning before code", "此卡为无效卡 04", "04"},
		{"meaning after code glued", "显示03无效商户", "03"},
		{"asking what it means", "05什么意思", "05"},
		{"05号错误", "05号错误怎么解决", "05"},
		{"ocr screen", "交易失败\n应答码:51\n余额不足", "51"},
		{"ocr with date and time", "交昜失败\n此卡为无效卡\n应答码:04\n日期:0501 时间:185503", "04"},
		{"code next to masked card", "51 622202*********0128", "51"},
		{"code after masked card", "卡号622202*********0128 刷卡显示55", "55"},
		{"english declined", "card declined with code 55", "55"},
		{"english shows", "the pos shows 96", "96"},
		{"labelled beats context", "交易失败51，应答码是05", "05"},
		{"private code labelled", "错误码E102", "E102"},
		{"private numeric code labelled", "code 1001", "1001"},
		{"private code after 提示码", "提示码：C0", "C0"},
		{"unknown letter code labelled", "错误码A8", "A8"},
		{"single digit labelled", "返回码 5", "05"},
		{"spelling fixed first", "交意失拜 51", "51"},
		{"code after amount", "消费51元，交易失败05", "05"},

		// Numbers that are not codes.
		{"amount yuan", "1000元", ""},
		{"amount after 消费", "消费51元", ""},
		{"amount kuai", "51块", ""},
		{"amount yen sign", "¥51", ""},
		{"amount full-width yen sign", "￥51", ""},
		{"amount chinese numerals", "两万", ""},
		{"decimal amount", "51.00", ""},
		{"amount without unit after 消费", "消费51 刷不了", ""},
		{"count times", "3次", ""},
		{"count 51 times", "刷了51次", ""},
		{"ordinal", "第2笔", ""},
		{"failure count", "交易失败了51次", ""},
		{"clock time", "10:51", ""},
		{"time after 显示", "显示10:51交易失败", ""},
		{"chinese time", "下午3点51分", ""},
		{"minutes", "51分钟", ""},
		{"iso date", "2026-11-25", ""},
		{"date after 失败", "失败 2026-11-25", ""},
		{"chinese date", "11月25日", ""},
		{"day of month", "25号", ""},
		{"percentage", "51%", ""},
		{"phone number", "13800138000", ""},
		{"card number", "6222021234567890128", ""},
		{"grouped card number", "6222 0212 3456 7890 128", ""},
		{"masked card number", "622202*********0128", ""},
		{"merchant number", "商户号123456789012345", ""},
		{"terminal number", "终端号 12345678", ""},
		{"reference number", "参考号 123456789012", ""},
		{"voucher number", "凭证号 000123", ""},
		{"batch number", "批次号:000001", ""},
		{"model P2", "我的机器是P2", ""},
		{"model A8 not a known code", "A8机器刷不了", ""},
		{"model A920", "收银机是a920", ""},
		{"signal 4G", "4G信号不好", ""},
		{"signal 5G", "5G", ""},
		{"signal 2G with space", "只有2G", ""},
		{"wifi", "连的wifi", ""},
		{"version", "v1.2", ""},
		{"version number", "3.0", ""},
		{"machines", "2台机器", ""},
		{"people", "51个人", ""},
		{"unlabelled private code", "显示E102", ""},
		{"unlabelled 4 digits after 交易失败", "交易失败1001", ""},
		{"bare two digits in a sentence", "我今年51了还在用pos", ""},
		{"single digit", "3", ""},
		{"days", "等了51天", ""},
		{"thousands separator", "51,000", ""},
		{"english times", "tried 51 times", ""},
		{"english amount", "paid 51 yuan", ""},
		{"no digits", "刷卡失败怎么办", ""},
		{"pin wrong 3 times", "密码错了3次", ""},
	}
	negatives := 0
	for _, tc := range tests {
		if tc.want == "" {
			negatives++
		}
	}
	if len(tests) < 70 || negatives*2 < len(tests) {
		t.Fatalf("want at least 70 cases, half negative; have %d with %d negative", len(tests), negatives)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := Normalize(tc.in)
			got, ok := codes.Extract(in)
			if got != tc.want || ok != (tc.want != "") {
				t.Errorf("Extract(%q) = %q, %v; want %q", in, got, ok, tc.want)
			}
		})
	}
}

func TestNewCodesNormalisesKnown(t *testing.T) {
	t.Parallel()
	codes := NewCodes([]string{" a0 ", ""})
	if got, ok := codes.Extract("a0"); got != "A0" || !ok {
		t.Errorf(`Extract("a0") = %q, %v; want "A0", true`, got, ok)
	}
	if got, ok := NewCodes(nil).Extract("a0"); ok {
		t.Errorf(`Extract("a0") with no known codes = %q, true; want no code`, got)
	}
}

func FuzzExtract(f *testing.F) {
	f.Add("交易失败51")
	f.Add("错误码：E102 10:51")
	codes := NewCodes(testKnown)
	f.Fuzz(func(t *testing.T, s string) {
		code, ok := codes.Extract(Normalize(s))
		if ok != (code != "") || len(code) > 5 || strings.ToUpper(code) != code {
			t.Fatalf("Extract(Normalize(%q)) = %q, %v", s, code, ok)
		}
	})
}

func BenchmarkExtract(b *testing.B) {
	codes := NewCodes(testKnown)
	msgs := []string{
		Normalize("刷卡显示交易失败51，余额不足怎么办"),
		Normalize("交易失败\n此卡为无效卡\n应答码:04\n日期:0501 时间:185503"),
		Normalize("商户号123456789012345 终端号12345678 消费51元 10:51 第2笔"),
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, m := range msgs {
			codes.Extract(m)
		}
	}
}

// TestTrailing: the code a line ends on after 是, and nothing else.
func TestTrailing(t *testing.T) {
	t.Parallel()
	codes := NewCodes(testKnown)
	for _, tt := range []struct{ in, want string }{
		{"让他拍照发我了，是55", "55"},
		{"他又仔细看了一下，是96啊", "96"},
		{"一共是55块", ""},   // an amount
		{"是55号桌的客人", ""}, // something follows
		{"她说是12", ""},    // not a known code here
		{"没有是这个", ""},
	} {
		got, ok := codes.Trailing(Normalize(tt.in))
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("Trailing(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}
