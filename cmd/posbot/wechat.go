package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	"github.com/posbot/posbot/bridge"
	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/handoff"
	"github.com/posbot/posbot/httpapi"
	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/ocr"
	"github.com/posbot/posbot/wechat"
	"github.com/posbot/posbot/wecom"
)

// Where the WeChat channels are mounted on posbot's HTTP server.
const (
	wechatCallbackPath = "/wechat/callback"
	wecomCallbackPath  = "/wecom/callback"
	bridgePath         = "/v1/bridge/messages"
)

// wechatConfig configures the Official Account, WeCom customer service
// and the signed bridge; each runs when its first variable is set.
type wechatConfig struct {
	Token, AppID, AppSecret, AESKey, APIURL string // POSBOT_WECHAT_*

	CorpID, CorpSecret, CorpToken, CorpAESKey, CorpAPIURL, Servicer string // POSBOT_WECOM_*

	BridgeSecret, BridgeCallbackURL string // POSBOT_BRIDGE_*
}

func (c wechatConfig) official() bool { return c.Token != "" }
func (c wechatConfig) wecom() bool    { return c.CorpID != "" }
func (c wechatConfig) bridge() bool   { return c.BridgeSecret != "" }
func (c wechatConfig) enabled() bool  { return c.official() || c.wecom() || c.bridge() }

// loadWeChatConfig reads the POSBOT_WECHAT_*, POSBOT_WECOM_* and
// POSBOT_BRIDGE_* variables. Errors name the variable and never quote a
// secret.
func loadWeChatConfig(getenv func(string) string) (wechatConfig, error) {
	c := wechatConfig{
		Token: strings.TrimSpace(getenv("POSBOT_WECHAT_TOKEN")), AppID: getenv("POSBOT_WECHAT_APPID"),
		AppSecret: getenv("POSBOT_WECHAT_APPSECRET"), AESKey: getenv("POSBOT_WECHAT_AES_KEY"), APIURL: getenv("POSBOT_WECHAT_API_URL"),
		CorpID: getenv("POSBOT_WECOM_CORPID"), CorpSecret: getenv("POSBOT_WECOM_SECRET"), CorpToken: getenv("POSBOT_WECOM_TOKEN"),
		CorpAESKey: getenv("POSBOT_WECOM_AES_KEY"), CorpAPIURL: getenv("POSBOT_WECOM_API_URL"), Servicer: getenv("POSBOT_WECOM_SERVICER"),
		BridgeSecret: getenv("POSBOT_BRIDGE_SECRET"), BridgeCallbackURL: getenv("POSBOT_BRIDGE_CALLBACK_URL"),
	}
	for _, g := range []struct {
		on    bool
		first string
		needs []string // with first
		other []string // allowed only with first
	}{
		{c.official(), "POSBOT_WECHAT_TOKEN", []string{"POSBOT_WECHAT_APPID", "POSBOT_WECHAT_APPSECRET"},
			[]string{"POSBOT_WECHAT_AES_KEY", "POSBOT_WECHAT_API_URL"}},
		{c.wecom(), "POSBOT_WECOM_CORPID", []string{"POSBOT_WECOM_SECRET", "POSBOT_WECOM_TOKEN", "POSBOT_WECOM_AES_KEY"},
			[]string{"POSBOT_WECOM_API_URL", "POSBOT_WECOM_SERVICER"}},
		{c.bridge(), "POSBOT_BRIDGE_SECRET", nil, []string{"POSBOT_BRIDGE_CALLBACK_URL"}},
	} {
		for _, v := range g.needs {
			if g.on && getenv(v) == "" {
				return c, fmt.Errorf("%s: required when %s is set", v, g.first)
			}
		}
		for _, v := range append(g.needs, g.other...) {
			if !g.on && getenv(v) != "" {
				return c, fmt.Errorf("%s: required when %s is set", g.first, v)
			}
		}
	}
	for name, key := range map[string]string{"POSBOT_WECHAT_AES_KEY": c.AESKey, "POSBOT_WECOM_AES_KEY": c.CorpAESKey} {
		if key != "" && !aesKey.MatchString(key) {
			return c, fmt.Errorf("%s: not an EncodingAESKey (43 letters and digits)", name)
		}
	}
	for name, u := range map[string]string{"POSBOT_WECHAT_API_URL": c.APIURL, "POSBOT_WECOM_API_URL": c.CorpAPIURL,
		"POSBOT_BRIDGE_CALLBACK_URL": c.BridgeCallbackURL} {
		if u != "" && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			return c, fmt.Errorf("%s: %q is not an http(s) URL", name, redactURL(u))
		}
	}
	if c.bridge() && len(c.BridgeSecret) < 16 {
		return c, errors.New("POSBOT_BRIDGE_SECRET: use at least 16 characters (openssl rand -hex 32)")
	}
	return c, nil
}

var aesKey = regexp.MustCompile(`^[A-Za-z0-9]{43}$`)

// LogValue is the configuration as serve logs it: which channels run,
// never a secret.
func (c wechatConfig) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Bool("official_account", c.official()),
		slog.String("appid", c.AppID),
		slog.Bool("safe_mode", c.AESKey != ""),
		slog.String("api_url", redactURL(c.APIURL)),
		slog.Bool("wecom", c.wecom()),
		slog.String("corpid", c.CorpID),
		slog.String("wecom_api_url", redactURL(c.CorpAPIURL)),
		slog.Bool("bridge", c.bridge()),
		slog.String("bridge_callback_url", redactURL(c.BridgeCallbackURL)),
	)
}

// wechatChannels are the running WeChat channels: their routes on the HTTP
// server, their Senders for the handoff, and how to wait for them to stop.
type wechatChannels struct {
	routes  []string
	senders map[string]handoff.Sender
	waits   []chan error
}

// wait blocks until every channel has stopped and returns their errors.
func (w *wechatChannels) wait() error {
	var errs []error
	for _, c := range w.waits {
		errs = append(errs, <-c)
	}
	return errors.Join(errs...)
}

func (w *wechatChannels) run(ctx context.Context, f func(context.Context) error) {
	c := make(chan error, 1)
	w.waits = append(w.waits, c)
	go func() { c <- f(ctx) }()
}

// startWeChat starts the configured WeChat channels and mounts their
// handlers on srv (so before srv serves). gated answers the Official
// Account and the bridge (handoff.Gate once serve builds one); engine,
// without the gate, answers WeCom, which hands over inside WeCom. With
// hs, each channel registers as the handoff Sender of its merchants. What
// they say in their own words is base's (nil: the embedded knowledge
// base's). The channels stop when ctx is done.
func startWeChat(ctx context.Context, wc wechatConfig, gated, engine channel.Engine, st *stores, reader ocr.Reader,
	hs *handoff.Service, base *knowledge.Base, srv *httpapi.Server, log *slog.Logger) (*wechatChannels, error) {
	w := &wechatChannels{senders: map[string]handoff.Sender{}}
	d := st.dedup()
	if wc.official() {
		a, err := wechat.New(wechat.Config{Token: wc.Token, AppID: wc.AppID, AppSecret: wc.AppSecret, AESKey: wc.AESKey,
			APIURL: wc.APIURL, ShutdownGrace: st.cfg.Drain}, gated,
			wechat.Deps{Dedup: d, OCR: reader, Logger: log, Inbox: st.inbox("wx:" + wc.AppID), Base: base})
		if err != nil {
			return nil, fmt.Errorf("POSBOT_WECHAT_TOKEN: %w", err)
		}
		h := a.Handler()
		srv.Handle("GET "+wechatCallbackPath, h)
		srv.Handle("POST "+wechatCallbackPath, h)
		w.routes = append(w.routes, "GET "+wechatCallbackPath, "POST "+wechatCallbackPath)
		w.senders["wechat"] = a
		w.run(ctx, a.Run)
	}
	if wc.wecom() {
		deps := wecom.Deps{Dedup: d, OCR: reader, Logger: log, Inbox: st.inbox("wecom:" + wc.CorpID), Base: base}
		if st.redis != nil {
			deps.Cursors, deps.Locker = st.redis.Cursors(), st.redis.Locker(0)
		}
		a, err := wecom.New(wecom.Config{CorpID: wc.CorpID, Secret: wc.CorpSecret, Token: wc.CorpToken, AESKey: wc.CorpAESKey,
			APIURL: wc.CorpAPIURL, Servicer: wc.Servicer, ShutdownGrace: st.cfg.Drain}, engine, deps)
		if err != nil {
			return nil, fmt.Errorf("POSBOT_WECOM_CORPID: %w", err)
		}
		h := a.Handler()
		srv.Handle("GET "+wecomCallbackPath, h)
		srv.Handle("POST "+wecomCallbackPath, h)
		w.routes = append(w.routes, "GET "+wecomCallbackPath, "POST "+wecomCallbackPath)
		w.run(ctx, a.Run)
	}
	if wc.bridge() {
		b, err := bridge.New(bridge.Config{Secret: wc.BridgeSecret, CallbackURL: wc.BridgeCallbackURL, ShutdownGrace: st.cfg.Drain}, gated,
			bridge.Deps{Dedup: d, OCR: reader, Logger: log, Inbox: st.inbox("bridge"), Base: base})
		if err != nil {
			return nil, fmt.Errorf("POSBOT_BRIDGE_SECRET: %w", err)
		}
		srv.Handle("POST "+bridgePath, b.Handler())
		w.routes = append(w.routes, "POST "+bridgePath)
		w.senders["bridge"] = b
		w.run(ctx, b.Run)
	}
	if hs != nil {
		for name, s := range w.senders {
			hs.SetSender(name, s)
		}
	}
	return w, nil
}
