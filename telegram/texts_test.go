package telegram_test

import (
	"testing"

	"github.com/posbot/posbot/bot/bottest"
	"github.com/posbot/posbot/channel/channeltest"
	"github.com/posbot/posbot/knowledge"
)

// TestTextKeys: the texts this package asks for (text, deskText) are the
// ones the knowledge base requires of channels.yaml for Telegram and its
// desk, and so checks at load.
func TestTextKeys(t *testing.T) {
	t.Parallel()
	used, err := channeltest.UsedKeys(".", map[string]int{"text": 1, "deskText": 0})
	if err != nil {
		t.Fatal(err)
	}
	channeltest.TextKeys(t, "telegram merchant", used["text"], knowledge.ChannelMerchantTexts["telegram"])
	channeltest.TextKeys(t, "agent", used["deskText"], knowledge.ChannelAgentTexts)
}

// text is the channel text of user (a channel, or "screens") key in lang,
// formatted with args.
func text(t testing.TB, user, lang, key string, args ...any) string {
	t.Helper()
	return bottest.Base(t).ChannelTexts().For(user).Get(lang, key, args...)
}

// A diagnosis in English has its buttons in English.
func TestEnglishButtons(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	h.api.push(textUpdate(1, 1101, "the card terminal says declined 51"))
	m := h.api.waitMessages(t, 1101, 1)[0]
	_, solved := m.data(text(t, "telegram", "en", "solved_button"))
	_, unsolved := m.data(text(t, "telegram", "en", "unsolved_button"))
	if !solved || !unsolved || m.hasFeedback() {
		t.Errorf("English diagnosis: buttons %+v, want %q and %q", m.Buttons,
			text(t, "telegram", "en", "solved_button"), text(t, "telegram", "en", "unsolved_button"))
	}
}
