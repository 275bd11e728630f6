package redact

import (
	"testing"

	"github.com/posbot/posbot/redact/redacttest"
)

// TestGenerated runs 2,000 generated messages through Redact and counts
// what survives: an 8-digit window of a card number, or a secret value.
func TestGenerated(t *testing.T) {
	t.Parallel()
	msgs := redacttest.Generate(2026, 2000)
	cards, secrets, leaks := 0, 0, 0
	for _, g := range msgs {
		out := Redact(g.Text).Text
		if g.Card != "" {
			cards++
		}
		secrets += len(g.Secrets)
		if w := g.Leak(out); w != "" {
			leaks++
			t.Errorf("%s survives in %q -> %q", w, g.Text, out)
		}
	}
	t.Logf("%d messages, %d card numbers, %d secrets, %d leaks", len(msgs), cards, secrets, leaks)
}
