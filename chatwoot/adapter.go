// Package chatwoot is posbot's channel for Chatwoot, the open-source agents'
// inbox, where posbot is an Agent Bot connected to an inbox (an API inbox,
// or any other). Chatwoot posts the bot's events to posbot's webhook
// (Handler); posbot answers the contact's messages through Chatwoot's REST
// API while the conversation is pending, the status Chatwoot gives the
// conversations of an inbox with a bot. To hand a conversation to a person
// posbot tells the merchant, opens the conversation (toggle_status), which
// puts it in the agents' queue, and leaves a private note with the agents'
// view of the case. While the conversation is open or snoozed the bot says
// nothing: agents write in Chatwoot, which delivers their messages itself.
// When Chatwoot resolves the conversation, or it is pending again, the bot
// answers again (Chatwoot turns a resolved conversation with a bot back to
// pending when the contact writes).
//
// Chatwoot decides who answers, so the engine given to New is the engine
// itself, not handoff.Gate; posbot's tickets follow Chatwoot through
// Handoffs (handoff.Service's Record, Hold and Handback), so the agent API
// and the desks see these handoffs too.
//
// Webhooks are verified as Chatwoot allows: from Chatwoot 4.13 an Agent
// Bot's webhooks carry X-Chatwoot-Signature, "sha256=" and the hex
// HMAC-SHA256 of X-Chatwoot-Timestamp, "." and the body, keyed with the
// bot's secret; older versions sign nothing, and the secret is then put in
// the webhook URL's last path segment. A webhook that passes neither check
// is refused with 401 and nothing of it is processed.
package chatwoot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
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
	// DefaultMaxSkew is how far a signed webhook's timestamp may be from
	// the clock, as Chatwoot advises receivers.
	DefaultMaxSkew = 5 * time.Minute
	// DefaultMaxTextRunes cuts long answers into messages of at most this
	// many characters: what Facebook Messenger, WhatsApp, Telegram and the
	// web widget all take.
	DefaultMaxTextRunes = 2000
	// DefaultMaxBodyBytes bounds a webhook's body.
	DefaultMaxBodyBytes = 2 << 20
	// DefaultAPITimeout bounds one call to Chatwoot's API.
	DefaultAPITimeout = 15 * time.Second
	// MinSecretLen is the shortest webhook secret accepted.
	MinSecretLen = 16
)

// Config holds the adapter's settings. URL, Token, AccountID and
// WebhookSecret are required; every other zero field takes its default.
type Config struct {
	// URL is Chatwoot's base URL, e.g. https://chat.example.com.
	URL string
	// Token is the Agent Bot's access token (api_access_token); never logged.
	Token string
	// AccountID is the Chatwoot account the bot answers in.
	AccountID int64
	// WebhookSecret verifies webhooks: the bot's secret (Chatwoot 4.13 and
	// later sign with it), or, for an older Chatwoot, the secret put in the
	// webhook URL's path. At least MinSecretLen characters; never logged.
	WebhookSecret string

	// MaxSkew bounds a signed webhook's timestamp; 0 means DefaultMaxSkew.
	MaxSkew time.Duration
	// MaxTextRunes cuts long answers; 0 means DefaultMaxTextRunes.
	MaxTextRunes int
	// MaxBodyBytes bounds a webhook; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxImageBytes caps a screenshot; 0 means channel.DefaultMaxImageBytes.
	MaxImageBytes int64
	// Retries is how often a call to the API that failed on the way, or
	// met a 5xx or 429, is tried again; 0 means 2, a negative value never.
	Retries int
	// Workers, QueueSize, Timeout and ShutdownGrace configure the
	// inbox (channel.InboxConfig: ShutdownGrace is its Drain); 0 means its
	// defaults.
	Workers, QueueSize     int
	Timeout, ShutdownGrace time.Duration
}

// Handoffs keeps posbot's tickets in step with Chatwoot: a ticket is
// recorded when the bot hands a conversation over or escalates it, held
// when Chatwoot's agents have the conversation, and given back when they
// return it to the bot. *handoff.Service implements it.
type Handoffs interface {
	Record(ctx context.Context, conversationID, ch string, r bot.Reply, st bot.State) (handoff.Ticket, bool, error)
	Hold(ctx context.Context, conversationID, agent, via string) (handoff.Ticket, bool, error)
	Handback(ctx context.Context, conversationID, agent, via string) (handoff.Ticket, bool, error)
	// AgentView is the ticket as agents read it (the private note).
	AgentView(t handoff.Ticket) string
	// EscalatedText and ClosedText are what the handoff tells a merchant
	// when a person will also follow up a ticket, and when the agent
	// closed the case.
	EscalatedText(lang string, id int64) string
	ClosedText(lang string) string
}

var _ Handoffs = (*handoff.Service)(nil)

// Deps are the adapter's collaborators. Handoffs is required; with several
// replicas Dedup must be shared (Redis).
type Deps struct {
	Handoffs Handoffs
	// States reads a conversation's engine state for its ticket (the
	// summary, what the merchant supplied); *bot.Engine implements it. nil
	// leaves the ticket with the reply's facts alone.
	States handoff.States
	// Dedup drops a message delivered twice; nil means in memory.
	Dedup channel.Dedup
	// OCR reads screenshots; nil means images are answered with a request
	// to type the code.
	OCR ocr.Reader
	// Logger gets the adapter's logs; nil means slog.Default().
	Logger *slog.Logger
	// HTTPClient calls the API and downloads attachments; nil means one
	// with DefaultAPITimeout.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Inbox keeps accepted webhooks until they are answered; nil means in
	// memory. A shared one (redisstore.Inbox) answers each conversation in
	// order across replicas, and another replica answers what a stopped
	// one accepted.
	Inbox channel.InboxStore
	// Base holds what the adapter says in its own words (channels.yaml's
	// chatwoot texts); nil means the embedded knowledge base.
	Base *knowledge.Base
}

// Adapter is the Chatwoot channel. Build it with New, mount Handler at the
// webhook URL (POST), register it as the handoff Sender of channel
// "chatwoot", and call Run. It is safe for concurrent use.
type Adapter struct {
	cfg      Config
	engine   channel.Handler
	handoffs Handoffs
	states   handoff.States
	dedup    channel.Dedup
	screens  *channel.Screens
	log      *slog.Logger
	api      *client
	inbox    *channel.Inbox
	now      func() time.Time
	marks    handovers
	texts    knowledge.Texts
}

var _ handoff.Sender = (*Adapter)(nil)

// Channel is the channel name of Chatwoot's conversations (bot.Message,
// handoff tickets and Senders).
const Channel = "chatwoot"

// New returns an Adapter answering with e. It returns an error when a
// required setting is missing, the URL is not http(s) or the webhook
// secret is shorter than MinSecretLen.
func New(cfg Config, e channel.Handler, d Deps) (*Adapter, error) {
	u, err := url.Parse(cfg.URL)
	switch {
	case e == nil:
		return nil, errors.New("chatwoot: nil engine")
	case d.Handoffs == nil:
		return nil, errors.New("chatwoot: nil Handoffs")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return nil, errors.New("chatwoot: the URL is not an http(s) URL")
	case strings.TrimSpace(cfg.Token) == "":
		return nil, errors.New("chatwoot: the access token is required")
	case cfg.AccountID <= 0:
		return nil, errors.New("chatwoot: the account id must be a positive number")
	case len(cfg.WebhookSecret) < MinSecretLen:
		return nil, errors.New("chatwoot: the webhook secret must be at least 16 characters")
	}
	if cfg.MaxSkew <= 0 {
		cfg.MaxSkew = DefaultMaxSkew
	}
	if cfg.MaxTextRunes <= 0 {
		cfg.MaxTextRunes = DefaultMaxTextRunes
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	switch {
	case cfg.Retries == 0:
		cfg.Retries = 2
	case cfg.Retries < 0:
		cfg.Retries = 0
	}
	base, err := channel.Knowledge(d.Base)
	if err != nil {
		return nil, fmt.Errorf("chatwoot: %w", err)
	}
	a := &Adapter{cfg: cfg, engine: e, handoffs: d.Handoffs, states: d.States, dedup: d.Dedup, log: d.Logger, now: d.Now,
		texts: base.ChannelTexts().For(Channel)}
	if a.dedup == nil {
		a.dedup = &dedup.Memory{}
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	a.log = a.log.With("channel", Channel)
	if a.now == nil {
		a.now = time.Now
	}
	hc := d.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: DefaultAPITimeout}
	}
	a.api = &client{base: strings.TrimRight(cfg.URL, "/"), token: cfg.Token, account: cfg.AccountID, http: hc,
		retries: cfg.Retries, log: a.log}
	a.screens = &channel.Screens{OCR: d.OCR, MaxBytes: cfg.MaxImageBytes, Logger: a.log, Texts: base.ChannelTexts().For("screens")}
	a.inbox = channel.NewInbox(channel.InboxConfig{Store: d.Inbox, Workers: cfg.Workers, QueueSize: cfg.QueueSize,
		Timeout: cfg.Timeout, Drain: cfg.ShutdownGrace, Logger: a.log}, a.process)
	return a, nil
}

// Run answers the accepted webhooks until ctx is done, then finishes those
// already started (within ShutdownGrace) and returns.
func (a *Adapter) Run(ctx context.Context) error {
	a.log.Info("chatwoot agent bot ready", "account_id", a.cfg.AccountID)
	a.inbox.Run(ctx)
	return nil
}

// maxHandovers bounds the conversations whose last handover is remembered.
const maxHandovers = 10_000

// handovers remembers, per conversation, the first message id written
// after posbot's last handover took effect: a message before it carries
// the status the conversation had before, so its "pending" is stale. It
// is this replica's memory only (another replica answers such a message),
// bounded by maxHandovers, oldest forgotten first.
type handovers struct {
	mu    sync.Mutex
	after map[int64]int64 // conversation → message id
	order []int64
}

func (h *handovers) set(conv, msgID int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.after == nil {
		h.after = map[int64]int64{}
	}
	if _, ok := h.after[conv]; !ok {
		h.order = append(h.order, conv)
		if len(h.order) > maxHandovers {
			delete(h.after, h.order[0])
			h.order = h.order[1:]
		}
	}
	h.after[conv] = max(h.after[conv], msgID)
}

// stale reports whether message msgID of conv was written before posbot's
// last handover of conv took effect.
func (h *handovers) stale(conv, msgID int64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	after, ok := h.after[conv]
	return ok && msgID < after
}
