// Package telegram is posbot's Telegram channel. It receives updates by long
// polling or through a webhook, puts each in its chat's inbox
// (channel.Inbox: one chat at a time, in order, chats in parallel; shared
// by the replicas and kept in Redis when Deps.Inbox is), hands each
// merchant message to the conversation engine, reads screenshots with OCR
// (channel.Screens), and
// sends the replies with inline buttons for clarifying questions and for
// 解决了 / 没解决. It writes to merchants at any time as a handoff.Sender,
// and with an agents' group (Config.AgentChatID) it is a handoff desk:
// tickets are posted there, claimed and closed with buttons, and answered
// by replying to them (desk.go).
//
// go-telegram/bot is the Bot API client; its types stay inside this package.
package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/dedup"
	"github.com/posbot/posbot/handoff"
	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/ocr"
)

// Defaults used for zero Config fields.
const (
	DefaultWorkers         = channel.DefaultWorkers
	DefaultQueueSize       = channel.DefaultQueueSize
	DefaultUpdateTimeout   = channel.DefaultTimeout
	DefaultPollTimeout     = 50 * time.Second
	DefaultMaxImageBytes   = channel.DefaultMaxImageBytes
	DefaultSendRetries     = 3
	DefaultTypingInterval  = 4 * time.Second
	DefaultShutdownGrace   = channel.DefaultDrain
	DefaultDownloadTimeout = channel.DefaultDownloadTimeout
	DefaultSendTimeout     = channel.DefaultSendTimeout
)

// Config holds the adapter's settings. Only Token is required; every other
// zero field takes its default.
type Config struct {
	// Token is the bot token from @BotFather. It is never logged.
	Token string
	// ServerURL is the Bot API server; "" means https://api.telegram.org.
	ServerURL string
	// WebhookSecret switches to webhook mode: updates arrive at
	// WebhookHandler, which requires this value in the
	// X-Telegram-Bot-Api-Secret-Token header. "" means long polling.
	WebhookSecret string
	// WebhookURL, in webhook mode, is registered with setWebhook by Register
	// (or when Run starts); "" leaves the registration as it is.
	WebhookURL string
	// AgentChatID is the agents' group: with Deps.Handoff it is a handoff
	// desk (see Desk), and its updates are agents', never merchants'. 0
	// means none.
	AgentChatID int64

	// Workers is how many chats are answered at once; 0 means DefaultWorkers.
	Workers int
	// QueueSize is how many updates wait per worker in memory (without
	// Deps.Inbox); 0 means DefaultQueueSize.
	QueueSize int
	// UpdateTimeout bounds the handling of one update (the replies have
	// their own, SendTimeout); 0 means DefaultUpdateTimeout.
	UpdateTimeout time.Duration
	// DownloadTimeout bounds the download of one screenshot; 0 means
	// DefaultDownloadTimeout.
	DownloadTimeout time.Duration
	// SendTimeout bounds the sending of one reply, retries included,
	// whatever is left of the update's own time: a merchant whose update
	// took long (a download that hung) still gets the reply. 0 means
	// DefaultSendTimeout.
	SendTimeout time.Duration
	// PollTimeout is the long-poll wait of getUpdates; 0 means DefaultPollTimeout.
	PollTimeout time.Duration
	// MaxImageBytes caps a screenshot's size; 0 means DefaultMaxImageBytes.
	MaxImageBytes int64
	// SendRetries is how often a failed send is retried; 0 means
	// DefaultSendRetries, a negative value means never.
	SendRetries int
	// TypingInterval is how often the typing action is repeated while an
	// answer is produced; 0 means DefaultTypingInterval.
	TypingInterval time.Duration
	// ShutdownGrace bounds the drain once Run's context is cancelled (see
	// channel.InboxConfig.Drain): the updates in memory are still
	// answered for this long; with a shared Deps.Inbox the updates under
	// way are finished and the rest left to the other replicas. 0 means
	// DefaultShutdownGrace.
	ShutdownGrace time.Duration
}

// Deps are the adapter's collaborators. Only the engine passed to New is
// required.
type Deps struct {
	// Dedup drops redelivered updates; nil means an in-memory store is used
	// (enough for one replica).
	Dedup channel.Dedup
	// Inbox keeps the accepted updates until they are answered; nil means
	// in memory (lost if the process stops before answering them). A
	// shared one (redisstore.Inbox, named after the bot) lets another
	// replica answer what a stopped one accepted, and keeps each chat's
	// order across replicas.
	Inbox channel.InboxStore
	// OCR reads screenshots; nil means photos are answered with a request to
	// type the code.
	OCR ocr.Reader
	// Logger receives the adapter's logs; nil means slog.Default().
	Logger *slog.Logger
	// HTTPClient makes the Bot API calls and file downloads; nil means a
	// client whose timeout fits PollTimeout.
	HTTPClient *http.Client
	// Sleep waits between send retries; nil means a timer that stops when ctx
	// is done. Tests inject one to observe the waits without sleeping.
	Sleep func(ctx context.Context, d time.Duration) error
	// Handoff is where agents in the AgentChatID group claim, answer and
	// close tickets; nil means the group is not a desk.
	Handoff *handoff.Service
	// Base holds what the adapter says in its own words (channels.yaml's
	// telegram texts and the desk's); nil means the embedded knowledge
	// base.
	Base *knowledge.Base
}

// Adapter is the Telegram channel. Build it with New, then call Run; in
// webhook mode also mount WebhookHandler. It is safe for concurrent use.
type Adapter struct {
	cfg      Config
	engine   channel.Engine
	dedup    channel.Dedup
	screens  *channel.Screens
	log      *slog.Logger
	sleep    func(ctx context.Context, d time.Duration) error
	client   *http.Client
	bot      *tgbot.Bot
	botID    int64
	username string
	inbox    *channel.Inbox
	polled   *offsets // the updates long polling fetched and has not finished
	options  *optionMemory
	handoff  *handoff.Service
	texts    knowledge.Texts      // to merchants
	desk     knowledge.AgentTexts // to agents
	ticket   *regexp.Regexp       // finds the ticket a desk message names

	registered atomic.Bool
}

// New checks the token with getMe and returns an Adapter. It returns an error
// if the token is empty or refused, or the Bot API cannot be reached.
func New(ctx context.Context, cfg Config, e channel.Engine, d Deps) (*Adapter, error) {
	if strings.TrimSpace(cfg.Token) == "" {
		return nil, errors.New("telegram: empty token")
	}
	if e == nil {
		return nil, errors.New("telegram: nil engine")
	}
	cfg = withDefaults(cfg)
	base, err := channel.Knowledge(d.Base)
	if err != nil {
		return nil, fmt.Errorf("telegram: %w", err)
	}
	texts := base.ChannelTexts()
	a := &Adapter{
		cfg:     cfg,
		engine:  e,
		dedup:   d.Dedup,
		log:     d.Logger,
		sleep:   d.Sleep,
		client:  d.HTTPClient,
		options: &optionMemory{},
		handoff: d.Handoff,
		texts:   texts.For("telegram"),
		desk:    texts.Agent,
	}
	a.ticket = a.ticketPattern()
	if a.log == nil {
		a.log = slog.Default()
	}
	a.log = a.log.With("channel", "telegram")
	if a.dedup == nil {
		a.dedup = &dedup.Memory{}
	}
	if a.sleep == nil {
		a.sleep = sleepCtx
	}
	if a.client == nil {
		// The client timeout must outlast the long poll, which the library
		// sends as PollTimeout-1s; every call also has its own deadline.
		a.client = &http.Client{Timeout: cfg.PollTimeout + 10*time.Second}
	}
	a.screens = &channel.Screens{OCR: d.OCR, MaxBytes: cfg.MaxImageBytes, Logger: a.log, Texts: texts.For("screens")}
	a.polled = newOffsets()
	a.inbox = channel.NewInbox(channel.InboxConfig{Store: d.Inbox, Workers: cfg.Workers, QueueSize: cfg.QueueSize,
		Timeout: cfg.UpdateTimeout, Drain: cfg.ShutdownGrace, Logger: a.log, OnDrop: a.dropped}, a.process)

	// The library makes the Bot API calls; updates are received, queued
	// and routed here (webhook.go, poll.go).
	opts := []tgbot.Option{
		tgbot.WithSkipGetMe(), // called below, with the caller's context
		tgbot.WithHTTPClient(cfg.PollTimeout, a.client),
		tgbot.WithErrorsHandler(func(err error) {
			a.log.Warn("telegram client error", "err", a.scrub(err))
		}),
	}
	if cfg.ServerURL != "" {
		opts = append(opts, tgbot.WithServerURL(strings.TrimRight(cfg.ServerURL, "/")))
	}
	b, err := tgbot.New(cfg.Token, opts...)
	if err != nil {
		return nil, fmt.Errorf("telegram: %s", a.scrub(err))
	}
	a.bot = b
	a.botID = b.ID()
	me, err := b.GetMe(ctx)
	if err != nil {
		return nil, fmt.Errorf("telegram: getMe: %s", a.scrub(err))
	}
	a.username = me.Username
	a.log.Info("telegram bot ready", "bot_username", me.Username, "webhook", a.webhook())
	return a, nil
}

func withDefaults(c Config) Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.Workers, DefaultWorkers)
	def(&c.QueueSize, DefaultQueueSize)
	defDur(&c.UpdateTimeout, DefaultUpdateTimeout)
	defDur(&c.PollTimeout, DefaultPollTimeout)
	defDur(&c.TypingInterval, DefaultTypingInterval)
	defDur(&c.ShutdownGrace, DefaultShutdownGrace)
	defDur(&c.DownloadTimeout, DefaultDownloadTimeout)
	defDur(&c.SendTimeout, DefaultSendTimeout)
	if c.MaxImageBytes <= 0 {
		c.MaxImageBytes = DefaultMaxImageBytes
	}
	switch {
	case c.SendRetries == 0:
		c.SendRetries = DefaultSendRetries
	case c.SendRetries < 0:
		c.SendRetries = 0
	}
	return c
}

func (a *Adapter) webhook() bool { return a.cfg.WebhookSecret != "" }

// Register tells Telegram where updates go: in webhook mode with a
// WebhookURL it calls setWebhook with the secret; with long polling it calls
// deleteWebhook, since getUpdates answers 409 while a webhook is set. In
// webhook mode without WebhookURL it does nothing. Run calls it unless it
// succeeded before, so a caller can call it first to fail fast on start-up.
func (a *Adapter) Register(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	switch {
	case a.webhook() && a.cfg.WebhookURL != "":
		_, err := a.bot.SetWebhook(ctx, &tgbot.SetWebhookParams{
			URL:            a.cfg.WebhookURL,
			SecretToken:    a.cfg.WebhookSecret,
			AllowedUpdates: []string{"message", "callback_query"},
		})
		if err != nil {
			return fmt.Errorf("telegram: setWebhook: %s", a.scrub(err))
		}
		a.log.Info("telegram webhook registered")
	case !a.webhook():
		if _, err := a.bot.DeleteWebhook(ctx, &tgbot.DeleteWebhookParams{}); err != nil {
			return fmt.Errorf("telegram: deleteWebhook: %s", a.scrub(err))
		}
	}
	a.registered.Store(true)
	return nil
}

// Run handles updates until ctx is done, then drains (ShutdownGrace, see
// channel.InboxConfig.Drain) and returns. With long polling it polls
// getUpdates (poll.go); in webhook mode it answers what WebhookHandler
// accepts, and the handler answers 503 once Run's context is done, so that
// Telegram delivers again (to another replica). It calls Register first
// unless that succeeded before, and returns its error.
func (a *Adapter) Run(ctx context.Context) error {
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		a.inbox.Run(ctx)
	}()
	defer func() {
		<-drained
		if !a.webhook() {
			a.confirm() // tells Telegram which updates were answered
		}
	}()

	if !a.registered.Load() {
		if err := a.Register(ctx); err != nil {
			if ctx.Err() != nil {
				return nil // shut down while registering
			}
			return err
		}
	}
	if a.webhook() {
		<-ctx.Done()
		return nil
	}
	a.log.Info("telegram long polling started")
	a.poll(ctx) // returns when ctx is done
	return nil
}

// accept puts an update Telegram delivered in its chat's inbox; raw is the
// update as Telegram sent it. Updates posbot does not answer are dropped
// here. The error is the inbox's (ErrStopped, ErrFull, a store's failure):
// the update was not taken and must come again.
func (a *Adapter) accept(ctx context.Context, upd *models.Update, raw []byte) (queued bool, err error) {
	in, ok := convert(upd)
	if !ok {
		a.log.Debug("update ignored", "update_id", upd.ID)
		return false, nil
	}
	key := conversationID(in.chatID)
	if a.fromAgentChat(in) {
		key = a.deskKey(in)
	}
	if err := a.inbox.Put(ctx, key, raw); err != nil {
		a.log.Warn("update not queued; Telegram delivers it again", "update_id", upd.ID, "chat_id", in.chatID, "err", err)
		return false, err
	}
	return true, nil
}

// process handles one update from the inbox, under its deadline: a
// merchant's message (handle.go) or an agent's in the agents' group
// (desk.go).
func (a *Adapter) process(ctx context.Context, _ string, raw []byte) {
	var upd models.Update
	if err := json.Unmarshal(raw, &upd); err != nil {
		a.log.Error("queued update unreadable", "err", err)
		return
	}
	defer func() {
		// Cut by the drain bound, it stays unfinished: fetched again later.
		if !errors.Is(context.Cause(ctx), channel.ErrDrainExpired) {
			a.polled.done(upd.ID)
		}
	}()
	in, ok := convert(&upd)
	if !ok {
		return
	}
	if a.fromAgentChat(in) {
		a.deskUpdate(ctx, in)
		return
	}
	a.handle(ctx, in)
}

// dropped is told of each update the in-memory inbox could not answer
// before the process stops: its dedup key is taken back, so that a delivery
// of it again (long polling fetches it again) is answered.
func (a *Adapter) dropped(_ string, raw []byte) {
	var upd models.Update
	if json.Unmarshal(raw, &upd) == nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		channel.Forget(ctx, a.dedup, a.dedupKey(upd.ID), a.log)
	}
}

// firstSeen reports whether the update is new (failing open, see
// channel.FirstSeen).
func (a *Adapter) firstSeen(ctx context.Context, id int64) bool {
	return channel.FirstSeen(ctx, a.dedup, a.dedupKey(id), a.log.With("update_id", id))
}

func (a *Adapter) dedupKey(id int64) string {
	return fmt.Sprintf("tg:%d:upd:%d", a.botID, id)
}

// scrub renders err without the bot token, which the library puts in URLs.
func (a *Adapter) scrub(err error) string {
	if err == nil {
		return ""
	}
	return strings.ReplaceAll(err.Error(), a.cfg.Token, "<token>")
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
