package bridge

// What the bridge says in its own words is data: the knowledge base's
// data/dialogue/channels.yaml, its bridge texts (and common's), checked at
// load against the keys knowledge.ChannelMerchantTexts["bridge"] names.
// TestTextKeys checks that those are the keys this package uses: call text
// with a literal key.

// text is merchant text key in lang, formatted with args.
func (b *Bridge) text(lang, key string, args ...any) string {
	return b.texts.Get(lang, key, args...)
}
