package bot_test

import (
	"context"
	"slices"
	"testing"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/bot/bottest"
	"github.com/posbot/posbot/retrieval"
	"github.com/posbot/posbot/understand"
)

// TestEveryCodeByItsCode asks about every response code in the knowledge base
// the way merchants write it, and expects that code's passage first.
func TestEveryCodeByItsCode(t *testing.T) {
	t.Parallel()
	e, base := newEngine(t)
	forms := []string{"刷卡显示交易失败%s", "错误码：%s", "返回码 %s", "code %s"}
	for i, c := range base.Codes() {
		text := sprintf(forms[i%len(forms)], c)
		r, err := e.Handle(context.Background(), bot.Message{ConversationID: "code-" + c, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		if r.Code != c || len(r.Sources) == 0 || r.Sources[0].ID != "code-"+c {
			t.Errorf("%q: code %q, sources %v; want code %s first", text, r.Code, ids(r.Sources), c)
		}
		p, _ := base.ByCode(c)
		if r.Target != p.Target || r.CodeMeaning == "" {
			t.Errorf("%q: target %q meaning %q; want target %s and a meaning", text, r.Target, r.CodeMeaning, p.Target)
		}
	}
}

// TestEveryArticlePassageByPhrasing checks that every passage of the source
// article's taxonomy is found, among the five passages the engine retrieves, from the way a
// merchant would describe it. The phrasings here were written separately from
// the knowledge base's own.
func TestEveryArticlePassageByPhrasing(t *testing.T) {
	t.Parallel()
	base, r := bottest.Base(t), bottest.Searcher(t)
	tests := map[string]string{
		"overview-causes":             "刷卡老是失败到底有哪些可能的原因",
		"cause-txn-info":              "交易信息不对，卡号和金额对不上所以消费失败",
		"cause-card-status":           "客人的卡好像被冻结了还是过期了，刷不了",
		"cause-bank-system":           "是不是银行系统出故障在维护，所有银行卡都刷不出去",
		"cause-network":               "支付机构网络拥堵不稳定，交易老是失败",
		"cause-operation":             "刷卡的时候操作不对，刷太快了就失败",
		"aspect-device":               "pos机设备坏了，显示屏和读卡器都有问题",
		"aspect-limit":                "金额大了就交易失败，是不是有交易限额",
		"aspect-environment":          "店里信号干扰很大，网络拥堵，支付环境不好",
		"aspect-user-behavior":        "顾客操作不规范老输错东西导致失败",
		"aspect-legal":                "是不是法律法规有限制这种交易不让做",
		"strategy-check-txn-info":     "怎么检查交易信息有没有输错",
		"strategy-check-card":         "怎么确认顾客的银行卡状态正常",
		"strategy-check-bank-system":  "怀疑银行系统出问题，应该怎么查",
		"strategy-check-network":      "怀疑是支付机构或者网络的问题，找谁处理",
		"strategy-standard-operation": "怎么规范刷卡操作，避免失败",
		"strategy-optimize":           "怎么优化设备和网络提高成功率",
		"strategy-training":           "怎么培训收银员正确用pos机",
		"strategy-emergency":          "pos机突然坏了有没有应急办法，客人还在等",
		"fam-hardware":                "感觉是pos机硬件坏了",
		"hw-card-reader":              "读卡器好像坏了，磁条卡刷了读不出来",
		"hw-printer":                  "打印机坏了，小票打出来字看不清",
		"hw-cable":                    "pos机的线松了，接触不良",
		"hw-power":                    "电源不稳，机器刷着刷着突然断电关机",
		"fam-software":                "pos机软件出问题了",
		"sw-system-fault":             "pos机死机了，一直卡在开机画面",
		"sw-payment-interface":        "支付接口异常，刷卡一直报接口错误",
		"sw-program-bug":              "pos机程序有bug，按了没反应还报错",
		"sw-permission":               "收银员的操作员权限不够，有的功能用不了",
		"fam-operation":               "我们自己操作失误了",
		"op-wrong-amount":             "金额输错了，多打了一个零",
		"op-wrong-payment-type":       "支付方式选错了，把信用卡选成借记卡",
		"op-bad-timing":               "半夜刷卡总失败，是不是银行在维护时间",
		"op-careless":                 "收银员太粗心了，没核对就刷",
		"fam-external":                "是不是外部原因导致刷卡失败",
		"ext-weak-signal":             "店在地下室，pos机信号特别弱",
		"ext-bank-busy":               "月底银行系统繁忙交易特别慢然后失败",
		"ext-weather":                 "打雷下大雨的时候pos机就刷不了",
		"ext-disaster":                "地震洪水把店淹了，pos机用不了",
		"fam-security":                "感觉有安全问题，可能被盗刷",
		"sec-pin-exposed":             "顾客的密码被别人知道了，密码泄露怎么办",
		"sec-card-cloned":             "顾客说他的卡被人复制了",
		"sec-counterfeit":             "有人拿伪卡来刷，看着像假卡",
		"sec-insider":                 "怀疑店里员工内部作案，偷偷做交易",
		"fam-regulation":              "国家政策法规变了影响刷卡吗",
		"reg-policy":                  "监管政策调整了，手续费提高，有些交易被限制",
		"reg-standard":                "行业新规范出来了，机器没升级会不会失败",
		"reg-litigation":              "pos机公司卷进法律诉讼，会影响我们收款吗",
		"reg-forex":                   "外卡刷不了，是外汇管理政策变了吗",
		"fam-thirdparty":              "第三方服务出了问题",
		"tp-gateway":                  "支付网关不稳定，一会好一会坏",
		"tp-partner-outage":           "第三方合作方服务中断了",
		"tp-support":                  "技术支持一直联系不上，问题没人解决",
		"tp-data-sync":                "数据同步延迟，银行那边和机器上的记录对不上",
		"fam-staff":                   "是不是收银员人为操作失误",
		"staff-training":              "新员工没培训过，不会用pos机",
		"staff-experience":            "收银员经验不足，遇到特殊情况就慌",
		"staff-emotion":               "收银员今天情绪不好，老按错",
		"staff-communication":         "店员之间沟通不畅，信息没传到",
		"fam-technical":               "技术方面的问题导致失败",
		"tech-aging":                  "机器用了好多年老化了，老出故障",
		"tech-outdated-software":      "pos机软件版本太旧了没升级",
		"tech-bandwidth":              "店里宽带带宽不够，网速太慢",
		"tech-server-load":            "服务器资源占用太高，系统很卡",
		"fam-market":                  "市场环境变了对pos机有影响吗",
		"mkt-competition":             "pos机行业竞争太激烈了",
		"mkt-habits":                  "现在顾客都用扫码，消费习惯变了",
		"mkt-policy":                  "政策法规变动了pos机跟不上",
		"mkt-economy":                 "经济不好，生意差，交易量减少",
	}
	for _, p := range base.All() {
		if _, ok := tests[p.ID]; !ok && p.Kind != "code" && p.Kind != "message" {
			t.Errorf("no phrasing for article passage %s", p.ID)
		}
	}
	reader, err := understand.NewReader(base)
	if err != nil {
		t.Fatal(err)
	}
	for id, text := range tests {
		res, err := r.Search(context.Background(), retrieval.Query{Text: reader.Normalize(text), K: 5})
		if err != nil {
			t.Fatal(err)
		}
		var top []string
		for _, h := range res.Hits {
			top = append(top, h.Passage.ID)
		}
		if !slices.Contains(top, id) {
			t.Errorf("%s: %q → %v (confidence %.2f)", id, text, top, res.Confidence)
		}
	}
}
