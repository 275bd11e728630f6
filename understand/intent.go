package understand

import (
	"regexp"
	"strings"
	"unicode"
)

// The intent rules below work on normalised text (see Normalize): lowercase
// ASCII, half-width punctuation, single spaces.

// humanRequest matches asking for a person. "人工" alone counts, but not in
// 人工智能 or 人工费, which are about something else.
var humanRequest = regexp.MustCompile(`转人工|人工客服|人工服务|找人工|要人工|真人|活人|找客服|转客服|要客服|转接|投诉|你们经理|叫经理|找经理|跟人说|和人说|让人跟我|找个人|来个人|叫个人|叫人来|派人|接一下客服|接客服|帮我接|工作人员|别回复模板|不要模板|转一下客服|让客服|叫个?客服|找个?懂行的|懂行的人|找个?人来|来个?真人|客服给我|你们客服.{0,6}电话|给我回个电话|有人工吗|打电话给我|给我回电|客服电话多少|技术人员|工程师|派个技术|技术上门|跟客服|和客服说|安排师傅|师傅上门|上门修|派人来修|派个师傅|别自动回复|不要机器人|不想跟机器|不想和机器|` +
	`\b(?:(?:talk|speak|chat) (?:to|with) (?:a |an |some )?(?:human|person|someone|somebody|agent|staff|representative)|human|agent|real person|live person|representative|customer service|engineer|technician|connect me|call me back|someone call me)\b`)

var notHuman = strings.NewReplacer("人工智能", "", "人工费", "", "人工成本", "", "人工湖", "")

// WantsHuman reports whether the merchant asks for a person: 转人工, 人工客服,
// 找真人, 我要投诉, talk to a human.
func WantsHuman(s string) bool {
	if humanRequest.MatchString(s) {
		return true
	}
	return strings.Contains(notHuman.Replace(s), "人工")
}

// unsolved matches feedback that the advice did not help.
// A bare "不行" counts only at the start or after 还/也/依然…: "只有这张卡不行"
// describes the problem rather than judging the advice.
var unsolved = regexp.MustCompile(`不好了|又失败|又不行|又报|没解决|未解决|没有解决|没能解决|解决不了|还是失败|还是刷不了|还是一样|还是报|还是显示|` +
	`^不行|(?:还是|还|也|依然|仍然|照样|一样|试了)不行|没用|没有用|不管用|没效果|没好|不可以|` +
	`\b(?:not solved|not fixed|still (?:failing|fails|not|the same|declined|doesn't|does not)|doesn't work|does not work|didn't work|did not work|not working|no luck|no use)\b`)

// solved matches feedback that it works now.
var solved = regexp.MustCompile(`解决了|好了|可以了|搞定|成功了|能刷了|刷过了|正常了|没问题了|ok了|` +
	`\b(?:solved|fixed|it works|works now|working now|that worked|it worked|resolved)\b`)

// question matches a message that asks rather than tells: "好了吗".
var question = regexp.MustCompile(`吗|了没|[?？]\s*$|怎么才能|怎么回事|咋回事|为什么|为啥|是什么原因`)

// butAfter, found after the good news, brings a new problem: "刷卡成功了,
// 但是钱没到账". Before it, it is the old one: "刚才不行,但现在好了".
var butAfter = regexp.MustCompile(`但|可是|不过|没到|还没|\bbut\b`)

// Solved reports whether the merchant says the problem is gone: 解决了, 好了,
// 刷成功了, it works. A question ("好了吗"), a denial ("还没好") or a new
// problem ("成功了但是没到账") is not.
func Solved(s string) bool {
	loc := solved.FindStringIndex(s)
	if loc == nil || Unsolved(s) || question.MatchString(s) {
		return false
	}
	return !butAfter.MatchString(s[loc[1]:])
}

// Unsolved reports whether the merchant says the advice did not help: 没解决,
// 还是不行, 试了还是一样, still failing.
func Unsolved(s string) bool {
	return unsolved.MatchString(s)
}

var greeting = regexp.MustCompile(`你好|您好|在吗|在不在|有人吗|哈喽|嗨|早上好|上午好|下午好|晚上好|\b(?:hello|hi|hey|good (?:morning|afternoon|evening))\b`)

// Greeting reports whether the message contains a greeting: 你好, 在吗, hello.
func Greeting(s string) bool { return greeting.MatchString(s) }

var thanks = regexp.MustCompile(`谢谢|多谢|感谢|谢了|辛苦了|\b(?:thanks|thank you|thx|ty)\b`)

// Thanks reports whether the message thanks the bot: 谢谢, 多谢, thanks.
func Thanks(s string) bool { return thanks.MatchString(s) }

// domainWords are words from the POS and payment world, and from the
// questions merchants ask next to failed payments (fees, activation, moving or
// closing a terminal, dial-up lines). "卡" is on its own
// because 刷卡, 银行卡 and 卡号 all carry it. A word list, not one big
// alternation, because InDomain reads whole OCR screens.
var domainWords = strings.Fields(`刷 卡 交易 消费 支付 收款 付款 收钱 扣款 扣钱 到账 结算 机器 终端 签到 签退 小票 签购单 打印
	商户 银行 银联 云闪付 余额 密码 额度 限额 超限 冻结 风控 网络 信号 联网 通讯 wifi 流量 扫码 闪付 二维码 退款 退货 撤销
	冲正 预授权 手续费 费率 错误码 返回码 应答码 响应码 报错 芯片 磁条 插卡 挥卡 读卡 参数 主密钥 密钥 激活 批次 凭证
	开机 关机 死机 重启 屏幕 电池 充电 按键 失败 显示 提示 mac 校验 报文 服务器 服务商 收银 顾客 店员 员工 出错 输错 按错
	机子 盒子 电签 黑屏 跳码 保证金 解冻 客人 收单 明细 两笔 扣了 押金 外卡
	服务费 年费 流量费 会员费 秒到 返现 解锁费 付款码 收款码 实名 绑定 注销 销户 退机 移机 搬店 搬铺 经营地址 换地址
	锁定 锁机 摘机 拨号 电话线 批上送`)

// domainEnglish are the English domain words, matched as whole words so that
// "possible" is not "pos".
var domainEnglish = regexp.MustCompile(`\b(?:pos|cards?|terminal|payments?|pay|paid|declined?|transactions?|errors?|codes?|refunds?|` +
	`bank|merchant|receipts?|sign[- ]?in|network|signal|balance|pin|chip|swipe|tap|insert|visa|mastercard|unionpay|settlement|qr|` +
	`printer|printing|paper|communication|failed|customer|void|sale|sales|machine|reader|charged|charge|money|account|limit|settle|settled|deposit)\b`)

// unionPayCodes lets InDomain see codes in messages without a domain word
// ("51", "a0?"). Like the regexps, it is read-only after initialisation.
var unionPayCodes = NewCodes([]string{"A0", "A1", "A2", "A3", "A4", "A5", "A6", "A7"})

// InDomain reports whether the message is about POS terminals or card
// payments at all: a domain word or a response code. The engine's own Codes
// may know more codes; it checks those first.
func InDomain(s string) bool {
	s = strings.ReplaceAll(s, "机器人", " ") // a robot is not a terminal
	if containsAny(s, domainWords) || domainEnglish.MatchString(s) {
		return true
	}
	_, ok := unionPayCodes.Extract(s)
	return ok
}

// OutOfScope reports whether the message is neither about the domain nor
// small talk the bot handles (greeting, thanks, asking for a human):
// 今天天气怎么样, 讲个笑话, what's the weather.
func OutOfScope(s string) bool {
	return !InDomain(s) && !Greeting(s) && !Thanks(s) && !WantsHuman(s)
}

// English reports whether the merchant wrote in English: there are ASCII
// letters, at least one word longer than a code, and no CJK characters.
func English(s string) bool {
	word, longest := 0, 0
	for _, r := range s {
		switch {
		case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul):
			return false
		case 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z':
			word++
			longest = max(longest, word)
		default:
			word = 0
		}
	}
	return longest >= 2
}
