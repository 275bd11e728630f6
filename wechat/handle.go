package wechat

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/channel"
)

// incoming is a callback reduced to what posbot uses; message.MixMessage
// does not leave the callback code.
type incoming struct {
	kind    kind
	openID  string // the merchant, as this account knows them
	msgID   int64  // 0 for events
	created int64
	event   string
	text    string // a text's content, or a voice message's recognition
	picURL  string
	mediaID string
}

type kind int

const (
	kindIgnored kind = iota // events posbot does not answer
	kindText
	kindVoice
	kindImage
	kindSubscribe
	kindOther // video, location, links…
)

func convert(m *message.MixMessage) incoming {
	in := incoming{openID: string(m.FromUserName), msgID: m.MsgID, created: m.CreateTime, event: string(m.Event)}
	switch m.MsgType {
	case message.MsgTypeText:
		in.kind, in.text = kindText, m.Content
	case message.MsgTypeVoice:
		in.kind, in.text = kindVoice, m.Recognition
	case message.MsgTypeImage:
		in.kind, in.picURL, in.mediaID = kindImage, m.PicURL, m.MediaID
	case message.MsgTypeEvent:
		if m.Event == message.EventSubscribe {
			in.kind = kindSubscribe
		}
	default:
		in.kind = kindOther
	}
	return in
}

// conversationID is the engine's conversation of a merchant: "wx:<openid>"
// (handoff names its channel "wechat" by the prefix).
func conversationID(openID string) string { return "wx:" + openID }

// dedupKey identifies a callback across WeChat's retries: the MsgId of a
// message, the sender, time and kind of an event (which has none).
func (a *Adapter) dedupKey(in incoming) string {
	if in.msgID != 0 {
		return "wx:" + a.cfg.AppID + ":msg:" + strconv.FormatInt(in.msgID, 10)
	}
	return fmt.Sprintf("wx:%s:ev:%s:%d:%s", a.cfg.AppID, in.openID, in.created, in.event)
}

// handle answers one callback on its merchant's worker: the callback takes
// the answer as its passive reply if it still waits and the answer is one
// message; otherwise it is pushed.
func (a *Adapter) handle(ctx context.Context, in incoming, ans *channel.Handover[[]string]) {
	start := a.now()
	parts := a.produce(ctx, in)
	passive := ans.Offer(parts, len(parts) <= 1)
	if !passive {
		a.push(ctx, in.openID, parts)
	}
	a.log.DebugContext(ctx, "callback handled", "open_id", in.openID, "kind", int(in.kind), "parts", len(parts),
		"passive", passive, "latency_ms", a.now().Sub(start).Milliseconds())
}

// produce is what the merchant is to be sent, as messages within
// MaxTextBytes; none for a silent reply or an ignored event.
func (a *Adapter) produce(ctx context.Context, in incoming) []string {
	switch in.kind {
	case kindText:
		return a.answer(ctx, in.openID, bot.Message{Text: in.text})
	case kindVoice:
		if strings.TrimSpace(in.text) == "" {
			return []string{textVoiceUnrecognised}
		}
		return a.answer(ctx, in.openID, bot.Message{Text: in.text})
	case kindImage:
		sc := a.screens.Read(ctx, 0, "", func(ctx context.Context, max int64) ([]byte, error) {
			return a.image(ctx, in, max)
		})
		var parts []string
		if sc.Notice != "" {
			parts = split(sc.Notice)
		}
		if sc.Answer {
			parts = append(parts, a.answer(ctx, in.openID, sc.Message)...)
		}
		return parts
	case kindSubscribe:
		return split(textWelcome)
	case kindOther:
		return split(textUnsupported)
	}
	return nil
}

// answer hands a message to the engine (handoff.Gate) and returns the
// reply's text; an engine failure becomes an apology.
func (a *Adapter) answer(ctx context.Context, openID string, m bot.Message) []string {
	m.ConversationID, m.Channel = conversationID(openID), "wechat"
	r, err := a.engine.Handle(ctx, m)
	if err != nil {
		a.log.ErrorContext(ctx, "no answer", "open_id", openID, "err", err)
		return split(textFailed)
	}
	if r.Silent { // a person owns the conversation: the message went to them
		return nil
	}
	return split(withOptions(r))
}

// withOptions is the reply's text with the options of a clarifying
// question the text does not list already: WeChat has no buttons, and the
// engine reads a bare number as the option's pick.
func withOptions(r bot.Reply) string {
	s := r.Answer
	for i, o := range r.Options {
		if line := fmt.Sprintf("%d. %s", i+1, o); !strings.Contains(s, line) {
			s += "\n" + line
		}
	}
	return s
}

func split(text string) []string { return channel.Split(text, MaxTextBytes, nil) }
