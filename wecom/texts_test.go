package wecom_test

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
// knowledge base requires of channels.yaml for WeCom, and so checks at
// load; the handoff's it says are ones handoff.yaml must hold.
func TestTextKeys(t *testing.T) {
	t.Parallel()
	used, err := channeltest.UsedKeys(".", map[string]int{"text": 1, "handoffText": 1})
	if err != nil {
		t.Fatal(err)
	}
	channeltest.TextKeys(t, "wecom merchant", used["text"], knowledge.ChannelMerchantTexts["wecom"])
	for key := range used["handoffText"] {
		if _, ok := knowledge.HandoffMerchantTexts[key]; !ok {
			t.Errorf("the code asks for handoff text %q, which the knowledge base does not require of handoff.yaml", key)
		}
	}
}

// failing never answers: its context ran out.
type failing struct{ channel.Handler }

func (failing) Handle(context.Context, bot.Message) (bot.Reply, error) {
	return bot.Reply{}, context.DeadlineExceeded
}

// An engine that does not answer gets the customer an apology in the
// language they wrote.
func TestFailedInTheCustomersLanguage(t *testing.T) {
	t.Parallel()
	texts := bottest.Base(t).ChannelTexts().For("wecom")
	api := newFakeKF(t)
	r := run(t, api, memoryStores(), failing{}, nil)
	api.customer("wm-zh", "刷卡显示交易失败51")
	api.customer("wm-en", "the terminal says declined 51")
	notify(t, r.url, false)
	if got, want := api.texts(t, "wm-zh", 1)[0], texts.Get("zh", "failed"); got != want {
		t.Errorf("Chinese customer got %q, want %q", got, want)
	}
	if got, want := api.texts(t, "wm-en", 1)[0], texts.Get("en", "failed"); got != want {
		t.Errorf("English customer got %q, want %q", got, want)
	}
}
