package bot_test

import (
	"context"
	"slices"
	"testing"

	"github.com/posbot/posbot/bot"
)

// TestEveryAdjacentPassageByPhrasing checks that each passage for the
// questions next to failed payments (fees, QR payments, activation, SIM and
// deposit charges, closing or moving a terminal, the settlement card, and the
// terminal messages without a code) is among the three sources the engine
// answers with, as `posbot ask --json` reports them, from two ways a merchant
// would put it. The phrasings here were written separately from the knowledge
// base's own. It also pins each passage's escalation target, which the
// evaluation sets rely on.
func TestEveryAdjacentPassageByPhrasing(t *testing.T) {
	t.Parallel()
	e, base := newEngine(t)
	tests := []struct {
		id, target string
		texts      [2]string
	}{
		{"adj-fee-rate", "provider", [2]string{"最近刷卡到账少了好多，是不是手续费调高了", "一万块扣六十多，这费率也太高了吧"}},
		{"adj-qr-payment", "provider", [2]string{"客人掏手机给我扫，机器上一直转着说用户支付中", "pos扫顾客支付宝的码扫不上"}},
		{"adj-activation", "provider", [2]string{"新领的pos激活不成功", "做实名的时候人脸过不去，机器用不了"}},
		{"adj-sim-data-fee", "provider", [2]string{"今天到账少了几十块，明细里写着流量费", "没人跟我说过要交年费啊，怎么就扣了"}},
		{"adj-device-deposit", "provider", [2]string{"pos机押金什么时候能退", "当初说刷满多少就返押金，现在怎么没动静"}},
		{"adj-close-terminal", "provider", [2]string{"店不开了，刷卡机怎么办理注销", "这个机器我不要了，能退回去吗"}},
		{"adj-lost-terminal", "provider", [2]string{"早上开门发现刷卡机被人偷走了", "收款的机器找不到了，是不是要先报停"}},
		{"adj-move-terminal", "provider", [2]string{"下个月要换门店，pos机要不要跟你们说", "把刷卡机带到新店用可以吗"}},
		{"adj-change-settlement-card", "provider", [2]string{"收款那张银行卡丢了，想换一张到账", "怎么把到账银行改成建行的卡"}},
		{"msg-terminal-locked", "provider", [2]string{"机器被锁了，屏幕说联系服务商", "收银员密码输错了几次，现在操作员被锁"}},
		{"msg-batch-settlement", "none", [2]string{"晚上做结算卡在那里半天不动", "屏幕提示要先结算才能继续刷"}},
		{"msg-dialup-line", "none", [2]string{"用座机线的那台老机器显示摘机", "电话线接的刷卡机拨不出去，没有拨号音"}},
		{"msg-declined-generic", "none", [2]string{"屏幕只写交易未能完成，没给代码", "怎么查这笔失败的应答码"}},
		{"msg-settlement", "provider", [2]string{"礼拜六刷的钱什么时候能到卡上", "T1和秒到有啥不一样"}},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.id] = true
	}
	for _, p := range base.All() {
		if p.Family == "adjacent" && !covered[p.ID] {
			t.Errorf("no phrasing for adjacent passage %s", p.ID)
		}
	}
	for _, tt := range tests {
		p, ok := base.ByID(tt.id)
		if !ok {
			t.Errorf("no passage %s", tt.id)
			continue
		}
		if p.Target != tt.target {
			t.Errorf("%s: target %s, want %s", tt.id, p.Target, tt.target)
		}
		for i, text := range tt.texts {
			r, err := e.Handle(context.Background(), bot.Message{ConversationID: sprintf("adj-%s-%d", tt.id, i), Channel: "test", Text: text})
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(r.Sources); r.Clarify || !slices.Contains(got, tt.id) {
				t.Errorf("%s: %q → sources %v clarify %v (confidence %.2f), want it in the top 3", tt.id, text, got, r.Clarify, r.Confidence)
			}
		}
	}
}
