package telegram

import (
	"regexp"
	"strings"
)

// What the adapter says in its own words is data: the knowledge base's
// data/dialogue/channels.yaml, its telegram texts (and common's) to
// merchants and its agent texts on the desk, checked at load against the
// keys knowledge.ChannelMerchantTexts["telegram"] and
// knowledge.ChannelAgentTexts name. TestTextKeys checks that those are the
// keys this package uses: call text and deskText with a literal key.
// Everything else the merchant reads comes from the engine and the handoff.

// text is merchant text key in lang, formatted with args.
func (a *Adapter) text(lang, key string, args ...any) string {
	return a.texts.Get(lang, key, args...)
}

// deskText is agent text key, formatted with args.
func (a *Adapter) deskText(key string, args ...any) string {
	return a.desk.Get(key, args...)
}

// startText greets a merchant on /start in both languages, Chinese first:
// Telegram has not told posbot which one the merchant writes.
func (a *Adapter) startText() string {
	return a.text("zh", "start") + "\n\n" + a.text("en", "start")
}

// ticketPattern finds the ticket a desk message is about: every message
// posted to the group names it as agent text ticket does ("工单 #<id>"),
// which the knowledge base checks of every title and event line.
func (a *Adapter) ticketPattern() *regexp.Regexp {
	before, after, _ := strings.Cut(a.deskText("ticket"), "%d") // without arguments, the text as written
	return regexp.MustCompile(regexp.QuoteMeta(before) + `(\d+)` + regexp.QuoteMeta(after))
}
