package wechat

// What the adapter says in its own words is data: the knowledge base's
// data/dialogue/channels.yaml, its wechat texts (and common's), checked at
// load against the keys knowledge.ChannelMerchantTexts["wechat"] names.
// TestTextKeys checks that those are the keys this package uses: call text
// with a literal key. Everything else the merchant reads comes from the
// engine and the handoff.

// text is merchant text key in lang, formatted with args.
func (a *Adapter) text(lang, key string, args ...any) string {
	return a.texts.Get(lang, key, args...)
}
