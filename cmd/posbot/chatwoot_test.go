package main

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/posbot/posbot/chatwoot/chatwoottest"
	"github.com/posbot/posbot/handoff"
	"github.com/posbot/posbot/knowledge"
)

func TestLoadChatwootConfig(t *testing.T) {
	t.Parallel()
	full := map[string]string{"POSBOT_CHATWOOT_URL": "https://chat.example.com", "POSBOT_CHATWOOT_TOKEN": "s3cret-token",
		"POSBOT_CHATWOOT_ACCOUNT_ID": "7", "POSBOT_CHATWOOT_WEBHOOK_SECRET": "s3cret-hook-0123456789"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range full {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tt := range []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"off", nil, ""},
		{"on", full, ""},
		{"token without url", map[string]string{"POSBOT_CHATWOOT_TOKEN": "x"}, "POSBOT_CHATWOOT_URL"},
		{"secret without url", map[string]string{"POSBOT_CHATWOOT_WEBHOOK_SECRET": "x"}, "POSBOT_CHATWOOT_URL"},
		{"no token", with("POSBOT_CHATWOOT_TOKEN", ""), "POSBOT_CHATWOOT_TOKEN"},
		{"no account", with("POSBOT_CHATWOOT_ACCOUNT_ID", ""), "POSBOT_CHATWOOT_ACCOUNT_ID"},
		{"account not a number", with("POSBOT_CHATWOOT_ACCOUNT_ID", "acme"), "POSBOT_CHATWOOT_ACCOUNT_ID"},
		{"account zero", with("POSBOT_CHATWOOT_ACCOUNT_ID", "0"), "POSBOT_CHATWOOT_ACCOUNT_ID"},
		{"no secret", with("POSBOT_CHATWOOT_WEBHOOK_SECRET", ""), "POSBOT_CHATWOOT_WEBHOOK_SECRET"},
		{"short secret", with("POSBOT_CHATWOOT_WEBHOOK_SECRET", "s3cret"), "POSBOT_CHATWOOT_WEBHOOK_SECRET"},
		{"secret with a slash", with("POSBOT_CHATWOOT_WEBHOOK_SECRET", "s3cret/0123456789abcdef"), "POSBOT_CHATWOOT_WEBHOOK_SECRET"},
		{"url without scheme", with("POSBOT_CHATWOOT_URL", "chat.example.com"), "POSBOT_CHATWOOT_URL"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := loadChatwootConfig(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr+":") || strings.Contains(err.Error(), "s3cret") {
					t.Fatalf("error %v, want one naming %s and quoting no secret", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			slog.New(slog.NewJSONHandler(&b, nil)).Info("x", "chatwoot", c)
			if strings.Contains(b.String(), "s3cret") {
				t.Errorf("start-up line shows a secret: %s", b.String())
			}
		})
	}
}

// TestChatwootThroughServe runs two replicas as serve builds them, on one
// Redis and one PostgreSQL, behind a fake Chatwoot that posts to either:
// a message delivered to both is answered once, the handoff is a ticket
// the agent API lists, the bot is silent while the agents have the
// conversation and answers again once they resolve it, and the webhook
// route is counted in the metrics.
func TestChatwootThroughServe(t *testing.T) {
	redisURL, _ := serviceURLs(t)
	pg := testPostgres(t)
	base, err := knowledge.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	fake := chatwoottest.New(t)
	cfg := config{RedisURL: redisURL, PostgresURL: pg.String(), Retriever: "hybrid",
		Handoff: handoffConfig{AgentToken: testAgentToken, Lease: time.Hour, RemindAfter: time.Hour}}
	cc := channelConfig{chatwoot: chatwootConfig{URL: fake.URL, Token: fake.Token, AccountID: fake.AccountID, WebhookSecret: fake.Secret}}
	a := startReplica(t, cfg, telegramConfig{TesseractPath: "off"}, base, cc)
	b := startReplica(t, cfg, telegramConfig{TesseractPath: "off"}, base, cc)
	fake.SetWebhook(a.url + chatwootWebhookPath)
	conv := fake.NewConversation()

	// Chatwoot's own messages may go to either replica: they are ignored.
	p := fake.Write(conv, "商户号:123456789012345 刷卡显示交易失败51")
	body := fake.MessageEvent(p.ID)
	var wg sync.WaitGroup
	for _, r := range []*replicaStack{a, b} {
		wg.Go(func() {
			if code := fake.Post(t, r.url+chatwootWebhookPath, body, fake.Signed(body, time.Now())); code != http.StatusOK {
				t.Errorf("webhook = %d", code)
			}
		})
	}
	wg.Wait()
	fake.WaitBot(t, conv, 1)

	fake.SetWebhook(b.url + chatwootWebhookPath)
	fake.ContactWrites(t, conv, "转人工")
	fake.WaitStatus(t, conv, "open")
	var tickets []handoff.Ticket
	if code := a.api(t, "GET", "/v1/tickets", testAgentToken, "", &tickets); code != 200 || len(tickets) != 1 {
		t.Fatalf("tickets = %d %+v", code, tickets)
	}
	if tk := tickets[0]; tk.Channel != "chatwoot" || tk.Code != "51" || tk.Supplied.MerchantNo != "123456789012345" {
		t.Errorf("ticket %+v", tk)
	}

	fake.SetWebhook(a.url + chatwootWebhookPath)
	fake.ContactWrites(t, conv, "还在吗")
	fake.AgentWrites(t, conv, "您好，我是客服小王", false)
	fake.SetStatus(t, conv, "resolved")
	got := fake.WaitBot(t, conv, 3)
	if !strings.Contains(got[1], "工单 #1") || !strings.Contains(got[2], "已结束本次服务") {
		t.Errorf("bot messages %q", got)
	}
	fake.ContactWrites(t, conv, "交易失败 05")
	if got := fake.WaitBot(t, conv, 4); !strings.Contains(got[3], "05") {
		t.Errorf("answer after the agents resolved it: %q", got[3])
	}
	fake.Idle()
	if n := len(fake.BotMessages(conv, false)); n != 4 {
		t.Errorf("the bot posted %d messages: %q", n, fake.BotMessages(conv, false))
	}
	if code := a.api(t, "GET", "/v1/tickets", testAgentToken, "", &tickets); code != 200 || len(tickets) != 0 {
		t.Errorf("active tickets after resolving: %d %+v", code, tickets)
	}
	// With the shared inbox either replica may answer a message the other
	// accepted: the two replicas' metrics together count them.
	var m []byte
	for _, r := range []*replicaStack{a, b} {
		res, err := http.Get(r.url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		m = append(m, body...)
	}
	for _, want := range []string{`route="POST /chatwoot/webhook"`, `channel="chatwoot"`} {
		if !strings.Contains(string(m), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// A forged webhook is refused through serve's stack too.
	if code := fake.Post(t, a.url+chatwootWebhookPath+"/not-the-secret-0123", body, nil); code != http.StatusUnauthorized {
		t.Errorf("forged webhook = %d", code)
	}
}
