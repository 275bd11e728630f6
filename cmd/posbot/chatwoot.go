package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"

	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/chatwoot"
	"github.com/posbot/posbot/handoff"
	"github.com/posbot/posbot/httpapi"
	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/ocr"
)

// Where Chatwoot posts the Agent Bot's webhooks: signed (Chatwoot 4.13 and
// later), or with the secret as the last path segment (earlier versions).
const (
	chatwootWebhookPath       = "/chatwoot/webhook"
	chatwootSecretWebhookPath = chatwootWebhookPath + "/{" + chatwoot.SecretPathValue + "}"
)

// chatwootConfig configures the Chatwoot Agent Bot; it runs when URL is set.
type chatwootConfig struct {
	URL           string // POSBOT_CHATWOOT_URL
	Token         string // POSBOT_CHATWOOT_TOKEN: the Agent Bot's access token
	AccountID     int64  // POSBOT_CHATWOOT_ACCOUNT_ID
	WebhookSecret string // POSBOT_CHATWOOT_WEBHOOK_SECRET
}

func (c chatwootConfig) enabled() bool { return c.URL != "" }

// loadChatwootConfig reads the POSBOT_CHATWOOT_* variables. Errors name the
// variable and never quote the token or the secret.
func loadChatwootConfig(getenv func(string) string) (chatwootConfig, error) {
	c := chatwootConfig{URL: strings.TrimSpace(getenv("POSBOT_CHATWOOT_URL")), Token: strings.TrimSpace(getenv("POSBOT_CHATWOOT_TOKEN")),
		WebhookSecret: getenv("POSBOT_CHATWOOT_WEBHOOK_SECRET")}
	others := []string{"POSBOT_CHATWOOT_TOKEN", "POSBOT_CHATWOOT_ACCOUNT_ID", "POSBOT_CHATWOOT_WEBHOOK_SECRET"}
	if !c.enabled() {
		for _, v := range others {
			if getenv(v) != "" {
				return c, fmt.Errorf("POSBOT_CHATWOOT_URL: required when %s is set", v)
			}
		}
		return c, nil
	}
	for _, v := range others {
		if strings.TrimSpace(getenv(v)) == "" {
			return c, fmt.Errorf("%s: required when POSBOT_CHATWOOT_URL is set", v)
		}
	}
	if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("POSBOT_CHATWOOT_URL: %q is not an http(s) URL", redactURL(c.URL))
	}
	id, err := strconv.ParseInt(strings.TrimSpace(getenv("POSBOT_CHATWOOT_ACCOUNT_ID")), 10, 64)
	if err != nil || id <= 0 {
		return c, errors.New("POSBOT_CHATWOOT_ACCOUNT_ID: not an account id (the number in /app/accounts/<id>/ of Chatwoot's address)")
	}
	c.AccountID = id
	if len(c.WebhookSecret) < chatwoot.MinSecretLen || strings.ContainsAny(c.WebhookSecret, " \t\r\n/?#") {
		return c, errors.New("POSBOT_CHATWOOT_WEBHOOK_SECRET: use the Agent Bot's secret, or at least 16 characters without spaces, '/', '?' or '#' (openssl rand -hex 32)")
	}
	return c, nil
}

// LogValue is the configuration as serve logs it: never the token or the
// secret.
func (c chatwootConfig) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Bool("enabled", c.enabled()),
		slog.String("url", redactURL(c.URL)),
		slog.Int64("account_id", c.AccountID),
		slog.Bool("token_set", c.Token != ""),
		slog.Bool("webhook_secret_set", c.WebhookSecret != ""),
	)
}

// chatwootChannel is the running Chatwoot channel: its routes on the HTTP
// server and how to wait for it to stop.
type chatwootChannel struct {
	routes []string
	done   chan error
}

func (c *chatwootChannel) wait() error { return <-c.done }

// startChatwoot starts the Chatwoot Agent Bot answering with engine (not
// the gate: Chatwoot decides who answers), keeping hs's tickets in step,
// mounts its webhook on srv (so before srv serves) and registers it as
// the handoff Sender of its conversations. What it says in its own words
// is base's. It stops when ctx is done.
func startChatwoot(ctx context.Context, cc chatwootConfig, engine channel.Handler, states handoff.States, st *stores,
	reader ocr.Reader, hs *handoff.Service, base *knowledge.Base, srv *httpapi.Server, log *slog.Logger) (*chatwootChannel, error) {
	a, err := chatwoot.New(chatwoot.Config{URL: cc.URL, Token: cc.Token, AccountID: cc.AccountID, WebhookSecret: cc.WebhookSecret,
		ShutdownGrace: st.cfg.Drain},
		engine, chatwoot.Deps{Handoffs: hs, States: states, Dedup: st.dedup(), OCR: reader, Logger: log,
			Inbox: st.inbox(fmt.Sprintf("chatwoot:%d", cc.AccountID)), Base: base})
	if err != nil {
		return nil, fmt.Errorf("POSBOT_CHATWOOT_URL: %w", err)
	}
	h := a.Handler()
	srv.Handle("POST "+chatwootWebhookPath, h)
	srv.Handle("POST "+chatwootSecretWebhookPath, h)
	hs.SetSender(chatwoot.Channel, a)
	c := &chatwootChannel{routes: []string{"POST " + chatwootWebhookPath, "POST " + chatwootSecretWebhookPath}, done: make(chan error, 1)}
	go func() { c.done <- a.Run(ctx) }()
	return c, nil
}
