package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"testing"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/channel/channeltest"
	"github.com/posbot/posbot/knowledge"
)

// TestTextKeys: the texts this package asks for (text, both) are the ones
// the knowledge base requires of channels.yaml for "http", and so checks
// at load.
func TestTextKeys(t *testing.T) {
	t.Parallel()
	used, err := channeltest.UsedKeys(".", map[string]int{"text": 1, "both": 0})
	if err != nil {
		t.Fatal(err)
	}
	all := used["text"]
	for k := range used["both"] {
		all[k] = true
	}
	channeltest.TextKeys(t, "http merchant", all, knowledge.ChannelMerchantTexts["http"])
}

// channelText is the embedded knowledge base's channel text of user (a channel,
// or "screens") key in lang, formatted with args.
func channelText(user, lang, key string, args ...any) string {
	base, err := knowledge.Embedded()
	if err != nil {
		panic(err)
	}
	return base.ChannelTexts().For(user).Get(lang, key, args...)
}

// When the engine fails, the merchant is told so in the language they
// wrote.
func TestFailedInTheMerchantsLanguage(t *testing.T) {
	t.Parallel()
	e := &recording{err: errors.New("boom")}
	s := New(e, Options{Logger: slog.New(slog.DiscardHandler)})
	for _, tt := range []struct{ text, lang string }{
		{"刷卡显示交易失败51", "zh"},
		{"the terminal says declined 51", "en"},
	} {
		body, _ := json.Marshal(messageRequest{ConversationID: "c-lang", Text: tt.text})
		status, b, _ := post(t, s, "POST", "/v1/messages", "application/json", body)
		var r bot.Reply
		if err := json.Unmarshal(b, &r); status != 200 || err != nil || r.Answer != channelText("http", tt.lang, "failed") {
			t.Errorf("%q: %d %s, want the %s apology", tt.text, status, b, tt.lang)
		}
	}
}
