package chatwoot

import "github.com/posbot/posbot/handoff"

// What the adapter says in its own words is data: the knowledge base's
// data/dialogue/channels.yaml, its chatwoot texts (and common's), checked
// at load against the keys knowledge.ChannelMerchantTexts["chatwoot"]
// names; what it says as the handoff would (a person will also follow up,
// the agent closed the case) is handoff.yaml's, through Handoffs.
// TestTextKeys checks that those are the keys this package uses: call
// text with a literal key. Texts are in the merchant's language, the
// conversation's after a handoff (its ticket's). Everything else the
// merchant reads comes from the engine and the handoff.

// text is merchant text key in lang, formatted with args.
func (a *Adapter) text(lang, key string, args ...any) string {
	return a.texts.Get(lang, key, args...)
}

// handoffText tells the merchant a person takes over (or, for an
// escalation, will follow up), with the escalation packet if any; a
// ticket the store could not record has no number to name.
func (a *Adapter) handoffText(tk handoff.Ticket, handover bool) string {
	var s string
	switch {
	case handover && tk.ID != 0:
		s = a.text(tk.Lang, "handed_over", tk.ID)
	case handover:
		s = a.text(tk.Lang, "handed_over_unrecorded")
	case tk.ID != 0:
		s = a.handoffs.EscalatedText(tk.Lang, tk.ID)
	default:
		s = a.text(tk.Lang, "escalated_unrecorded")
	}
	if tk.Packet != "" {
		s += "\n\n" + tk.Packet
	}
	return s
}
