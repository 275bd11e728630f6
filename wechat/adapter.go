// Package wechat is posbot's WeChat Official Account (公众号) channel. WeChat
// posts each merchant message to a callback URL (Handler) and waits about
// five seconds for the answer; with none it retries. So the answer starts
// when the callback arrives: when it is ready within PassiveWait it goes
// back in the callback's response (the passive reply, encrypted in safe
// mode); otherwise the callback is acknowledged at once and the answer is
// pushed through the customer-service message API when it is ready. A
// MsgId is answered once, on every replica (channel.Dedup); messages of one
// merchant are answered in order (channel.Inbox); screenshots go
// through channel.Screens; and Adapter is the handoff.Sender that carries
// agents' replies to WeChat merchants.
//
// github.com/silenceper/wechat/v2 provides the message types and the
// cipher; its types stay inside this package. The signature is checked
// here, in constant time, and a bad one is refused with 401 (the library
// answers 200 with nothing written). API calls go through package wxapi.
package wechat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/dedup"
	"github.com/posbot/posbot/handoff"
	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/ocr"
	"github.com/posbot/posbot/wxapi"
)

// Defaults used for zero Config fields.
const (
	// DefaultAPIURL is WeChat's API host.
	DefaultAPIURL = "https://api.weixin.qq.com"
	// DefaultPassiveWait is how long a callback waits for the answer before
	// it is acknowledged and the answer pushed later: WeChat gives up, and
	// retries, after about five seconds.
	DefaultPassiveWait = 4 * time.Second
	// DefaultMaxSkew is how far a callback's timestamp may be from now.
	DefaultMaxSkew = 5 * time.Minute
	// DefaultSendRetries is how often a failed push is tried again.
	DefaultSendRetries = 2
	// MaxTextBytes is WeChat's limit on one text message (errcode 45002
	// beyond it); longer answers go as several messages.
	MaxTextBytes = 2048
)

// Config holds the adapter's settings. Token, AppID and AppSecret are
// required; every other zero field takes its default.
type Config struct {
	// Token is the token set in the Official Account's server configuration
	// (服务器配置); it signs every callback.
	Token string
	// AppID and AppSecret get access tokens. The secret is never logged.
	AppID, AppSecret string
	// AESKey is the EncodingAESKey: with it the account is in safe mode
	// (安全模式), and plaintext callbacks are refused. "" means plaintext
	// mode.
	AESKey string
	// APIURL is the API host; "" means DefaultAPIURL.
	APIURL string

	// PassiveWait is how long a callback waits for the answer; 0 means
	// DefaultPassiveWait. Keep it under five seconds.
	PassiveWait time.Duration
	// MaxSkew is how far a callback's timestamp may be from the clock; 0
	// means DefaultMaxSkew.
	MaxSkew time.Duration
	// Workers, QueueSize, Timeout and ShutdownGrace configure the inbox
	// (channel.InboxConfig: ShutdownGrace is its Drain); 0 means its
	// defaults.
	Workers, QueueSize     int
	Timeout, ShutdownGrace time.Duration
	// DownloadTimeout bounds the download of one screenshot, SendTimeout
	// the pushing of one answer whatever is left of its message's time; 0
	// means channel.DefaultDownloadTimeout and channel.DefaultSendTimeout.
	DownloadTimeout, SendTimeout time.Duration
	// MaxImageBytes caps a screenshot; 0 means channel.DefaultMaxImageBytes.
	MaxImageBytes int64
	// SendRetries is how often a failed push is tried again (never for an
	// error code that will not change); 0 means DefaultSendRetries, a
	// negative value never.
	SendRetries int
}

// Deps are the adapter's collaborators; all are optional.
type Deps struct {
	// Dedup drops callbacks WeChat retries; nil means in memory (one
	// replica). With several replicas it must be shared (Redis).
	Dedup channel.Dedup
	// Inbox keeps the acknowledged messages until they are answered; nil
	// means in memory. A shared one (redisstore.Inbox) lets another
	// replica answer, through the customer-service API, what this one
	// acknowledged if it stops, and keeps each merchant's order across
	// replicas.
	Inbox channel.InboxStore
	// OCR reads screenshots; nil means images are answered with a request
	// to type the code.
	OCR ocr.Reader
	// Logger gets the adapter's logs; nil means slog.Default().
	Logger *slog.Logger
	// HTTPClient calls the API and downloads images; nil means one with
	// wxapi.DefaultTimeout.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Base holds what the adapter says in its own words (channels.yaml's
	// wechat texts); nil means the embedded knowledge base.
	Base *knowledge.Base
}

// Adapter is the Official Account channel. Build it with New, mount
// Handler at the callback URL (GET and POST), and call Run. It is safe for
// concurrent use.
type Adapter struct {
	cfg     Config
	engine  channel.Engine
	dedup   channel.Dedup
	screens *channel.Screens
	log     *slog.Logger
	api     *wxapi.Client
	http    *http.Client
	cipher  *wxapi.Cipher // nil in plaintext mode
	inbox   *channel.Inbox
	now     func() time.Time
	texts   knowledge.Texts
	waiting sync.Map // dedup key → *channel.Handover[[]string] of a callback waiting here
}

var _ handoff.Sender = (*Adapter)(nil)

// New returns an Adapter answering with e (handoff.Gate, so that handoff
// works here as on every channel). It returns an error for a missing
// token, AppID or secret, or an AESKey that is not 43 characters of base64.
func New(cfg Config, e channel.Engine, d Deps) (*Adapter, error) {
	switch {
	case e == nil:
		return nil, errors.New("wechat: nil engine")
	case strings.TrimSpace(cfg.Token) == "":
		return nil, errors.New("wechat: empty token")
	case cfg.AppID == "" || cfg.AppSecret == "":
		return nil, errors.New("wechat: AppID and AppSecret are required")
	}
	cfg = withDefaults(cfg)
	base, err := channel.Knowledge(d.Base)
	if err != nil {
		return nil, fmt.Errorf("wechat: %w", err)
	}
	texts := base.ChannelTexts()
	a := &Adapter{cfg: cfg, engine: e, dedup: d.Dedup, log: d.Logger, http: d.HTTPClient, now: d.Now, texts: texts.For("wechat")}
	if cfg.AESKey != "" {
		c, err := wxapi.NewCipher(cfg.Token, cfg.AESKey, cfg.AppID)
		if err != nil {
			return nil, errors.New("wechat: " + err.Error())
		}
		a.cipher = c
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	a.log = a.log.With("channel", "wechat")
	if a.dedup == nil {
		a.dedup = &dedup.Memory{}
	}
	if a.http == nil {
		a.http = &http.Client{Timeout: wxapi.DefaultTimeout}
	}
	if a.now == nil {
		a.now = time.Now
	}
	a.api = wxapi.New(wxapi.Config{BaseURL: cfg.APIURL, HTTPClient: a.http,
		Token: wxapi.StableToken(cfg.AppID, cfg.AppSecret), Now: a.now})
	a.screens = &channel.Screens{OCR: d.OCR, MaxBytes: cfg.MaxImageBytes, Logger: a.log, Texts: texts.For("screens")}
	a.inbox = channel.NewInbox(channel.InboxConfig{Store: d.Inbox, Workers: cfg.Workers, QueueSize: cfg.QueueSize,
		Timeout: cfg.Timeout, Drain: cfg.ShutdownGrace, Logger: a.log}, a.process)
	return a, nil
}

func withDefaults(c Config) Config {
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	if c.PassiveWait <= 0 {
		c.PassiveWait = DefaultPassiveWait
	}
	if c.MaxSkew <= 0 {
		c.MaxSkew = DefaultMaxSkew
	}
	switch {
	case c.SendRetries == 0:
		c.SendRetries = DefaultSendRetries
	case c.SendRetries < 0:
		c.SendRetries = 0
	}
	if c.DownloadTimeout <= 0 {
		c.DownloadTimeout = channel.DefaultDownloadTimeout
	}
	if c.SendTimeout <= 0 {
		c.SendTimeout = channel.DefaultSendTimeout
	}
	return c
}

// Run answers the callbacks Handler accepts until ctx is done, then drains
// (ShutdownGrace, see channel.InboxConfig.Drain) and returns. Callbacks
// that arrive after ctx is done get 503, and WeChat retries them (on
// another replica).
func (a *Adapter) Run(ctx context.Context) error {
	a.log.Info("wechat official account ready", "safe_mode", a.cipher != nil)
	a.inbox.Run(ctx)
	return nil
}
