package channel_test

import (
	"testing"

	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/channel/channeltest"
	"github.com/posbot/posbot/knowledge"
)

// TestTextKeys: what Screens says is what the knowledge base requires of
// channels.yaml for "screens".
func TestTextKeys(t *testing.T) {
	t.Parallel()
	used, err := channeltest.UsedKeys(".", map[string]int{"text": 1})
	if err != nil {
		t.Fatal(err)
	}
	channeltest.TextKeys(t, "screens merchant", used["text"], knowledge.ChannelMerchantTexts["screens"])
}

func TestLang(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]string{
		"":                           "zh",
		"51":                         "zh",
		"刷卡显示交易失败51":                 "zh",
		"POS显示 declined":             "zh",
		"the terminal says declined": "en",
		"error 51":                   "en",
	} {
		if got := channel.Lang(text); got != want {
			t.Errorf("Lang(%q) = %q, want %q", text, got, want)
		}
	}
}
