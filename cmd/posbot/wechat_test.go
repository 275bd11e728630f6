package main

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/posbot/posbot/bot/bottest"
	"github.com/posbot/posbot/bridge"
	"github.com/posbot/posbot/handoff"
	"github.com/posbot/posbot/httpapi"
	"github.com/posbot/posbot/knowledge"
)

const testAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

func TestLoadWeChatConfig(t *testing.T) {
	t.Parallel()
	oa := map[string]string{"POSBOT_WECHAT_TOKEN": "tok", "POSBOT_WECHAT_APPID": "wx1", "POSBOT_WECHAT_APPSECRET": "s3cret-app"}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	wecom := map[string]string{"POSBOT_WECOM_CORPID": "ww1", "POSBOT_WECOM_SECRET": "s3cret-kf", "POSBOT_WECOM_TOKEN": "t", "POSBOT_WECOM_AES_KEY": testAESKey}
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"off", nil, ""},
		{"official account", with(oa, "POSBOT_WECHAT_AES_KEY", testAESKey), ""},
		{"wecom", wecom, ""},
		{"bridge", map[string]string{"POSBOT_BRIDGE_SECRET": "0123456789abcdef0123", "POSBOT_BRIDGE_CALLBACK_URL": "https://bridge.example/cb"}, ""},
		{"appid without token", map[string]string{"POSBOT_WECHAT_APPID": "wx1"}, "POSBOT_WECHAT_TOKEN"},
		{"token without secret", with(oa, "POSBOT_WECHAT_APPSECRET", ""), "POSBOT_WECHAT_APPSECRET"},
		{"short aes key", with(oa, "POSBOT_WECHAT_AES_KEY", "abc"), "POSBOT_WECHAT_AES_KEY"},
		{"api url", with(oa, "POSBOT_WECHAT_API_URL", "ftp://x"), "POSBOT_WECHAT_API_URL"},
		{"wecom without aes key", with(wecom, "POSBOT_WECOM_AES_KEY", ""), "POSBOT_WECOM_AES_KEY"},
		{"servicer without corp", map[string]string{"POSBOT_WECOM_SERVICER": "zhangsan"}, "POSBOT_WECOM_CORPID"},
		{"short bridge secret", map[string]string{"POSBOT_BRIDGE_SECRET": "short"}, "POSBOT_BRIDGE_SECRET"},
		{"callback without secret", map[string]string{"POSBOT_BRIDGE_CALLBACK_URL": "https://x"}, "POSBOT_BRIDGE_SECRET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := loadWeChatConfig(func(k string) string { return tt.env[k] })
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				var b bytes.Buffer
				slog.New(slog.NewJSONHandler(&b, nil)).Info("x", "wechat", c)
				for _, s := range []string{"s3cret", testAESKey, "0123456789abcdef0123"} {
					if strings.Contains(b.String(), s) {
						t.Errorf("start-up line shows a secret: %s", b.String())
					}
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr+":") {
				t.Fatalf("error %v, want one naming %s", err, tt.wantErr)
			}
		})
	}
}

func wxSign(parts ...string) string {
	sort.Strings(parts)
	return fmt.Sprintf("%x", sha1.Sum([]byte(strings.Join(parts, ""))))
}

// TestStartWeChat wires the three channels as serve does and checks each
// route is mounted and guarded, and that the handoff Senders are registered.
func TestStartWeChat(t *testing.T) {
	t.Parallel()
	e := bottest.Engine(t)
	svc, err := handoff.New(handoff.Config{Base: bottest.Base(t)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httpapi.New(e, httpapi.Options{Logger: slog.New(slog.DiscardHandler)})
	wc := wechatConfig{Token: "tok", AppID: "wx1", AppSecret: "app-secret", APIURL: "http://127.0.0.1:1",
		CorpID: "ww1", CorpSecret: "kf-secret", CorpToken: "kftok", CorpAESKey: testAESKey, CorpAPIURL: "http://127.0.0.1:1",
		BridgeSecret: "bridge-secret-0123456789"}
	ctx, cancel := context.WithCancel(context.Background())
	gate := svc.Gate(e, e)
	wx, err := startWeChat(ctx, wc, gate, e, &stores{}, nil, svc, nil, srv, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		if err := wx.wait(); err != nil {
			t.Error(err)
		}
	}()
	if len(wx.routes) != 5 || wx.senders["wechat"] == nil || wx.senders["bridge"] == nil {
		t.Errorf("routes %q, senders %v", wx.routes, wx.senders)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	ts := fmt.Sprint(time.Now().Unix())
	get := func(path string, q url.Values) (int, string) {
		resp, err := http.Get(hs.URL + path + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(wechatCallbackPath, url.Values{"signature": {wxSign("tok", ts, "n")}, "timestamp": {ts}, "nonce": {"n"}, "echostr": {"hello"}}); code != 200 || body != "hello" {
		t.Errorf("official account verification = %d %q", code, body)
	}
	if code, _ := get(wecomCallbackPath, url.Values{"msg_signature": {"forged"}, "timestamp": {ts}, "nonce": {"n"}, "echostr": {"x"}}); code != 401 {
		t.Errorf("forged WeCom verification = %d", code)
	}
	body := []byte(`{"conversation_id":"c1","text":"刷卡显示交易失败51"}`)
	for _, sig := range []string{"sha256=forged", bridge.Sign(wc.BridgeSecret, ts, body)} {
		req, _ := http.NewRequest(http.MethodPost, hs.URL+bridgePath, bytes.NewReader(body))
		req.Header.Set(bridge.HeaderTimestamp, ts)
		req.Header.Set(bridge.HeaderSignature, sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := 200
		if sig == "sha256=forged" {
			want = 401
		}
		if resp.StatusCode != want || (want == 200 && !strings.Contains(string(b), "51")) {
			t.Errorf("bridge with %s = %d %s", sig[:12], resp.StatusCode, b)
		}
	}
}

// TestBridgeHandoff runs serve's channels with the bridge on the memory
// stores: the merchant asks for a person through the bridge, a ticket is
// opened on the bridge channel, the bot stays quiet while the agent owns
// the conversation, and the agent's reply through the agent API is posted,
// signed, to the bridge's callback URL.
func TestBridgeHandoff(t *testing.T) {
	t.Parallel()
	base, err := knowledge.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	const secret = "bridge-secret-0123456789"
	callbacks := make(chan bridge.Outgoing, 16)
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get(bridge.HeaderSignature) != bridge.Sign(secret, r.Header.Get(bridge.HeaderTimestamp), body) {
			t.Errorf("callback not signed: %s", body)
			w.WriteHeader(401)
			return
		}
		var out bridge.Outgoing
		if err := json.Unmarshal(body, &out); err != nil {
			t.Error(err)
		}
		callbacks <- out
	}))
	defer cb.Close()
	cfg := config{Retriever: "hybrid", Handoff: handoffConfig{AgentToken: testAgentToken, Lease: time.Hour, RemindAfter: time.Hour}}
	r := startReplica(t, cfg, telegramConfig{TesseractPath: "off"}, base,
		channelConfig{wechat: wechatConfig{BridgeSecret: secret, BridgeCallbackURL: cb.URL}})
	n := 0
	say := func(text string) map[string]any {
		t.Helper()
		n++
		body, _ := json.Marshal(map[string]string{"conversation_id": "friend-7", "message_id": fmt.Sprint("m", n), "text": text})
		ts := fmt.Sprint(time.Now().Unix())
		req, _ := http.NewRequest(http.MethodPost, r.url+bridgePath, bytes.NewReader(body))
		req.Header.Set(bridge.HeaderTimestamp, ts)
		req.Header.Set(bridge.HeaderSignature, bridge.Sign(secret, ts, body))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		if res.StatusCode != 200 || json.NewDecoder(res.Body).Decode(&out) != nil {
			t.Fatalf("bridge %q: %d", text, res.StatusCode)
		}
		return out
	}
	if got := fmt.Sprint(say("刷卡显示交易失败51")["messages"]); !strings.Contains(got, "余额") {
		t.Errorf("first answer %s", got)
	}
	if got := fmt.Sprint(say("转人工")["messages"]); !strings.Contains(got, "工单") {
		t.Errorf("handoff answer %s", got)
	}
	var tickets []struct {
		ID             int64  `json:"id"`
		Channel        string `json:"channel"`
		ConversationID string `json:"conversation_id"`
		Code           string `json:"code"`
	}
	if r.api(t, "GET", "/v1/tickets", testAgentToken, "", &tickets) != 200 || len(tickets) != 1 ||
		tickets[0].Channel != "bridge" || tickets[0].Code != "51" {
		t.Fatalf("tickets %+v", tickets)
	}
	id := fmt.Sprint(tickets[0].ID)
	if c := r.api(t, "POST", "/v1/tickets/"+id+"/claim", testAgentToken, "", nil, "X-Agent", "alice"); c != 200 {
		t.Fatalf("claim: %d", c)
	}
	if got := fmt.Sprint(say("参考号 123456789012")["messages"]); got != "[]" {
		t.Errorf("the bot answered while alice owns the conversation: %s", got)
	}
	if c := r.api(t, "POST", "/v1/tickets/"+id+"/reply", testAgentToken, `{"text":"您好，我是客服小王"}`, nil, "X-Agent", "alice"); c != 200 {
		t.Fatalf("reply: %d", c)
	}
	deadline := time.After(10 * time.Second)
	for {
		select {
		case out := <-callbacks:
			if out.Kind == "agent" {
				if out.ConversationID != "friend-7" || !strings.Contains(fmt.Sprint(out.Messages), "您好，我是客服小王") {
					t.Errorf("agent callback %+v", out)
				}
				return
			}
		case <-deadline:
			t.Fatal("the agent's reply never reached the callback URL")
		}
	}
}
