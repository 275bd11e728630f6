package bridge

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/channel"
)

// Incoming is the body of POST /v1/bridge/messages.
type Incoming struct {
	// ConversationID is the bridge's id of the conversation: 1–64 letters,
	// digits, '.', '_', ':' or '-'. Required.
	ConversationID string `json:"conversation_id"`
	// MessageID, if given, makes a retried message be refused (409) rather
	// than answered twice.
	MessageID string `json:"message_id,omitempty"`
	// Text is what the merchant wrote, or an image's caption.
	Text string `json:"text,omitempty"`
	// Image is a screenshot, base64 (standard encoding); it is read by OCR.
	Image string `json:"image,omitempty"`
}

// Answer is the response to a request: 200 with Messages (what to show the
// merchant, in order; none when a person owns the conversation) and the
// engine's Reply, or 202 with Status "pending" when the answer will go to
// the callback URL.
type Answer struct {
	Status   string     `json:"status"` // "answered" or "pending"
	Messages []string   `json:"messages"`
	Reply    *bot.Reply `json:"reply,omitempty"`
}

// result is what a job produces.
type result struct {
	messages []string
	reply    *bot.Reply
}

// Handler returns the handler of POST /v1/bridge/messages. It answers 413
// for a body over MaxBodyBytes, 401 for a missing or bad signature or a
// timestamp further than MaxSkew from the clock, 409 for a request seen
// before (the same signature, or the same message_id), 400 for a body that
// is not a message, 200 with the answer, 202 when the answer will go to
// the callback URL, 504 when it was not ready within the request's own
// deadline and there is no callback URL, and 503 when shutting down.
func (b *Bridge) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, b.cfg.MaxBodyBytes))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				b.refuse(w, r, http.StatusRequestEntityTooLarge, "body too large")
				return
			}
			b.refuse(w, r, http.StatusBadRequest, "body not read")
			return
		}
		sig := r.Header.Get(HeaderSignature)
		if why, ok := b.verify(r.Header.Get(HeaderTimestamp), sig, body); !ok {
			b.refuse(w, r, http.StatusUnauthorized, why)
			return
		}
		if !channel.FirstSeen(ctx, b.dedup, "bridge:sig:"+sig, b.log) {
			b.refuse(w, r, http.StatusConflict, "replayed request")
			return
		}
		var in Incoming
		if err := json.Unmarshal(body, &in); err != nil || !conversationIDs.MatchString(in.ConversationID) ||
			(strings.TrimSpace(in.Text) == "" && in.Image == "") || utf8.RuneCountInString(in.Text) > maxTextRunes {
			b.refuse(w, r, http.StatusBadRequest, "not a message")
			return
		}
		if in.Image != "" {
			if _, err = base64.StdEncoding.DecodeString(in.Image); err != nil {
				b.refuse(w, r, http.StatusBadRequest, "image is not base64")
				return
			}
		}
		conv := "bridge:" + in.ConversationID
		msgKey := "bridge:msg:" + conv + ":" + in.MessageID
		if in.MessageID != "" && !channel.FirstSeen(ctx, b.dedup, msgKey, b.log) {
			b.refuse(w, r, http.StatusConflict, "message_id seen before")
			return
		}
		// The answer is offered to this request if it is produced here
		// while the request waits; otherwise it goes to the callback URL.
		h := channel.NewHandover[result]()
		q := queued{Request: rand.Text(), In: in}
		b.waiting.Store(q.Request, h)
		defer b.waiting.Delete(q.Request)
		payload, _ := json.Marshal(q)
		if err := b.inbox.PutWait(ctx, conv, payload); err != nil {
			b.log.WarnContext(ctx, "bridge message not queued", "conversation_id", in.ConversationID, "err", err)
			if in.MessageID != "" {
				channel.Forget(context.WithoutCancel(ctx), b.dedup, msgKey, b.log)
			}
			http.Error(w, "busy, retry later", http.StatusServiceUnavailable)
			return
		}
		wait := b.cfg.Wait
		if b.cfg.CallbackURL == "" {
			wait = 1<<62 - 1 // until the request's own deadline
		}
		res, ok := h.Wait(ctx, wait)
		switch {
		case ok:
			writeJSON(w, http.StatusOK, Answer{Status: "answered", Messages: res.messages, Reply: res.reply})
		case b.cfg.CallbackURL != "":
			writeJSON(w, http.StatusAccepted, Answer{Status: "pending", Messages: []string{}})
		default:
			http.Error(w, "the answer was not ready in time", http.StatusGatewayTimeout)
		}
	})
}

// queued is a message as it waits in the inbox, with the id of the
// request that waits for its answer.
type queued struct {
	Request string   `json:"request"`
	In      Incoming `json:"in"`
}

// process answers one message from the inbox: in the response of the
// request that waits for it here, if any and still waiting, else to the
// callback URL.
func (b *Bridge) process(ctx context.Context, conv string, payload []byte) {
	var q queued
	if err := json.Unmarshal(payload, &q); err != nil {
		b.log.ErrorContext(ctx, "queued message unreadable", "conversation_id", conv, "err", err)
		return
	}
	var img []byte
	if q.In.Image != "" {
		img, _ = base64.StdEncoding.DecodeString(q.In.Image) // checked when it was accepted
	}
	res := b.produce(ctx, conv, q.In.Text, img)
	if v, ok := b.waiting.Load(q.Request); ok && v.(*channel.Handover[result]).Offer(res, true) {
		return
	}
	b.late(ctx, q.In, res)
}

// late posts an answer that came after its request stopped waiting.
func (b *Bridge) late(ctx context.Context, in Incoming, res result) {
	if b.cfg.CallbackURL == "" {
		b.log.WarnContext(ctx, "answer ready after its request gave up; no callback URL to post it to", "conversation_id", in.ConversationID)
		return
	}
	out := Outgoing{ConversationID: in.ConversationID, MessageID: in.MessageID, Kind: "reply", Messages: res.messages, Reply: res.reply}
	if err := b.post(ctx, out); err != nil {
		b.log.ErrorContext(ctx, "late answer not delivered", "conversation_id", in.ConversationID, "err", err)
	}
}

// produce reads the screenshot if any and asks the engine.
func (b *Bridge) produce(ctx context.Context, conv, text string, img []byte) result {
	res := result{messages: []string{}}
	m := bot.Message{Text: text}
	if img != nil {
		sc := b.screens.Read(ctx, int64(len(img)), text, func(context.Context, int64) ([]byte, error) { return img, nil })
		if sc.Notice != "" {
			res.messages = append(res.messages, sc.Notice)
		}
		if !sc.Answer {
			return res
		}
		m = sc.Message
	}
	m.ConversationID, m.Channel = conv, "bridge"
	r, err := b.engine.Handle(ctx, m)
	if err != nil {
		b.log.ErrorContext(ctx, "no answer", "conversation_id", conv, "err", err)
		res.messages = append(res.messages, b.text(channel.Lang(m.Text), "failed"))
		return res
	}
	res.reply = &r
	if !r.Silent {
		res.messages = append(res.messages, r.Answer)
	}
	return res
}

func (b *Bridge) refuse(w http.ResponseWriter, r *http.Request, status int, why string) {
	b.log.WarnContext(r.Context(), "bridge request refused", "status", status, "reason", why, "remote_addr", r.RemoteAddr)
	writeJSON(w, status, map[string]string{"error": why})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// conversationIDs are 1–64 letters, digits, '.', '_', ':' or '-', as on
// POST /v1/messages.
var conversationIDs = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)
