// Package wecom is posbot's channel for WeChat customer service run through
// WeCom (企业微信 微信客服). WeCom does not post messages: it posts a
// kf_msg_or_event callback (Handler), and the messages are pulled with
// sync_msg from a cursor kept in a shared store (Cursors), so that a
// restart or a second replica neither loses nor repeats one; each message
// is also deduplicated by its msgid. Answers go out with send_msg, in order
// per customer (channel.Inbox); screenshots go through channel.Screens.
//
// Handoff uses WeCom's own session states rather than posbot's tickets:
// when the engine hands over, the session is transferred with
// service_state/trans to a servicer (Config.Servicer) or the waiting pool,
// where WeCom's servicers take it in their WeCom client. While a person
// serves the session (state 3), or it waits in the pool (2), the bot stays
// silent; it answers again once the session ends. So the engine given to
// New is the engine itself, not handoff.Gate.
//
// API calls go through package wxapi; silenceper/wechat/v2's sync_msg and
// send_msg message types stay inside this package.
package wecom

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/dedup"
	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/ocr"
	"github.com/posbot/posbot/wxapi"
)

// Defaults used for zero Config fields.
const (
	// DefaultAPIURL is WeCom's API host.
	DefaultAPIURL = "https://qyapi.weixin.qq.com"
	// DefaultMaxSkew is how far a callback's timestamp may be from now.
	DefaultMaxSkew = 5 * time.Minute
	// DefaultMaxAge is how old a pulled message may be and still be
	// answered: as long as dedup remembers a msgid, so a message pulled
	// again after a lost cursor is never answered twice.
	DefaultMaxAge = dedup.DefaultTTL
	// MaxTextBytes is send_msg's limit on a text.
	MaxTextBytes = 2048
	// maxPages bounds one sync run (1,000 messages a page).
	maxPages = 50
)

// Config holds the adapter's settings. CorpID, Secret, Token and AESKey
// are required (WeCom always encrypts callbacks); every other zero field
// takes its default.
type Config struct {
	// CorpID is the enterprise's id (企业ID), the receiver of the envelopes.
	CorpID string
	// Secret is the secret of WeChat customer service (微信客服 Secret); never logged.
	Secret string
	// Token and AESKey are the callback's Token and EncodingAESKey.
	Token, AESKey string
	// APIURL is the API host; "" means DefaultAPIURL.
	APIURL string
	// Servicer is the userid of the servicer (接待人员) a handoff goes to;
	// "" (or a servicer who is not receiving) means WeCom's waiting pool.
	Servicer string

	// MaxSkew is how far a callback's timestamp may be from the clock; 0
	// means DefaultMaxSkew.
	MaxSkew time.Duration
	// MaxAge is how old a message may be and still be answered; 0 means
	// DefaultMaxAge.
	MaxAge time.Duration
	// Workers, QueueSize, Timeout and ShutdownGrace configure the inbox
	// (channel.InboxConfig: ShutdownGrace is its Drain); 0 means its
	// defaults.
	Workers, QueueSize     int
	Timeout, ShutdownGrace time.Duration
	// DownloadTimeout bounds the download of one screenshot, SendTimeout
	// the sending of one reply whatever is left of its message's time; 0
	// means channel.DefaultDownloadTimeout and channel.DefaultSendTimeout.
	DownloadTimeout, SendTimeout time.Duration
	// MaxImageBytes caps a screenshot; 0 means channel.DefaultMaxImageBytes.
	MaxImageBytes int64
	// SendRetries is how often a send failing on the way is tried again;
	// 0 means 2, a negative value never.
	SendRetries int
}

// Deps are the adapter's collaborators; all are optional, and with
// several replicas Cursors, Dedup and Locker must be shared (Redis).
type Deps struct {
	// Cursors keeps the sync_msg cursor; nil means in memory.
	Cursors Cursors
	// Dedup drops messages pulled twice; nil means in memory.
	Dedup channel.Dedup
	// Locker lets one replica at a time pull an account's messages; nil
	// means one process.
	Locker bot.Locker
	// Inbox keeps the pulled messages until they are answered; nil means
	// in memory. A shared one (redisstore.Inbox) lets the cursor move past
	// a message once it is there: another replica answers it if this one
	// stops, and each customer's messages keep their order across
	// replicas.
	Inbox channel.InboxStore
	// OCR reads screenshots; nil means images are answered with a request
	// to type the code.
	OCR ocr.Reader
	// Logger gets the adapter's logs; nil means slog.Default().
	Logger *slog.Logger
	// HTTPClient calls the API; nil means one with wxapi.DefaultTimeout.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Base holds what the adapter says in its own words (channels.yaml's
	// wecom texts, and handoff.yaml's "closed" when a servicer ends a
	// session); nil means the embedded knowledge base.
	Base *knowledge.Base
}

// Adapter is the WeCom customer service channel. Build it with New, mount
// Handler at the callback URL (GET and POST), and call Run. It is safe for
// concurrent use.
type Adapter struct {
	cfg     Config
	engine  channel.Handler
	cursors Cursors
	dedup   channel.Dedup
	locker  bot.Locker
	screens *channel.Screens
	log     *slog.Logger
	api     *wxapi.Client
	cipher  *wxapi.Cipher
	inbox   *channel.Inbox
	now     func() time.Time
	texts   knowledge.Texts // channels.yaml's
	handoff knowledge.Texts // handoff.yaml's, to merchants

	syncCtx context.Context // done when Run stops: no more pulls
	stop    context.CancelFunc
	pulls   sync.WaitGroup
	mu      sync.Mutex
	pending map[string]*pull // by open_kfid
}

// New returns an Adapter answering with e. It returns an error when a
// required setting is missing or the AESKey is not 43 characters of base64.
func New(cfg Config, e channel.Handler, d Deps) (*Adapter, error) {
	switch {
	case e == nil:
		return nil, errors.New("wecom: nil engine")
	case cfg.CorpID == "" || cfg.Secret == "" || strings.TrimSpace(cfg.Token) == "":
		return nil, errors.New("wecom: CorpID, Secret and Token are required")
	}
	c, err := wxapi.NewCipher(cfg.Token, cfg.AESKey, cfg.CorpID)
	if err != nil {
		return nil, errors.New("wecom: " + err.Error())
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	if cfg.MaxSkew <= 0 {
		cfg.MaxSkew = DefaultMaxSkew
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	switch {
	case cfg.SendRetries == 0:
		cfg.SendRetries = 2
	case cfg.SendRetries < 0:
		cfg.SendRetries = 0
	}
	if cfg.DownloadTimeout <= 0 {
		cfg.DownloadTimeout = channel.DefaultDownloadTimeout
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = channel.DefaultSendTimeout
	}
	base, err := channel.Knowledge(d.Base)
	if err != nil {
		return nil, fmt.Errorf("wecom: %w", err)
	}
	if base.Handoff() == nil {
		return nil, errors.New("wecom: the knowledge base has no handoff texts (data/dialogue/handoff.yaml)")
	}
	a := &Adapter{cfg: cfg, engine: e, cursors: d.Cursors, dedup: d.Dedup, locker: d.Locker, log: d.Logger,
		cipher: c, now: d.Now, pending: map[string]*pull{}, texts: base.ChannelTexts().For("wecom"), handoff: base.Handoff().Merchant}
	if a.cursors == nil {
		a.cursors = &MemoryCursors{}
	}
	if a.dedup == nil {
		a.dedup = &dedup.Memory{}
	}
	if a.locker == nil {
		a.locker = &bot.MemoryLocker{}
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	a.log = a.log.With("channel", "wecom")
	if a.now == nil {
		a.now = time.Now
	}
	hc := d.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: wxapi.DefaultTimeout}
	}
	a.api = wxapi.New(wxapi.Config{BaseURL: cfg.APIURL, HTTPClient: hc, Token: wxapi.CorpToken(cfg.CorpID, cfg.Secret), Now: a.now})
	a.screens = &channel.Screens{OCR: d.OCR, MaxBytes: cfg.MaxImageBytes, Logger: a.log, Texts: base.ChannelTexts().For("screens")}
	a.inbox = channel.NewInbox(channel.InboxConfig{Store: d.Inbox, Workers: cfg.Workers, QueueSize: cfg.QueueSize,
		Timeout: cfg.Timeout, Drain: cfg.ShutdownGrace, Logger: a.log}, a.process)
	a.syncCtx, a.stop = context.WithCancel(context.Background())
	return a, nil
}

// Run answers the messages the callbacks announce until ctx is done; then
// it stops pulling, drains (ShutdownGrace, see channel.InboxConfig.Drain)
// and returns. A message pulled but not queued keeps the cursor before it,
// so the next pull, here or on another replica, gets it; with a shared
// inbox one queued is answered by another replica if this one stops.
func (a *Adapter) Run(ctx context.Context) error {
	a.log.Info("wecom customer service ready", "servicer_set", a.cfg.Servicer != "")
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.inbox.Run(ctx)
	}()
	<-ctx.Done()
	a.mu.Lock() // trigger adds to pulls under mu only while syncCtx is live
	a.stop()
	a.mu.Unlock()
	a.pulls.Wait()
	<-done
	return nil
}
