package wechat_test

import (
	"context"
	"testing"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/bot/bottest"
	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/channel/channeltest"
	"github.com/posbot/posbot/knowledge"
)

// TestTextKeys: the texts this package asks for are the ones the
// knowledge base requires of channels.yaml for WeChat, and so checks at
// load.
func TestTextKeys(t *testing.T) {
	t.Parallel()
	used, err := channeltest.UsedKeys(".", map[string]int{"text": 1})
	if err != nil {
		t.Fatal(err)
	}
	channeltest.TextKeys(t, "wechat merchant", used["text"], knowledge.ChannelMerchantTexts["wechat"])
}

// failing never answers: its context ran out.
type failing struct{ channel.Engine }

func (failing) Handle(context.Context, bot.Message) (bot.Reply, error) {
	return bot.Reply{}, context.DeadlineExceeded
}

// An engine that does not answer gets the merchant an apology in the
// language they wrote.
func TestFailedInTheMerchantsLanguage(t *testing.T) {
	t.Parallel()
	texts := bottest.Base(t).ChannelTexts().For("wechat")
	r := start(t, setup{engine: failing{}})
	for i, tt := range []struct{ text, lang string }{
		{"刷卡显示交易失败51", "zh"},
		{"the terminal says declined 51", "en"},
	} {
		if _, reply := r.wx.send(t, textXML("o-failing", int64(7001+i), tt.text)); reply != texts.Get(tt.lang, "failed") {
			t.Errorf("%q answered %q, want the %s apology", tt.text, reply, tt.lang)
		}
	}
}
