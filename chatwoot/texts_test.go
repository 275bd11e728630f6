package chatwoot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/posbot/posbot/bot/bottest"
	"github.com/posbot/posbot/channel/channeltest"
	"github.com/posbot/posbot/chatwoot"
	"github.com/posbot/posbot/knowledge"
)

// TestTextKeys: the texts this package asks for are the ones the
// knowledge base requires of channels.yaml for Chatwoot, and so checks at
// load.
func TestTextKeys(t *testing.T) {
	t.Parallel()
	used, err := channeltest.UsedKeys(".", map[string]int{"text": 1})
	if err != nil {
		t.Fatal(err)
	}
	channeltest.TextKeys(t, "chatwoot merchant", used["text"], knowledge.ChannelMerchantTexts["chatwoot"])
}

// An English merchant reads the handover, and the word that the agents
// are done (handoff.yaml's, as every desk's close says it), in English.
func TestHandoffInEnglish(t *testing.T) {
	t.Parallel()
	base := bottest.Base(t)
	r := start(t, setup{})
	conv := r.fake.NewConversation()
	r.fake.ContactWrites(t, conv, "the terminal says declined 51, I want to talk to a human")
	r.fake.WaitStatus(t, conv, "open")
	got := r.fake.WaitBot(t, conv, 1)
	if want := base.ChannelTexts().For(chatwoot.Channel).Get("en", "handed_over", 1); !strings.Contains(got[len(got)-1], want) {
		t.Errorf("handover: %q, want %q", got, want)
	}
	n := len(got)
	r.fake.SetStatus(t, conv, "resolved")
	got = r.fake.WaitBot(t, conv, n+1)
	if want := base.Handoff().Merchant.Get("en", "closed"); got[n] != want {
		t.Errorf("after resolving: %q, want %q", got[n], want)
	}
}

// An engine that does not answer in time gets the merchant an apology in
// the language they wrote.
func TestFailedInTheMerchantsLanguage(t *testing.T) {
	t.Parallel()
	texts := bottest.Base(t).ChannelTexts().For(chatwoot.Channel)
	r := start(t, setup{engine: &counting{Engine: bottest.Engine(t), calls: map[string]int{}, stuck: true},
		config: func(c *chatwoot.Config) { c.Timeout = 200 * time.Millisecond }})
	for _, tt := range []struct{ text, lang string }{
		{"刷卡显示交易失败51", "zh"},
		{"the terminal says declined 51", "en"},
	} {
		conv := r.fake.NewConversation()
		r.fake.ContactWrites(t, conv, tt.text)
		if got, want := r.fake.WaitBot(t, conv, 1)[0], texts.Get(tt.lang, "failed"); got != want {
			t.Errorf("%q answered %q, want %q", tt.text, got, want)
		}
	}
}
