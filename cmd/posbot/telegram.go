package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/dedup"
	"github.com/posbot/posbot/handoff"
	"github.com/posbot/posbot/httpapi"
	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/ocr"
	"github.com/posbot/posbot/telegram"
)

// telegramWebhookPath is where Telegram posts updates in webhook mode.
const telegramWebhookPath = "/telegram/webhook"

// telegramConfig is the Telegram channel's configuration. The channel runs
// when Token is set.
type telegramConfig struct {
	Token         string // POSBOT_TELEGRAM_TOKEN
	APIURL        string // POSBOT_TELEGRAM_API_URL: another Bot API server
	WebhookSecret string // POSBOT_TELEGRAM_WEBHOOK_SECRET: webhook mode when set
	WebhookURL    string // POSBOT_TELEGRAM_WEBHOOK_URL: registered with setWebhook at start-up
	Workers       int    // POSBOT_TELEGRAM_WORKERS: chats answered at once
	TesseractPath string // POSBOT_TESSERACT_PATH: the OCR binary, "off" for none
	OCRTimeout    time.Duration
	AgentChatID   int64 // POSBOT_TELEGRAM_AGENT_CHAT_ID: the agents' group, a handoff desk
}

// Enabled reports whether the Telegram channel is configured.
func (c telegramConfig) Enabled() bool { return c.Token != "" }

// inboxName names the bot's shared inbox: "tg:" and the bot's id, the part
// of the token before the colon (not a secret).
func (c telegramConfig) inboxName() string {
	id, _, _ := strings.Cut(c.Token, ":")
	return "tg:" + id
}

var (
	botToken      = regexp.MustCompile(`^[0-9]+:[A-Za-z0-9_-]+$`)
	webhookSecret = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`) // Bot API setWebhook rule
)

// loadTelegramConfig reads the POSBOT_TELEGRAM_* variables through getenv.
// Errors name the variable and never quote the token or the secret.
func loadTelegramConfig(getenv func(string) string) (telegramConfig, error) {
	c := telegramConfig{
		Token:         strings.TrimSpace(getenv("POSBOT_TELEGRAM_TOKEN")),
		APIURL:        getenv("POSBOT_TELEGRAM_API_URL"),
		WebhookSecret: getenv("POSBOT_TELEGRAM_WEBHOOK_SECRET"),
		WebhookURL:    getenv("POSBOT_TELEGRAM_WEBHOOK_URL"),
		Workers:       telegram.DefaultWorkers,
		TesseractPath: or(getenv("POSBOT_TESSERACT_PATH"), "tesseract"),
		OCRTimeout:    ocr.DefaultTimeout,
	}
	if c.Token == "" {
		for _, v := range []string{"POSBOT_TELEGRAM_WEBHOOK_SECRET", "POSBOT_TELEGRAM_WEBHOOK_URL", "POSBOT_TELEGRAM_API_URL", "POSBOT_TELEGRAM_AGENT_CHAT_ID"} {
			if getenv(v) != "" {
				return c, fmt.Errorf("POSBOT_TELEGRAM_TOKEN: required when %s is set", v)
			}
		}
		return c, nil
	}
	if !botToken.MatchString(c.Token) {
		return c, errors.New("POSBOT_TELEGRAM_TOKEN: not a bot token (want <bot id>:<secret> from @BotFather)")
	}
	if c.APIURL != "" && !strings.HasPrefix(c.APIURL, "http://") && !strings.HasPrefix(c.APIURL, "https://") {
		return c, fmt.Errorf("POSBOT_TELEGRAM_API_URL: %q is not an http(s) URL", c.APIURL)
	}
	if c.WebhookSecret != "" && !webhookSecret.MatchString(c.WebhookSecret) {
		return c, errors.New("POSBOT_TELEGRAM_WEBHOOK_SECRET: use 1-256 characters A-Z, a-z, 0-9, _ and -")
	}
	if c.WebhookURL != "" {
		if c.WebhookSecret == "" {
			return c, errors.New("POSBOT_TELEGRAM_WEBHOOK_URL: requires POSBOT_TELEGRAM_WEBHOOK_SECRET")
		}
		if !strings.HasPrefix(c.WebhookURL, "https://") && (c.APIURL == "" || !strings.HasPrefix(c.WebhookURL, "http://")) {
			return c, fmt.Errorf("POSBOT_TELEGRAM_WEBHOOK_URL: %q is not an https URL", c.WebhookURL)
		}
	}
	if v := getenv("POSBOT_TELEGRAM_AGENT_CHAT_ID"); v != "" {
		id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || id == 0 {
			return c, fmt.Errorf("POSBOT_TELEGRAM_AGENT_CHAT_ID: %q is not a chat id (a group's is negative, e.g. -1001234567890)", v)
		}
		c.AgentChatID = id
	}
	if v := getenv("POSBOT_TELEGRAM_WORKERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1024 {
			return c, fmt.Errorf("POSBOT_TELEGRAM_WORKERS: %q is not a number from 1 to 1024", v)
		}
		c.Workers = n
	}
	return c, nil
}

// startTelegram starts the Telegram channel: long polling, or in webhook mode
// a handler mounted on srv at POST /telegram/webhook (so it must be called
// before srv serves). It checks the token and registers or removes the
// webhook before returning, so a misconfiguration fails start-up. It writes
// to merchants for svc, and with POSBOT_TELEGRAM_AGENT_CHAT_ID the agents'
// group is one of svc's desks. The channel stops when ctx is done; wait
// blocks until it has, and returns its error.
// Accepted updates wait in inbox (nil: in memory), and shutdown drains for
// at most drain. What the channel says in its own words is base's (nil:
// the embedded knowledge base's).
func startTelegram(ctx context.Context, tc telegramConfig, e channel.Engine, svc *handoff.Service, base *knowledge.Base, d channel.Dedup,
	inbox channel.InboxStore, drain time.Duration, srv *httpapi.Server, log *slog.Logger) (wait func() error, err error) {
	if d == nil {
		d = &dedup.Memory{}
	}
	reader := newOCR(tc.TesseractPath, tc.OCRTimeout, log)
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	a, err := telegram.New(sctx, telegram.Config{
		Token:         tc.Token,
		ServerURL:     tc.APIURL,
		WebhookSecret: tc.WebhookSecret,
		WebhookURL:    tc.WebhookURL,
		Workers:       tc.Workers,
		AgentChatID:   tc.AgentChatID,
		ShutdownGrace: drain,
	}, e, telegram.Deps{
		Dedup:   d,
		Inbox:   inbox,
		OCR:     reader,
		Logger:  log,
		Handoff: svc,
		Base:    base,
	})
	if err != nil {
		return nil, err
	}
	if err := a.Register(sctx); err != nil {
		return nil, err
	}
	if svc != nil {
		svc.SetSender("telegram", a)
		if desk := a.Desk(); desk != nil {
			svc.Attach(desk)
		}
	}
	if tc.WebhookSecret != "" {
		srv.Handle("POST "+telegramWebhookPath, a.WebhookHandler())
	}
	errc := make(chan error, 1)
	go func() { errc <- a.Run(ctx) }()
	return sync.OnceValue(func() error { return <-errc }), nil
}

// newOCR returns the OCR reader for screenshots (POSBOT_TESSERACT_PATH),
// or nil when it is "off" or tesseract does not run: images are then
// answered with a request to type the code.
func newOCR(path string, timeout time.Duration, log *slog.Logger) ocr.Reader {
	if path == "off" {
		return nil
	}
	t := &ocr.Tesseract{Path: path, Timeout: timeout}
	if err := t.Check(); err != nil {
		log.Warn("OCR unavailable: images will be answered with a request to type the code", "err", err)
		return nil
	}
	return t
}

// LogValue is the Telegram configuration as serve logs it at start-up: the
// token and the webhook secret only as whether they are set, and the webhook
// URL without a password or the token (some deployments put it in the path).
func (c telegramConfig) LogValue() slog.Value {
	mode := "off"
	switch {
	case c.Enabled() && c.WebhookSecret != "":
		mode = "webhook"
	case c.Enabled():
		mode = "polling"
	}
	webhookURL := c.WebhookURL
	if c.Token != "" {
		webhookURL = strings.ReplaceAll(webhookURL, c.Token, "xxxxx")
	}
	return slog.GroupValue(
		slog.String("mode", mode),
		slog.Bool("token_set", c.Token != ""),
		slog.Bool("webhook_secret_set", c.WebhookSecret != ""),
		slog.String("webhook_url", redactURL(webhookURL)),
		slog.String("api_url", redactURL(c.APIURL)),
		slog.Int("workers", c.Workers),
		slog.Int64("agent_chat_id", c.AgentChatID),
		slog.String("tesseract_path", c.TesseractPath),
	)
}
