package retrieval

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// synonyms maps what merchants type to the words the knowledge base uses.
// A query containing a variant is expanded with its canonical terms, so
// "刷不了" also searches for 交易失败 and "没反应" for 读卡失败.
var synonyms = []struct {
	variants  []string
	canonical string
}{
	{[]string{"刷不了", "刷不出", "刷不过", "刷不上", "付不了", "付不出去", "收不了款", "收不到款", "扣不了款", "支付失败", "付款失败", "收款失败", "刷卡失败", "消费失败", "交易不成功", "不成功", "被拒", "拒绝交易", "刷不出来", "刷不出", "刷不上", "付不了款", "没成功", "不成功了", "没通过", "过不去", "刷不进去", "试了好几次", "declined", "failed"}, genericCanonical},
	{[]string{"card read error", "read error", "读卡失败", "读卡", "没反应", "读不出", "读不了", "读不到", "识别不了", "不识别", "刷了没反应", "插卡没反应", "检卡超时", "卡片无法读取", "请重新刷卡", "刷卡没反应", "磁条", "can't read", "cannot read"}, "读卡失败 读卡器"},
	{[]string{"通讯失败", "通讯", "通信", "没信号", "没网", "没流量", "流量卡", "流量用完", "欠费", "sim卡", "连不上", "断网", "网络不好", "信号差", "信号弱", "连接超时", "通讯超时", "通信失败", "通信超时", "一直转圈", "转圈", "转半天", "超时了", "请求超时", "拨号失败", "连接失败", "网络异常", "no signal", "network", "connection", "communication", "timeout", "offline", "wifi", "wi-fi", "sim"}, "通讯失败 信号 网络"},
	{[]string{"签到失败", "签到", "没签到", "请先签到", "未签到", "签不上到", "签到不了", "sign in", "sign-in", "logon"}, "签到失败 签到"},
	{[]string{"mac", "校验错", "密钥", "秘钥", "key error"}, "MAC校验错 密钥"},
	{[]string{"余额不够", "钱不够", "没钱", "余额不足", "额度不够", "额度不足", "查余额", "还有多少钱", "余额多少", "卡里有多少", "insufficient", "balance"}, "余额不足 余额"},
	{[]string{"密码键盘", "键盘错误", "键盘坏", "pin pad", "pinpad"}, "密码键盘 连接线 设备故障"},
	{[]string{"密码错", "密码不对", "输错密码", "密码输错", "wrong pin", "incorrect pin"}, "密码错 密码"},
	{[]string{"卡被冻结", "卡冻结", "卡是不是被冻结", "被银行冻", "银行冻住", "卡冻住", "冻住了", "卡被锁", "卡被封", "卡片状态", "卡状态"}, "银行卡状态异常 冻结"},
	{[]string{"锁定", "锁卡", "被锁", "卡锁了", "卡锁住", "密码次数", "locked"}, "密码错误次数超限 锁卡"},
	// The terminal locked, not the card: moved, operator passwords, risk control.
	{[]string{"机器被锁", "机器锁了", "机器锁住", "机子被锁", "机子锁了", "pos机被锁", "pos机锁了", "pos机锁住", "终端锁定", "终端已锁定", "终端被锁", "锁机", "操作员被锁", "操作员已锁定", "terminal locked", "terminal is locked"}, "终端已锁定 锁定"},
	{[]string{"过期", "到期", "日期过了", "有效期过了", "有效期到了", "卡面上的日期", "expired"}, "过期卡"},
	{[]string{"超限", "限额", "超额", "金额太大", "金额超了", "超了额度", "当天额度", "钱绝对够", "钱够的", "每天只能", "每天最多", "单笔只能", "只能刷", "手机银行里设", "设了额度", "limit"}, "超限 限额"},
	{[]string{"终端限额", "商户限额", "累计限额", "累计金额", "当日累计", "终端当日", "当日限额", "当天限额", "当天累计", "单日限额", "收款上限", "terminal limit", "merchant limit"}, "终端限额 商户限额"},
	{[]string{"风险交易", "冻结", "封了", "被封", "风控", "停用", "关停", "受限", "限制交易", "frozen", "blocked"}, "风控 冻结"},
	{[]string{"扣了钱", "扣钱了", "扣款了", "钱扣了", "被扣款", "已扣款", "扣了款", "已经扣", "钱已经", "扣了", "扣款成功", "扣费", "扣款短信", "收到扣款", "短信说扣", "那边付款成功", "那边成功", "那边扣了", "这边显示失败", "这边失败", "有没有成功", "成没成功", "到底成功没", "是否成功", "没到账", "冲正", "charged"}, "冲正 扣款"},
	{[]string{"插卡", "请插ic卡", "芯片", "请使用芯片", "chip", "insert"}, "请插卡 芯片"},
	{[]string{"打印", "没纸", "缺纸", "出纸", "不出小票", "小票打不出", "小票出不来", "小票是白", "小票字", "卡纸", "receipt", "printer", "paper"}, "打印机 小票 打印纸"},
	{[]string{"死机", "卡死", "黑屏", "不亮", "屏幕坏了", "屏不亮", "白屏", "开不了机", "开不了", "一直重启", "自动重启", "反复重启", "花屏", "屏幕坏", "frozen screen"}, "系统软件故障 死机"},
	{[]string{"没电", "充不进电", "电池", "充电", "断电", "电量", "自动关机", "关机", "battery", "power"}, "电源 电池"},
	{[]string{"未登记", "未激活", "没激活", "未开通", "没开通", "激活", "新机器", "刚买", "新买", "新机", "绑定"}, "终端未登记 激活"},
	{[]string{"搬店", "搬铺", "搬家", "新店", "新门店", "换门店", "换店面", "换门面", "换地址", "经营地址", "地址变更", "移机", "带到外地", "带去外地", "带到别的地方"}, "移机 换经营地址 搬店"},
	{[]string{"激活", "实名", "人脸识别", "刷脸", "绑定", "绑不上", "解绑", "激活码"}, "实名认证 激活码"},
	{[]string{"到账", "结算", "没到账", "不到账", "settlement", "hasn't arrived", "not arrived", "hasn't come", "payout", "bank account", "paid out"}, "结算 到账"},
	{[]string{"骗子", "诈骗", "冒充", "自称", "验证码", "解冻", "主管密码", "远程", "套现", "低费率", "保证金", "现金给他", "给他现金", "扣点手续费", "钱转给他", "个点的手续费", "点手续费", "帮他刷", "帮人刷", "返现金", "寄给他", "寄过去", "寄回", "个人地址", "转现金", "万现金", "给他转", "都这么干", "现金转给他", "把现金转", "弄点现金", "套点现金", "刷出现金", "弄现金", "打电话说", "打电话来说", "退到他说的", "退到另一张", "多付了钱", "cash out", "scam", "pretend", "claiming", "sms code", "unfreeze", "deposit", "pay a fee", "they're unionpay", "from unionpay"}, scamCanonical},
	{[]string{"伪卡", "假卡", "盗刷", "复制", "克隆", "可疑", "不是我刷", "好几张卡", "几张卡", "多张卡", "一张张试", "换着刷", "轮着刷", "轮流刷", "张卡轮", "一沓卡", "一叠卡", "一摞卡", "换下一张", "五六张", "六七张", "每张都刷失败", "万整", "都是整数", "换着卡", "偷看", "发毛", "心里没底", "counterfeit", "fraud", "stolen"}, fraudCanonical},
	{[]string{"收银员", "店员", "员工", "新手", "按错", "不会用", "cashier", "staff"}, "操作员 培训"},
	{[]string{"跳码", "mcc", "商户类别", "商户名", "店名", "名字对不上", "名称不一致", "不是我的店", "别人的店"}, "跳码 商户名称"},
	{[]string{"any card", "none of the cards", "every single card", "all the cards", "不管哪家", "不管谁的卡", "哪家银行的卡都", "谁的卡都", "所有卡", "每张卡", "全部卡", "哪张卡都", "什么卡都", "啥卡都", "都刷不了", "换了张卡也", "换卡也一样", "换了卡也", "几张都不行", "张都不行", "张卡都", "all cards", "every card"}, "所有卡都刷不了"},
	{[]string{"只有这张", "就这张", "这一张", "别的卡可以", "其他卡可以", "其他卡正常", "别的卡都行", "别的卡都正常", "就一张卡", "磨花", "芯片坏", "卡坏了", "卡片坏", "卡磨损", "卡折了", "消磁", "别的客人都能刷", "别人都能刷", "其他客人都能刷", "其他顾客都可以", "别的顾客", "别的客人", "其他顾客", "其他客人", "就一个顾客", "就这位", "就他的卡", "就他这张", "only one card", "one card"}, "只有一张卡不行"},
	{[]string{"visa", "master", "mastercard", "万事达", "jcb", "运通", "外卡", "境外卡", "外国", "老外", "国外的卡", "foreign", "tourist"}, "外卡 境外卡 外汇"},
	{[]string{"哪些原因", "原因有哪些", "常见原因", "什么原因会", "都有什么原因", "为什么会失败", "啥原因", "一般什么原因", "是什么原因", "都是什么原因", "一般是什么原因", "common causes", "what causes"}, "常见原因 原因总览"},
	{[]string{"扫码", "二维码", "微信支付", "支付宝", "qr"}, "扫码"},
	{[]string{"撤销", "退货", "退款", "不要了", "退钱", "取消", "撤回", "多刷了", "refund", "void"}, "撤销 退货"},
	{[]string{"预授权", "押金", "授权完成", "pre-auth", "preauth"}, "预授权"},
	{[]string{"额度还冻", "还冻着", "没解冻", "额度没恢复", "押金没退", "押金退了"}, "额度释放 发卡银行"},
	{[]string{"扣了两次", "扣两次", "扣了2次", "扣2次", "两次扣款", "两笔都成功", "两条扣款", "两张小票", "又刷了一遍", "又刷了一次", "多扣", "重复扣", "charged twice", "double charge", "debited twice"}, "重复扣款 扣了两次"},
	{[]string{"升级", "更新", "版本", "update", "upgrade"}, "软件版本 升级"},
	{[]string{"下雨", "打雷", "雷电", "天气", "潮湿"}, "天气恶劣"},
	{[]string{"繁忙", "月底", "月末", "季末", "高峰", "节假日"}, "银行系统繁忙 高峰"},
	{[]string{"成功率", "提高成功", "少失败", "减少失败"}, "优化设备及网络 成功率"},
	{[]string{"操作员密码", "主管密码错", "操作员号", "柜员密码"}, "签到失败 签到 操作员"},
	{[]string{"建行", "工行", "农行", "中行", "招行", "交行", "邮储", "浦发", "中信银行", "光大", "民生银行", "兴业", "平安银行", "广发", "信用社", "行的卡"}, "发卡银行 银行系统"},
	{[]string{"停机升级", "系统升级", "凌晨维护", "停机维护", "银行维护"}, "银行系统问题 维护 稍后"},
	{[]string{"变电箱", "电器旁边", "微波炉", "干扰", "拿远一点"}, "支付环境问题 信号干扰"},
	{[]string{"错了两回", "错了两次", "错两次", "输错两次", "错了三次", "错了好几次"}, "密码错误次数超限 锁卡"},
	{[]string{"这个行业", "行业不能", "棋牌", "不允许的行业", "限制行业", "行业受限"}, "法律法规问题 行业限制"},
	{[]string{"睡眠卡", "卡没激活", "卡未激活", "新卡没激活", "好几年没用", "卡没开通"}, "卡未初始化 睡眠卡"},
	{[]string{"暑假工", "临时工", "新招", "没碰过", "刚上岗", "新员工"}, "操作员培训不足 培训"},
	{[]string{"掉链子", "以防万一", "提前准备", "人多的时候", "店庆", "搞活动", "不想再来一次"}, "应急处理机制 备用"},
	{[]string{"那根线", "一碰就断", "线一碰", "接口松", "收银电脑"}, "连接线松动 接触不良"},
	{[]string{"密码记", "记下密码", "记密码", "记着密码", "看到密码", "偷看密码", "密码泄露", "密码被人知道", "密码告诉别人"}, "密码公开 泄露"},
	{[]string{"乱插", "插反", "使劲塞", "硬塞", "刷太快", "乱按", "自己乱"}, "用户行为问题 操作不当"},
	{[]string{"核对哪些", "要核对", "核对金额", "少出错", "收款之前"}, "检查交易信息 核对 金额"},
	{[]string{"分清", "区分", "分辨", "判断是", "卡的问题还是", "还是机器的问题", "还是我机器"}, "常见原因 原因总览 换卡 判断"},
	{[]string{"罢工", "排了长队", "长队", "突然用不了", "突然不能用"}, "应急处理机制 备用"},
	{[]string{"打成了", "输成", "多按了", "多打了", "少打了", "金额输错", "打错金额", "多输了"}, "输入错误的金额 金额"},
	{[]string{"加装", "卡槽比以前", "多了个东西", "装了东西", "被改装", "卡槽变厚", "侧录"}, fraudCanonical},
	{[]string{"挥一下", "挥卡", "碰一下", "拍卡", "非接", "感应付款", "tap to pay"}, "闪付 挥卡 感应"},
	{[]string{"码收不了", "扫码收不了", "收款码", "云闪付的码"}, "第三方合作方服务中断 扫码"},
	{[]string{"反复刷", "刷了又刷", "一遍遍刷"}, "操作员经验不足 培训"},
	{[]string{"交接", "早班", "晚班", "又退了一次", "又给退了", "重复退款"}, "操作员沟通不畅 交接"},
	{[]string{"刷视频", "同一个wifi", "网速", "宽带", "带宽"}, "网络带宽不足 带宽"},
	{[]string{"服务器繁忙", "服务器忙", "卡得要命", "卡顿", "反应慢", "等好久才出", "半天才出结果"}, "系统资源占用过高 服务器"},
	{[]string{"支付公司", "支付机构", "第三方", "支付通道", "通道", "网关", "gateway"}, "支付网关 第三方 支付机构"},
	{[]string{"动手脚", "偷偷刷", "内部人员", "监守自盗", "员工偷", "收银员偷", "私下刷"}, insiderCanonical},
	{[]string{"刷卡越来越少", "刷卡的少了", "都扫码了", "都用扫码", "都用微信", "还要不要留", "被淘汰", "有必要留", "不带卡", "白买了"}, "消费者习惯改变 扫码"},
	{[]string{"线松", "松了", "数据线", "接触不良", "时好时坏", "插紧", "loose cable"}, "连接线松动 接触不良"},
	{[]string{"帮忙输密码", "帮他输密码", "帮他按", "让我帮他按", "念出来", "帮我按", "帮她输密码", "帮顾客输密码", "代输密码", "替顾客输", "告诉我密码", "把密码告诉", "enter his pin", "enter her pin", "enter the pin for", "key in the pin", "type his pin", "type the pin"}, "代输密码 持卡人自己输入"},
	{[]string{"应急", "备用方案", "备用机", "临时收款", "先收上钱"}, "应急处理机制 备用"},
}

// genericCanonical is the canonical form of every way of saying "it failed".
const genericCanonical = "交易失败"

// Canonicals of the fraud and scam cues: see FraudCue.
const (
	scamCanonical    = "诈骗 冒充客服"
	fraudCanonical   = "伪卡 盗刷"
	insiderCanonical = "内部人员作案 员工"
)

// FraudCue reports whether s (normalised) carries a sign of fraud or a scam:
// a caller posing as the bank, cards tried one after another, a cash-out
// request. The engine then leads with the safety answer.
func FraudCue(s string) bool {
	c := canonicals(strings.ToLower(s), false)
	return strings.Contains(c, scamCanonical) || strings.Contains(c, fraudCanonical) || strings.Contains(c, insiderCanonical)
}

// Expand appends the canonical terms of every synonym found in s.
// s should already be normalised (lower-case, half-width).
func Expand(s string) string {
	return s + canonicals(s, true)
}

// canonicals returns the canonical terms of the synonyms found in s, each
// preceded by a space; the generic "交易失败" only when withGeneric.
func canonicals(s string, withGeneric bool) string {
	var b strings.Builder
	for _, syn := range synonyms {
		if !withGeneric && syn.canonical == genericCanonical {
			continue
		}
		for _, v := range syn.variants {
			if containsTerm(s, v) {
				b.WriteByte(' ')
				b.WriteString(syn.canonical)
				break
			}
		}
	}
	return b.String()
}

// containsTerm reports whether s contains v; an English v only as whole
// words, so "mac" is not found in "machine".
func containsTerm(s, v string) bool {
	if !isASCII(v) {
		return strings.Contains(s, v)
	}
	for i := 0; ; {
		j := strings.Index(s[i:], v)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(v)
		if (start == 0 || !isWordByte(s[start-1])) && (end == len(s) || !isWordByte(s[end])) {
			return true
		}
		i = start + 1
	}
}

func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// Tokens splits text into search tokens: character bigrams for runs of CJK
// (a run of one character stays a unigram) and lower-case words for runs of
// letters and digits. It needs no dictionary, which keeps it fast and
// predictable on the short, typo-ridden messages merchants send.
func Tokens(s string) []string {
	var out []string
	var run []rune
	var word []rune
	flushCJK := func() {
		switch {
		case len(run) == 1:
			out = append(out, string(run))
		case len(run) > 1:
			for i := 0; i+1 < len(run); i++ {
				out = append(out, string(run[i:i+2]))
			}
		}
		run = run[:0]
	}
	flushWord := func() {
		if len(word) > 0 {
			out = append(out, strings.ToLower(string(word)))
		}
		word = word[:0]
	}
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Han, r):
			flushWord()
			run = append(run, r)
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			flushCJK()
			word = append(word, r)
		default:
			flushCJK()
			flushWord()
		}
	}
	flushCJK()
	flushWord()
	return out
}

// generic are words that say something failed without saying what: they
// match half the knowledge base, so they count for nothing when judging
// whether a message is specific enough to diagnose.
var generic = []string{
	"交易失败", "消费失败", "刷卡失败", "支付失败", "收款失败", "付款失败", "交易不成功", "不成功",
	"刷不了卡", "刷不了", "刷不出去", "刷不过", "收不了款", "付不了款", "不能刷卡", "不能刷", "不能用", "用不了", "不好用",
	"出问题", "有问题", "问题", "出错", "错误", "故障", "坏了", "不行", "失败", "异常", "报错",
	"怎么办", "怎么回事", "怎么弄", "怎么搞", "怎么处理", "如何处理", "为什么", "为啥", "咋办", "咋回事", "什么原因", "原因",
	"pos机", "pos", "机器", "机子", "终端", "刷卡机", "刷卡", "交易", "消费", "支付", "收款", "付款", "银行卡", "卡",
	"显示", "提示", "出现", "一直", "总是", "老是", "突然", "今天", "刚才", "刚刚", "现在", "又", "还是",
	"急急急", "急", "怎么", "刷卡时间", "时间", "开始", "好好的", "正常的", "这笔", "那笔", "一笔", "都", "就", "刚才这笔", "收不了", "付不了", "交易金额", "金额", "好几次", "几次", "每次", "老失败", "是不是", "这个", "那个", "就是", "然后", "走了", "昨天", "还好好的", "急死了", "急死", "排了好多人", "排队", "后面", "好多人", "我们店", "店里", "没代码", "没有代码", "几个字", "四个字", "下面", "没刷成功", "一行字", "跳回去", "屏幕上", "嗯", "呃", "你们系统", "没看清", "看不清", "一闪", "记不住", "记不清", "数字", "报了个码", "这样", "那样", "怎么又", "一次", "两次", "又一次", "第二次", "第三次", "第几次", "的时候", "时候", "会不会", "钱会不会丢", "要不要", "赔钱", "赔", "急", "等着", "在等", "到底", "怎么搞的", "靠谱", "能不能", "重启了也没用", "重启也没用", "也没用", "没用", "没过", "小票也没有", "没有小票", "没出小票", "刚刷", "刚", "刷了", "小盒子", "盒子", "机子", "整不明白", "搞不明白", "不明白", "咋整", "咋弄", "咋回事", "点算", "不好使", "好使", "有毛病", "毛病", "下午", "上午", "中午", "早上", "傍晚", "老板说", "老板", "店长", "同事", "让我来", "来问问", "问问", "看不懂", "不懂", "让我看看", "顾客说", "客人说", "一般", "帮我看看", "你帮我", "顾客", "客人", "客户", "我的", "我们", "我", "你们", "你", "请问", "帮忙", "帮我", "看看", "一下", "了", "吗", "呢", "啊", "呀", "的", "是", "在",
	"help", "failed", "failure", "error", "problem", "transaction", "payment", "terminal", "card", "pos", "why", "what", "my", "the", "is", "it",
	"machine", "isn't", "isnt", "working", "work", "works", "again", "not", "doesn't", "doesnt", "just", "keeps", "keep",
	"hello", "how", "are", "you", "can", "could", "please", "should", "would", "do", "does", "did", "this", "that", "with", "for", "and", "of", "to", "in", "on", "at", "me", "we", "our", "your", "an", "a", "i", "keeps", "says", "saying", "shows",
}

// Informative strips the generic words, identifiers and numbers from s and
// adds the canonical terms of its specific synonyms, leaving what can tell
// one cause from another ("刷卡失败了怎么办" leaves nothing; "读卡失败"
// keeps 读卡).
func Informative(s string) string {
	specific := canonicals(s, false)
	s = identifiers.ReplaceAllString(s, " ")
	s = genericWords.ReplaceAllString(s, " ")
	for _, g := range genericHan {
		s = strings.ReplaceAll(s, g, " ")
	}
	return dropLoneHan(s) + specific
}

// genericHan are the Chinese generic words: the list above and every way of
// saying "it failed" in the synonym table, longest first so that "刷不出来"
// goes before "刷不出" leaves "来".
var genericHan = func() []string {
	var out []string
	for _, g := range generic {
		if !isASCII(g) {
			out = append(out, g)
		}
	}
	for _, syn := range synonyms {
		if syn.canonical == genericCanonical {
			for _, v := range syn.variants {
				if !isASCII(v) {
					out = append(out, v)
				}
			}
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}()

// genericWords matches the English generic words as whole words: removed as
// substrings, "a" would break "signal".
var genericWords = func() *regexp.Regexp {
	var words []string
	for _, g := range generic {
		if isASCII(g) && !strings.ContainsAny(g, "机卡") {
			words = append(words, regexp.QuoteMeta(g))
		}
	}
	return regexp.MustCompile(`\b(` + strings.Join(words, "|") + `)\b`)
}()

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// dropLoneHan blanks Chinese characters left standing alone after the
// generic words are gone ("刷了" leaves "刷"): one character is too little to
// tell causes apart.
func dropLoneHan(s string) string {
	rs := []rune(s)
	for i, r := range rs {
		if !unicode.Is(unicode.Han, r) {
			continue
		}
		prev := i > 0 && unicode.Is(unicode.Han, rs[i-1])
		next := i+1 < len(rs) && unicode.Is(unicode.Han, rs[i+1])
		if !prev && !next {
			rs[i] = ' '
		}
	}
	return string(rs)
}

// identifiers are receipt numbers and amounts: they say which transaction,
// not what went wrong.
var identifiers = regexp.MustCompile(`(商户号|商户编号|终端号|终端编号|参考号|流水号|凭证号|批次号|订单号|金额)?[::]?\s*[0-9*]+(\.[0-9]+)?\s*(元|块|笔|次|号|点|分钟|分|秒|天|个|张|台|年|月|日)?`)
