// Package channel holds what every merchant channel (Telegram, the web chat,
// later WeChat) needs besides its own protocol: the engine interface a
// channel calls, a keyed dispatcher that answers one conversation in order
// and different conversations in parallel, delivery dedup that fails open,
// and the screenshot-to-OCR intake. A channel package adapts only its
// protocol to these.
package channel

import (
	"context"

	"github.com/posbot/posbot/bot"
)

// Handler answers one merchant message. *bot.Engine implements it, and so do
// the decorators around it (handoff.Gate, the metrics wrapper).
type Handler interface {
	Handle(ctx context.Context, m bot.Message) (bot.Reply, error)
}

// Engine is a Handler that also takes the merchant's verdict on an answer
// (解决了 / 没解决) and forgets a conversation (/reset), as chat channels
// with buttons and commands need.
type Engine interface {
	Handler
	Feedback(ctx context.Context, conversationID string, solved bool) (bot.Reply, error)
	Reset(ctx context.Context, conversationID string) error
}

var _ Engine = (*bot.Engine)(nil)
