package handoff

import "github.com/posbot/posbot/knowledge"

// Provider is the merchant's POS service provider as configured
// (POSBOT_PROVIDER_NAME, POSBOT_PROVIDER_HOTLINE). Both may be empty.
type Provider struct {
	Name    string
	Hotline string
}

// packet is the escalation text for a ticket in lang, "" when its target is
// neither the bank nor the provider. For the bank: what the merchant tells
// the cardholder, and what not to do. For the provider: a short text the
// merchant can forward. The templates (the knowledge base's
// data/dialogue/handoff.yaml) are given only what the merchant supplied
// (no card digits), the code and its meaning, the steps tried, and the
// configured provider name and hotline: never a phone number from anywhere
// else.
func (s *Service) packet(lang string, t Ticket, meaning string, tried []string) string {
	p := s.cfg.Provider
	out, err := s.texts.Packet(t.Target, lang, knowledge.PacketFacts{
		Code: t.Code, Meaning: meaning,
		MerchantNo: t.Supplied.MerchantNo, TerminalNo: t.Supplied.TerminalNo, RefNo: t.Supplied.RefNo,
		Time: t.Supplied.Time, Amount: t.Supplied.Amount,
		Tried: tried, Provider: p.Name, Hotline: p.Hotline,
	})
	if err != nil {
		// The templates ran at load; no packet beats half a packet.
		s.log.Error("escalation packet failed", "target", t.Target, "lang", lang, "err", err)
		return ""
	}
	return out
}
