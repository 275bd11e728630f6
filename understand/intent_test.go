package understand

import "testing"

// intentCase is one message and whether an intent function should fire.
type intentCase struct {
	name string
	in   string
	want bool
}

func runIntent(t *testing.T, fn func(string) bool, tests []intentCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := Normalize(tc.in)
			if got := fn(in); got != tc.want {
				t.Errorf("(%q) = %v, want %v", in, got, tc.want)
			}
		})
	}
}

func TestWantsHuman(t *testing.T) {
	t.Parallel()
	runIntent(t, WantsHuman, []intentCase{
		{"转人工", "转人工", true},
		{"人工客服", "我要人工客服", true},
		{"人工 alone", "人工", true},
		{"找真人", "找真人", true},
		{"真人客服", "有没有真人客服", true},
		{"找客服", "我要找客服", true},
		{"投诉", "我要投诉", true},
		{"经理", "叫你们经理来", true},
		{"跟人说", "我想跟人说", true},
		{"让人跟我说话", "你们能不能让人跟我说话", true},
		{"叫个人来", "别跟我扯了 机器人 叫个人来", true},
		{"客服打电话", "能不能让你们客服给我打个电话", true},
		{"a scammer called", "有人给我打电话说是银联的", false},
		{"a person in the past", "商户称上周人工客服教过他重新签到，今天又报99", false},
		{"客服人员", "算了，你们给我找个客服人员吧", true},
		{"二线", "这单我这边处理不了了，帮转二线技术跟进", true},
		{"有没有人能", "有没有人能远程帮我弄一下 我年纪大了搞不来这些", true},
		{"叫个客服", "你是机器人吧 叫个客服来", true},
		{"派个技术上门", "你们能不能派个技术上门来看看,我自己搞不定", true},
		{"跟客服说话", "你说的我都试过了还是不行,我要跟客服说话", true},
		{"技术人员", "能不能让你们技术人员打个电话给我", true},
		{"engineer", "code 99 again, just connect me to an engineer", true},
		{"screen says contact customer service", "交易结果未知 请查询或联系客服", false},
		{"工作人员", "别回复模板了,找个工作人员来", true},
		{"接一下客服", "帮我接一下客服,我自己说", true},
		{"懂行的人", "找个懂行的人来处理吧 跟你说不明白", true},
		{"不想跟机器", "不想跟机器人聊了", true},
		{"talk to a human", "Talk to a human", true},
		{"speak with someone", "i want to speak with someone", true},
		{"agent", "agent please", true},
		{"real person", "I want a real person", true},
		{"human please", "human please", true},
		{"转接客服", "能帮我转接客服吗", true},
		{"活人", "别自动回复了，找个活人", true},
		{"人工智能 is not a request", "你是人工智能吗", false},
		{"叫你们领导来", "叫你们领导来", true},
		{"给我找个懂的人", "给我找个懂的人", true},
		{"我不跟机器人说话", "我不跟机器人说话", true},
		{"我要投诉", "我要投诉", true},
		{"打电话给我", "打电话给我", true},
		{"manager", "I want to speak to your manager", true},
		{"a leader froze the card is not a request", "顾客的卡是不是被银行冻结了", false},
		{"叫人头疼 is not a request", "这机器真叫人头疼", false},
		{"人工费 is not a request", "修机器人工费多少", false},
		{"code question", "交易失败51", false},
		{"greeting", "你好", false},
	})
}

func TestSolved(t *testing.T) {
	t.Parallel()
	runIntent(t, Solved, []intentCase{
		{"solved but asks why", "换了一张卡就好了,那第一张卡是怎么回事", false},
		{"解决了", "解决了", true},
		{"好了", "好了", true},
		{"可以了", "可以了，谢谢", true},
		{"搞定", "搞定", true},
		{"刷成功了", "刷成功了", true},
		{"ok了", "OK了", true},
		{"thanks and fixed", "谢谢，好了", true},
		{"solved", "solved", true},
		{"it works", "it works now", true},
		{"没解决", "没解决", false},
		{"还没好", "还没好", false},
		{"question 好了吗", "这样就好了吗？", false},
		{"不好了", "不好了，又失败了", false},
		{"still failing", "still failing", false},
		{"new problem after success", "刷卡成功了，但是钱没到账", false},
		{"old problem before success", "刚才不行，但现在好了", true},
		{"unrelated", "交易失败51", false},
	})
}

func TestUnsolved(t *testing.T) {
	t.Parallel()
	runIntent(t, Unsolved, []intentCase{
		{"没解决", "没解决", true},
		{"还是不行", "还是不行", true},
		{"还是失败", "还是失败", true},
		{"不行啊", "不行啊", true},
		{"没用", "没用", true},
		{"试了还是一样", "试了还是一样", true},
		{"not solved", "not solved", true},
		{"still failing", "Still failing", true},
		{"solved", "解决了", false},
		{"describing one card", "只有这张卡不行", false},
		{"可以了", "可以了", false},
		{"it works", "it works", false},
		{"greeting", "你好", false},
	})
}

func TestGreeting(t *testing.T) {
	t.Parallel()
	runIntent(t, Greeting, []intentCase{
		{"你好", "你好", true},
		{"在吗", "在吗？", true},
		{"hello", "Hello", true},
		{"hi", "hi", true},
		{"您好", "您好，请问", true},
		{"hi is a whole word", "this is it", false},
		{"thanks", "谢谢", false},
		{"problem", "交易失败51", false},
	})
}

func TestThanks(t *testing.T) {
	t.Parallel()
	runIntent(t, Thanks, []intentCase{
		{"谢谢", "谢谢", true},
		{"多谢", "多谢了", true},
		{"thanks", "Thanks!", true},
		{"thank you", "thank you", true},
		{"感谢", "非常感谢", true},
		{"greeting", "你好", false},
		{"problem", "刷卡失败", false},
		{"solved", "好了", false},
	})
}

func TestInDomain(t *testing.T) {
	t.Parallel()
	runIntent(t, InDomain, []intentCase{
		{"pos", "pos机坏了", true},
		{"刷卡", "刷不了卡", true},
		{"交易", "交易失败", true},
		{"收款", "收款码不能用", true},
		{"到账", "钱没到账", true},
		{"签到", "签到失败", true},
		{"小票", "小票打不出来", true},
		{"冻结", "商户被冻结了", true},
		{"信号", "没有信号", true},
		{"bare code", "51", true},
		{"letter code", "a0", true},
		{"code after 显示", "显示55", true},
		{"english declined", "my card was declined", true},
		{"english terminal", "terminal error", true},
		{"private code on screen", "显示E102", true},
		{"mac failure", "返回报文MAC校验失败", true},
		{"closing", "不想用了怎么注销", true},
		{"moving", "换地址了要报备吗", true},
		{"dial-up", "分机已摘机", true},
		{"service fee", "服务费怎么扣的", true},
		{"weather", "今天天气怎么样", false},
		{"joke", "讲个笑话", false},
		{"poem", "帮我写首诗", false},
		{"stocks", "股票能买吗", false},
		{"english weather", "what's the weather", false},
		{"possible is not pos", "is it possible", false},
	})
}

func TestOutOfScope(t *testing.T) {
	t.Parallel()
	runIntent(t, OutOfScope, []intentCase{
		{"weather", "今天天气怎么样", true},
		{"joke", "讲个笑话", true},
		{"poem", "帮我写首诗", true},
		{"stocks", "股票能买吗", true},
		{"english weather", "what's the weather", true},
		{"greeting", "你好", false},
		{"thanks", "谢谢", false},
		{"human", "转人工", false},
		{"domain", "刷卡失败", false},
		{"code", "51", false},
	})
}

func TestEnglish(t *testing.T) {
	t.Parallel()
	runIntent(t, English, []intentCase{
		{"sentence", "my card was declined", true},
		{"with code", "error 55", true},
		{"greeting", "hi", true},
		{"chinese", "交易失败", false},
		{"mixed", "pos机显示error", false},
		{"digits only", "51", false},
		{"letter code only", "A0", false},
		{"empty", "", false},
		{"japanese kana", "カード", false},
	})
}
