// Package telegram is posbot's Telegram channel. It receives updates by long
// polling or through a webhook, hands each merchant message to the
// conversation engine (one chat at a time, chats in parallel, through
// channel.Dispatcher), reads screenshots with OCR (channel.Screens), and
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
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/dedup"
	"github.com/posbot/posbot/handoff"
	"github.com/posbot/posbot/ocr"
)

// Defaults used for zero Config fields.
const (
	DefaultWorkers        = channel.DefaultWorkers
	DefaultQueueSize      = channel.DefaultQueueSize
	DefaultUpdateTimeout  = channel.DefaultTimeout
	DefaultPollTimeout    = 50 * time.Second
	DefaultMaxImageBytes  = channel.DefaultMaxImageBytes
	DefaultSendRetries    = 3
	DefaultTypingInterval = 4 * time.Second
	DefaultShutdownGrace  = channel.DefaultGrace
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
	// QueueSize is how many updates wait per worker; 0 means DefaultQueueSize.
	QueueSize int
	// UpdateTimeout bounds the handling of one update, replies included;
	// 0 means DefaultUpdateTimeout.
	UpdateTimeout time.Duration
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
	// ShutdownGrace is how long the updates already accepted may still run
	// once Run's context is cancelled; 0 means DefaultShutdownGrace.
	ShutdownGrace time.Duration
}

// Deps are the adapter's collaborators. Only the engine passed to New is
// required.
type Deps struct {
	// Dedup drops redelivered updates; nil means an in-memory store is used
	// (enough for one replica).
	Dedup channel.Dedup
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
	disp     *channel.Dispatcher
	options  *optionMemory
	handoff  *handoff.Service

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
	a := &Adapter{
		cfg:     cfg,
		engine:  e,
		dedup:   d.Dedup,
		log:     d.Logger,
		sleep:   d.Sleep,
		client:  d.HTTPClient,
		options: &optionMemory{},
		handoff: d.Handoff,
	}
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
	a.screens = &channel.Screens{OCR: d.OCR, MaxBytes: cfg.MaxImageBytes, Logger: a.log}
	a.disp = channel.NewDispatcher(channel.DispatchConfig{Workers: cfg.Workers, QueueSize: cfg.QueueSize,
		Timeout: cfg.UpdateTimeout, Grace: cfg.ShutdownGrace, Logger: a.log})

	opts := []tgbot.Option{
		tgbot.WithSkipGetMe(), // called below, with the caller's context
		tgbot.WithHTTPClient(cfg.PollTimeout, a.client),
		tgbot.WithDefaultHandler(a.route),
		// Inline: the dispatcher does the fan-out, in order per chat.
		tgbot.WithNotAsyncHandlers(),
		tgbot.WithAllowedUpdates(tgbot.AllowedUpdates{"message", "callback_query"}),
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

// Run handles updates until ctx is done, then finishes the updates already
// accepted (within ShutdownGrace, logging any it could not) and returns. With long polling it polls
// getUpdates; in webhook mode it handles what WebhookHandler receives. It
// calls Register first unless that succeeded before, and returns its error.
func (a *Adapter) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.disp.Run(ctx)
	}()
	defer func() {
		cancel()
		<-done
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
	a.bot.Start(ctx) // returns when ctx is done
	return nil
}

// route is the go-telegram default handler: every update passes here, inline
// (WithNotAsyncHandlers), from the poller or from WebhookHandler. It drops
// duplicates and queues the update on its chat's worker.
func (a *Adapter) route(ctx context.Context, _ *tgbot.Bot, upd *models.Update) {
	call, fromWebhook := ctx.Value(webhookCallKey{}).(*webhookCall)
	defer func() {
		if v := recover(); v != nil {
			a.log.Error("panic routing update", "update_id", upd.ID, "panic", v)
			if fromWebhook {
				call.err = fmt.Errorf("panic: %v", v)
			}
		}
	}()
	if !fromWebhook { // the webhook deduplicated already
		if first := a.firstSeen(ctx, upd.ID); !first {
			return
		}
	}
	in, ok := convert(upd)
	if !ok {
		a.log.Debug("update ignored", "update_id", upd.ID)
		return
	}
	key, job := conversationID(in.chatID), func(ctx context.Context) { a.handle(ctx, in) }
	if a.fromAgentChat(in) {
		key, job = deskKey(in), func(ctx context.Context) { a.deskUpdate(ctx, in) }
	}
	err := a.disp.Submit(ctx, key, job)
	if err != nil {
		a.log.Error("update dropped", "update_id", upd.ID, "chat_id", in.chatID, "err", err)
		if fromWebhook {
			call.err = err
		}
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
