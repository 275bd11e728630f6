package httpapi

import (
	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/channel"
)

// What the server tells merchants in its own words is data: the knowledge
// base's data/dialogue/channels.yaml, its http texts (and common's),
// checked at load against the keys knowledge.ChannelMerchantTexts["http"]
// names. TestTextKeys checks that those are the keys this package uses:
// call text and both with a literal key. The errors only a client's
// programmer meets (a malformed request, a wrong method) name the API's
// fields and stay here, in both languages.

// text is merchant text key in lang, formatted with args.
func (s *Server) text(lang, key string, args ...any) string {
	return s.texts.Get(lang, key, args...)
}

// both is merchant text key in Chinese and in English, one space between:
// the API's refusals, which the chat page shows as they are, come before
// any message posbot could tell the language of.
func (s *Server) both(key string, args ...any) string {
	return s.texts.Get("zh", key, args...) + " " + s.texts.Get("en", key, args...)
}

// failed is the reply when the Engine fails, in the language of text, the
// merchant's message ("" for a button: Chinese).
func (s *Server) failed(text string) bot.Reply {
	return bot.Reply{Answer: s.text(channel.Lang(text), "failed"), Target: "none"}
}
