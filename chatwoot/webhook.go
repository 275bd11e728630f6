package chatwoot

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/posbot/posbot/channel"
)

// Chatwoot's webhook signature headers (Chatwoot 4.13 and later for Agent Bots).
const (
	HeaderSignature = "X-Chatwoot-Signature"
	HeaderTimestamp = "X-Chatwoot-Timestamp"
)

// SecretPathValue is the path wildcard that carries the webhook secret for
// a Chatwoot older than 4.13, which signs no Agent Bot webhook: mount
// Handler at "POST /chatwoot/webhook/{secret}" as well.
const SecretPathValue = "secret"

// Sign returns the X-Chatwoot-Signature Chatwoot sends with body at
// timestamp ts (Unix seconds), keyed with secret.
func Sign(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Handler returns the webhook handler; mount it at the Agent Bot's webhook
// URL, POST /chatwoot/webhook, and at POST /chatwoot/webhook/{secret} for
// a Chatwoot that does not sign.
//
// A webhook passes when its path carries the secret, or when its
// X-Chatwoot-Signature is good (compared in constant time) and its
// X-Chatwoot-Timestamp is within MaxSkew of the clock; otherwise it gets
// 401 and nothing of it is processed. A body over MaxBodyBytes gets 413,
// one that is not JSON 400. A contact's message is queued for its
// conversation, once per message id, and the webhook answered 200 at
// once: Chatwoot waits 5 s and, when a bot's webhook fails, hands the
// conversation to its agents. When the queue stays full the answer is 429
// (Chatwoot tries again); once shutting down 503 (Chatwoot hands the
// conversation to its agents).
func (a *Adapter) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.cfg.MaxBodyBytes))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				a.refuse(w, r, http.StatusRequestEntityTooLarge, "body too large")
				return
			}
			a.refuse(w, r, http.StatusBadRequest, "body not read")
			return
		}
		if why, ok := a.authentic(r, body); !ok {
			a.refuse(w, r, http.StatusUnauthorized, why)
			return
		}
		var ev event
		if err := json.Unmarshal(body, &ev); err != nil {
			a.refuse(w, r, http.StatusBadRequest, "not JSON")
			return
		}
		status := a.accept(r.Context(), ev)
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "3")
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, "{}")
	})
}

// authentic checks the webhook's secret path segment, else its signature
// and timestamp. why says what failed, for the log.
func (a *Adapter) authentic(r *http.Request, body []byte) (why string, ok bool) {
	if s := r.PathValue(SecretPathValue); s != "" {
		// Compared as digests: equal length, constant time, length not told.
		got, want := sha256.Sum256([]byte(s)), sha256.Sum256([]byte(a.cfg.WebhookSecret))
		if hmac.Equal(got[:], want[:]) {
			return "", true
		}
		return "wrong secret in the URL", false
	}
	sig, ts := r.Header.Get(HeaderSignature), r.Header.Get(HeaderTimestamp)
	if sig == "" || ts == "" {
		return "unsigned (set the Agent Bot's secret, or put it in the URL for a Chatwoot before 4.13)", false
	}
	if !hmac.Equal([]byte(sig), []byte(Sign(a.cfg.WebhookSecret, ts, body))) {
		return "bad signature", false
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "bad timestamp", false
	}
	if d := a.now().Sub(time.Unix(sec, 0)); d > a.cfg.MaxSkew || d < -a.cfg.MaxSkew {
		return "stale timestamp", false
	}
	return "", true
}

func (a *Adapter) refuse(w http.ResponseWriter, r *http.Request, status int, why string) {
	a.log.WarnContext(r.Context(), "chatwoot webhook refused", "status", status, "reason", why, "remote_addr", r.RemoteAddr)
	http.Error(w, http.StatusText(status), status)
}

// submitWait bounds how long a webhook waits for room in a full queue:
// Chatwoot gives up after 5 s.
const submitWait = 2 * time.Second

// accept queues what the event asks for and returns the status to answer.
func (a *Adapter) accept(ctx context.Context, ev event) int {
	switch ev.Event {
	case "message_created":
		return a.acceptMessage(ctx, ev)
	case "conversation_status_changed", "conversation_opened", "conversation_resolved":
		return a.acceptStatus(ctx, ev)
	}
	a.log.DebugContext(ctx, "chatwoot event ignored", "event", ev.Event)
	return http.StatusOK
}

func (a *Adapter) acceptMessage(ctx context.Context, ev event) int {
	in, ok := a.incoming(ctx, ev)
	if !ok {
		return http.StatusOK
	}
	key := fmt.Sprintf("chatwoot:%d:msg:%d", a.cfg.AccountID, in.msgID)
	log := a.log.With("conversation_id", in.conversationID(a.cfg.AccountID), "message_id", in.msgID)
	if !channel.FirstSeen(ctx, a.dedup, key, log) {
		return http.StatusOK
	}
	return a.submit(ctx, in.conv, key, job{Kind: jobMessage, MsgID: in.msgID, Conv: in.conv, Status: in.status,
		Text: in.text, Image: in.image, Other: in.other})
}

func (a *Adapter) acceptStatus(ctx context.Context, ev event) int {
	if ev.AccountID != 0 && ev.AccountID != a.cfg.AccountID {
		a.log.WarnContext(ctx, "chatwoot event of another account ignored", "account_id", ev.AccountID)
		return http.StatusOK
	}
	if ev.ID <= 0 || ev.Status == "" {
		a.log.WarnContext(ctx, "chatwoot conversation event without id or status ignored", "event", ev.Event)
		return http.StatusOK
	}
	conv, status := ev.ID, ev.Status
	return a.submit(ctx, conv, "", job{Kind: jobStatus, Conv: conv, Status: status})
}

// job is an accepted webhook as its conversation's inbox keeps it.
type job struct {
	Kind   string      `json:"kind"`
	MsgID  int64       `json:"msg_id,omitempty"`
	Conv   int64       `json:"conv"`
	Status string      `json:"status,omitempty"`
	Text   string      `json:"text,omitempty"`
	Image  *attachment `json:"image,omitempty"`
	Other  bool        `json:"other,omitempty"`
}

// Kinds of job.
const (
	jobMessage = "message"
	jobStatus  = "status"
)

// process handles one job from a conversation's inbox.
func (a *Adapter) process(ctx context.Context, _ string, payload []byte) {
	var j job
	if err := json.Unmarshal(payload, &j); err != nil {
		a.log.ErrorContext(ctx, "chatwoot job unreadable; dropped", "err", err)
		return
	}
	switch j.Kind {
	case jobMessage:
		a.handle(ctx, incoming{msgID: j.MsgID, conv: j.Conv, status: j.Status, text: j.Text, image: j.Image, other: j.Other})
	case jobStatus:
		a.statusChanged(ctx, j.Conv, j.Status)
	}
}

// submit puts j in conversation conv's inbox; a job that cannot be queued
// forgets its dedup key, so Chatwoot's retry is not dropped.
func (a *Adapter) submit(ctx context.Context, conv int64, key string, j job) int {
	payload, err := json.Marshal(j)
	if err != nil {
		a.log.ErrorContext(ctx, "chatwoot job not encoded", "err", err)
		return http.StatusInternalServerError
	}
	sctx, cancel := context.WithTimeout(ctx, submitWait)
	defer cancel()
	err = a.inbox.Put(sctx, fmt.Sprintf("%s:%d:%d", Channel, a.cfg.AccountID, conv), payload)
	if err == nil {
		return http.StatusOK
	}
	if key != "" {
		channel.Forget(context.WithoutCancel(ctx), a.dedup, key, a.log)
	}
	if errors.Is(err, channel.ErrStopped) {
		a.log.WarnContext(ctx, "shutting down: webhook refused; Chatwoot hands the conversation to its agents", "chatwoot_conversation", conv)
		return http.StatusServiceUnavailable
	}
	a.log.WarnContext(ctx, "queue full: webhook refused; Chatwoot tries again", "chatwoot_conversation", conv)
	return http.StatusTooManyRequests
}

// event is a webhook's body, reduced to what posbot reads. A message event
// is the message's webhook data (id, content, message_type, private,
// sender, conversation, account, attachments); a conversation event is the
// conversation's (id, status, account_id in some versions).
type event struct {
	Event        string       `json:"event"`
	ID           int64        `json:"id"`
	Content      string       `json:"content"`
	MessageType  messageType  `json:"message_type"`
	Private      bool         `json:"private"`
	Sender       *party       `json:"sender"`
	Conversation *convData    `json:"conversation"`
	Account      *party       `json:"account"`
	AccountID    int64        `json:"account_id"`
	Status       string       `json:"status"`
	Attachments  []attachment `json:"attachments"`
}

type party struct {
	ID   int64  `json:"id"`
	Type string `json:"type"` // "contact", "user" (an agent), "agent_bot"
}

type convData struct {
	ID     int64  `json:"id"` // the display id, the one in API paths
	Status string `json:"status"`
}

type attachment struct {
	FileType string `json:"file_type"` // "image", "audio", "video", "file", "location", …
	DataURL  string `json:"data_url"`
	FileSize int64  `json:"file_size"`
}

// messageType is Chatwoot's message_type: a name in webhook data, a number
// in the realtime data some versions nest in it.
type messageType string

func (t *messageType) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*t = messageType(s)
		return nil
	}
	var n int
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("message_type: %s", b)
	}
	names := []messageType{"incoming", "outgoing", "activity", "template"}
	if n >= 0 && n < len(names) {
		*t = names[n]
	}
	return nil
}

// incoming is a contact's message as the adapter handles it.
type incoming struct {
	msgID  int64
	conv   int64  // display id
	status string // the conversation's status when the message was written
	text   string
	image  *attachment // the first image, if any
	other  bool        // attachments other than images
}

func (in incoming) conversationID(account int64) string { return conversationID(account, in.conv) }

// conversationID is the engine's conversation of a Chatwoot conversation.
func conversationID(account, conv int64) string {
	return fmt.Sprintf("%s:%d:%d", Channel, account, conv)
}

// incoming reads a message event; ok is false for anything but a public
// message a contact wrote: the bot's own messages, agents' messages and
// private notes, activity, other accounts. Those are Chatwoot's own to show.
func (a *Adapter) incoming(ctx context.Context, ev event) (incoming, bool) {
	switch {
	case ev.MessageType != "incoming" || ev.Private:
		a.log.DebugContext(ctx, "chatwoot message not from the contact ignored", "message_type", string(ev.MessageType), "private", ev.Private)
		return incoming{}, false
	case ev.Sender != nil && ev.Sender.Type != "" && ev.Sender.Type != "contact":
		return incoming{}, false
	case ev.Account != nil && ev.Account.ID != a.cfg.AccountID:
		a.log.WarnContext(ctx, "chatwoot message of another account ignored", "account_id", ev.Account.ID)
		return incoming{}, false
	case ev.Conversation == nil || ev.Conversation.ID <= 0 || ev.ID <= 0:
		a.log.WarnContext(ctx, "chatwoot message without conversation or id ignored")
		return incoming{}, false
	}
	in := incoming{msgID: ev.ID, conv: ev.Conversation.ID, status: ev.Conversation.Status, text: ev.Content}
	for i := range ev.Attachments {
		at := ev.Attachments[i]
		switch {
		case at.FileType == "image" && in.image == nil:
			in.image = &at
		case at.FileType != "image":
			in.other = true
		}
	}
	return in, true
}
