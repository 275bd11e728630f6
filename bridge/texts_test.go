package bridge_test

import (
	"context"
	"testing"
	"time"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/bot/bottest"
	"github.com/posbot/posbot/bridge"
	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/channel/channeltest"
	"github.com/posbot/posbot/knowledge"
)

// TestTextKeys: the texts this package asks for are the ones the
// knowledge base requires of channels.yaml for the bridge, and so checks
// at load.
func TestTextKeys(t *testing.T) {
	t.Parallel()
	used, err := channeltest.UsedKeys(".", map[string]int{"text": 1})
	if err != nil {
		t.Fatal(err)
	}
	channeltest.TextKeys(t, "bridge merchant", used["text"], knowledge.ChannelMerchantTexts["bridge"])
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
	texts := bottest.Base(t).ChannelTexts().For("bridge")
	_, url := start(t, failing{}, bridge.Config{}, nil)
	for i, tt := range []struct{ text, lang string }{
		{"刷卡显示交易失败51", "zh"},
		{"the terminal says declined 51", "en"},
	} {
		code, a := post(t, url, secret, time.Now(), msg("chat-failing", string(rune('a'+i)), tt.text))
		if code != 200 || len(a.Messages) != 1 || a.Messages[0] != texts.Get(tt.lang, "failed") {
			t.Errorf("%q answered %d %+v, want the %s apology", tt.text, code, a, tt.lang)
		}
	}
}
