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
	"errors"
	"unicode"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/understand"
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

// Lang is the language a channel answers text in when it speaks in its own
// words: "en" when the merchant wrote it in English (understand.English,
// as the engine reads it), else "zh", also for no text at all.
func Lang(text string) string {
	if understand.English(text) {
		return "en"
	}
	return "zh"
}

// Knowledge returns base, or the embedded knowledge base when base is nil:
// where a channel finds what it says in its own words (ChannelTexts). It
// returns an error when the embedded base does not load, or base has no
// channel texts (a Base built with knowledge.New).
func Knowledge(base *knowledge.Base) (*knowledge.Base, error) {
	if base == nil {
		var err error
		if base, err = knowledge.Embedded(); err != nil {
			return nil, err
		}
	}
	if base.ChannelTexts() == nil {
		return nil, errors.New("the knowledge base has no channel texts (data/dialogue/channels.yaml)")
	}
	return base, nil
}

// AnswerLang is the language a reply is written in: "en" when it holds
// more Latin letters than Chinese characters (an English answer names its
// Chinese sources, and 商户号 beside merchant ID), else "zh".
func AnswerLang(answer string) string {
	han, latin := 0, 0
	for _, r := range answer {
		switch {
		case unicode.Is(unicode.Han, r):
			han++
		case 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z':
			latin++
		}
	}
	if latin > han {
		return "en"
	}
	return "zh"
}
