// Package channel holds what every merchant channel (Telegram, WeChat, the
// bridge, the web chat) needs besides its own protocol: the engine
// interface a channel calls, the inbox that answers one conversation's
// messages in order and different conversations in parallel, drains at
// shutdown and, on a shared store, hands a stopped replica's messages to
// another; delivery dedup that fails open; the screenshot-to-OCR intake;
// the web feed; splitting long replies. A channel package adapts only its
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
