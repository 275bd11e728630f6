package wecom

// What the adapter says in its own words is data: the knowledge base's
// data/dialogue/channels.yaml, its wecom texts (and common's), checked at
// load against the keys knowledge.ChannelMerchantTexts["wecom"] names;
// when a servicer ends a session, the merchant reads what the handoff says
// when an agent closes a case (handoff.yaml's closed). TestTextKeys checks
// that those are the keys this package uses: call text and handoffText
// with a literal key. Everything else the customer reads comes from the
// engine.

// text is merchant text key in lang, formatted with args.
func (a *Adapter) text(lang, key string, args ...any) string {
	return a.texts.Get(lang, key, args...)
}

// handoffText is handoff.yaml's merchant text key in lang, formatted with
// args.
func (a *Adapter) handoffText(lang, key string, args ...any) string {
	return a.handoff.Get(lang, key, args...)
}
