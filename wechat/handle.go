package wechat

import (
	"context"
	"encoding/json"
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

// queued is an incoming message as it waits in the inbox.
type queued struct {
	Kind    kind   `json:"kind"`
	OpenID  string `json:"open_id"`
	MsgID   int64  `json:"msg_id,omitempty"`
	Created int64  `json:"created,omitempty"`
	Event   string `json:"event,omitempty"`
	Text    string `json:"text,omitempty"`
	PicURL  string `json:"pic_url,omitempty"`
	MediaID string `json:"media_id,omitempty"`
}

func (in incoming) encode() []byte {
	b, _ := json.Marshal(queued{in.kind, in.openID, in.msgID, in.created, in.event, in.text, in.picURL, in.mediaID})
	return b
}

func decode(b []byte) (incoming, error) {
	var q queued
	err := json.Unmarshal(b, &q)
	return incoming{kind: q.Kind, openID: q.OpenID, msgID: q.MsgID, created: q.Created, event: q.Event,
		text: q.Text, picURL: q.PicURL, mediaID: q.MediaID}, err
}

// process answers one message from the inbox: in the response of the
// callback that waits for it here, if any and in time, else pushed.
func (a *Adapter) process(ctx context.Context, _ string, payload []byte) {
	in, err := decode(payload)
	if err != nil {
		a.log.ErrorContext(ctx, "queued message unreadable", "err", err)
		return
	}
	var ans *channel.Handover[[]string]
	if v, ok := a.waiting.Load(a.dedupKey(in)); ok {
		ans = v.(*channel.Handover[[]string])
	}
	a.handle(ctx, in, ans)
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
// the answer as its passive reply if it still waits (ans, nil when it
// waits on no request here) and the answer is one message; otherwise it is
// pushed.
func (a *Adapter) handle(ctx context.Context, in incoming, ans *channel.Handover[[]string]) {
	start := a.now()
	parts := a.produce(ctx, in)
	passive := ans != nil && ans.Offer(parts, len(parts) <= 1)
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
		if strings.TrimSpace(in.text) == "" { // no words to tell the language by
			return split(a.text("zh", "voice_unrecognised"))
		}
		return a.answer(ctx, in.openID, bot.Message{Text: in.text})
	case kindImage:
		sc := a.screens.Read(ctx, 0, "", func(ctx context.Context, max int64) ([]byte, error) {
			ctx, cancel := context.WithTimeout(ctx, a.cfg.DownloadTimeout)
			defer cancel()
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
	case kindSubscribe: // nothing written yet to tell the language by
		return split(a.text("zh", "welcome"))
	case kindOther:
		return split(a.text("zh", "unsupported"))
	}
	return nil
}

// answer hands a message to the engine (handoff.Gate) and returns the
// reply's text; an engine failure becomes an apology in the message's
// language.
func (a *Adapter) answer(ctx context.Context, openID string, m bot.Message) []string {
	m.ConversationID, m.Channel = conversationID(openID), "wechat"
	r, err := a.engine.Handle(ctx, m)
	if err != nil {
		a.log.ErrorContext(ctx, "no answer", "open_id", openID, "err", err)
		return split(a.text(channel.Lang(m.Text), "failed"))
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
