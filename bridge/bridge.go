// Package bridge is posbot's signed HTTP channel for everything else: a
// third-party bridge (a personal-WeChat bridge, a web widget) posts a
// merchant's message, with an optional screenshot, to POST
// /v1/bridge/messages, signed with HMAC-SHA256 over the timestamp and the
// body (POSBOT_BRIDGE_SECRET). The answer comes in the response when it is
// ready within Wait, else to the bridge's callback URL (signed the same
// way) when it is. Bridge is also the handoff.Sender of bridged
// conversations: agents' messages go to the callback URL.
//
// Signature: X-Posbot-Timestamp is the Unix time in seconds and
// X-Posbot-Signature is "sha256=" and the hex HMAC-SHA256, keyed with the
// secret, of the timestamp, a ".", and the raw body.
package bridge

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/dedup"
	"github.com/posbot/posbot/handoff"
	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/ocr"
)

// Defaults used for zero Config fields.
const (
	// DefaultWait is how long a request waits for its answer before it is
	// answered 202 and the answer goes to the callback URL.
	DefaultWait = 10 * time.Second
	// DefaultMaxSkew is how far a request's timestamp may be from the
	// clock; older (or later) requests are refused as replays.
	DefaultMaxSkew = 5 * time.Minute
	// DefaultMaxBodyBytes bounds a request: a screenshot in base64 and the text.
	DefaultMaxBodyBytes = 8 << 20
	// maxTextRunes bounds a message's text.
	maxTextRunes = 2000
	// callbackTimeout bounds one post to the callback URL.
	callbackTimeout = 10 * time.Second
)

// Signature headers.
const (
	HeaderTimestamp = "X-Posbot-Timestamp"
	HeaderSignature = "X-Posbot-Signature"
)

// Config holds the bridge's settings. Secret is required.
type Config struct {
	// Secret keys the HMAC of requests and callbacks; never logged.
	Secret string
	// CallbackURL receives answers slower than Wait and agents' messages;
	// "" means none: a request then waits for its answer as long as its
	// own deadline allows.
	CallbackURL string
	// Wait is how long a request waits when there is a CallbackURL; 0
	// means DefaultWait.
	Wait time.Duration
	// MaxSkew bounds a timestamp's distance from the clock; 0 means
	// DefaultMaxSkew.
	MaxSkew time.Duration
	// MaxBodyBytes bounds a request; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Workers, Timeout and ShutdownGrace configure the inbox
	// (channel.InboxConfig: ShutdownGrace is its Drain); 0 means its
	// defaults.
	Workers                int
	Timeout, ShutdownGrace time.Duration
}

// Deps are the bridge's collaborators; all are optional.
type Deps struct {
	// Dedup refuses a replayed request and a message_id seen before; nil
	// means in memory (one replica).
	Dedup channel.Dedup
	// OCR reads screenshots.
	OCR    ocr.Reader
	Logger *slog.Logger
	// HTTPClient posts to the callback URL; nil means one with a 10 s timeout.
	HTTPClient *http.Client
	Now        func() time.Time
	// Inbox keeps the accepted messages until they are answered; nil
	// means in memory. A shared one (redisstore.Inbox) lets another
	// replica answer, to the callback URL, what this one accepted if it
	// stops, and keeps each conversation's order across replicas; it is
	// used only with a CallbackURL, the only way an answer made on another
	// replica reaches the bridge.
	Inbox channel.InboxStore
	// Base holds what the bridge says in its own words (channels.yaml's
	// bridge texts); nil means the embedded knowledge base.
	Base *knowledge.Base
}

// Bridge is the signed bridge channel. Build it with New, mount Handler
// at POST /v1/bridge/messages and call Run. It is safe for concurrent use.
type Bridge struct {
	cfg     Config
	engine  channel.Engine
	dedup   channel.Dedup
	screens *channel.Screens
	log     *slog.Logger
	http    *http.Client
	inbox   *channel.Inbox
	now     func() time.Time
	texts   knowledge.Texts
	waiting sync.Map // request id → *channel.Handover[result] of a request waiting here
}

var _ handoff.Sender = (*Bridge)(nil)

// New returns a Bridge answering with e (handoff.Gate). It returns an
// error without a secret or with a callback URL that is not http(s).
func New(cfg Config, e channel.Engine, d Deps) (*Bridge, error) {
	switch {
	case e == nil:
		return nil, errors.New("bridge: nil engine")
	case len(cfg.Secret) < 16:
		return nil, errors.New("bridge: the secret must be at least 16 characters")
	case cfg.CallbackURL != "" && !strings.HasPrefix(cfg.CallbackURL, "https://") && !strings.HasPrefix(cfg.CallbackURL, "http://"):
		return nil, errors.New("bridge: the callback URL is not http(s)")
	}
	if cfg.Wait <= 0 {
		cfg.Wait = DefaultWait
	}
	if cfg.MaxSkew <= 0 {
		cfg.MaxSkew = DefaultMaxSkew
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	base, err := channel.Knowledge(d.Base)
	if err != nil {
		return nil, fmt.Errorf("bridge: %w", err)
	}
	b := &Bridge{cfg: cfg, engine: e, dedup: d.Dedup, log: d.Logger, http: d.HTTPClient, now: d.Now,
		texts: base.ChannelTexts().For("bridge")}
	if b.dedup == nil {
		b.dedup = &dedup.Memory{}
	}
	if b.log == nil {
		b.log = slog.Default()
	}
	b.log = b.log.With("channel", "bridge")
	if b.http == nil {
		b.http = &http.Client{Timeout: callbackTimeout}
	}
	if b.now == nil {
		b.now = time.Now
	}
	b.screens = &channel.Screens{OCR: d.OCR, MaxBytes: cfg.MaxBodyBytes, Logger: b.log, Texts: base.ChannelTexts().For("screens")}
	store := d.Inbox
	if cfg.CallbackURL == "" {
		store = nil // an answer made elsewhere could not reach the request waiting here
	}
	b.inbox = channel.NewInbox(channel.InboxConfig{Store: store, Workers: cfg.Workers, Timeout: cfg.Timeout,
		Drain: cfg.ShutdownGrace, Logger: b.log}, b.process)
	return b, nil
}

// Run answers accepted requests until ctx is done, then drains
// (ShutdownGrace, see channel.InboxConfig.Drain) and returns; requests
// that arrive after ctx is done get 503.
func (b *Bridge) Run(ctx context.Context) error {
	b.inbox.Run(ctx)
	return nil
}

// Sign returns the X-Posbot-Signature of body sent at timestamp ts (Unix
// seconds) with secret, for requests and callbacks alike.
func Sign(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// verify checks a request's signature (in constant time) and timestamp.
func (b *Bridge) verify(ts, sig string, body []byte) (string, bool) {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "no timestamp", false
	}
	want := Sign(b.cfg.Secret, ts, body)
	if !hmac.Equal([]byte(sig), []byte(want)) {
		return "bad signature", false
	}
	if d := b.now().Sub(time.Unix(sec, 0)); d > b.cfg.MaxSkew || d < -b.cfg.MaxSkew {
		return "stale timestamp", false
	}
	return "", true
}

// Outgoing is what posbot posts to the callback URL: an answer that came
// after the request was answered 202 (Kind "reply"), or an agent's message
// or a status of the handoff (Kind "agent", "taken", "resumed", "closed").
type Outgoing struct {
	ConversationID string `json:"conversation_id"`
	MessageID      string `json:"message_id,omitempty"`
	Kind           string `json:"kind"`
	// Messages are the texts to show the merchant, in order.
	Messages []string   `json:"messages"`
	Reply    *bot.Reply `json:"reply,omitempty"`
	TicketID int64      `json:"ticket_id,omitempty"`
}

// Send implements handoff.Sender: the notice goes to the callback URL.
func (b *Bridge) Send(ctx context.Context, conversationID string, n handoff.Notice) error {
	id, ok := strings.CutPrefix(conversationID, "bridge:")
	if !ok {
		return fmt.Errorf("bridge: %q is not a bridged conversation", conversationID)
	}
	return b.post(ctx, Outgoing{ConversationID: id, Kind: n.Kind, Messages: []string{n.Text}, TicketID: n.TicketID})
}

// post signs out and posts it to the callback URL.
func (b *Bridge) post(ctx context.Context, out Outgoing) error {
	if b.cfg.CallbackURL == "" {
		return errors.New("bridge: no callback URL (POSBOT_BRIDGE_CALLBACK_URL)")
	}
	body, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("bridge callback: %w", err)
	}
	ctx, cancel := channel.Outlive(ctx, callbackTimeout) // a late answer goes out after a slow step too
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.cfg.CallbackURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("bridge callback: %w", err)
	}
	ts := strconv.FormatInt(b.now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(b.cfg.Secret, ts, body))
	resp, err := b.http.Do(req)
	if err != nil {
		return fmt.Errorf("bridge callback: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("bridge callback: status %d", resp.StatusCode)
	}
	return nil
}
