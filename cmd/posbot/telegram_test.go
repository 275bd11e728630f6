package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/posbot/posbot/bot/bottest"
	"github.com/posbot/posbot/httpapi"
)

func TestLoadTelegramConfig(t *testing.T) {
	t.Parallel()
	const tok = "123456:AAE-secret_token"
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string // the variable named in the error; "" for none
		check   func(t *testing.T, c telegramConfig)
	}{
		{"off", nil, "", func(t *testing.T, c telegramConfig) {
			if c.Enabled() {
				t.Error("enabled without a token")
			}
		}},
		{"polling", map[string]string{"POSBOT_TELEGRAM_TOKEN": tok}, "", func(t *testing.T, c telegramConfig) {
			if !c.Enabled() || c.WebhookSecret != "" || c.Workers != 32 || c.TesseractPath != "tesseract" {
				t.Errorf("%+v", c)
			}
		}},
		{"webhook", map[string]string{"POSBOT_TELEGRAM_TOKEN": tok, "POSBOT_TELEGRAM_WEBHOOK_SECRET": "s3cr3t_-",
			"POSBOT_TELEGRAM_WEBHOOK_URL": "https://bot.example.com/telegram/webhook", "POSBOT_TELEGRAM_WORKERS": "16"}, "",
			func(t *testing.T, c telegramConfig) {
				if c.Workers != 16 || c.WebhookURL == "" {
					t.Errorf("%+v", c)
				}
			}},
		{"secret without token", map[string]string{"POSBOT_TELEGRAM_WEBHOOK_SECRET": "x"}, "POSBOT_TELEGRAM_TOKEN", nil},
		{"malformed token", map[string]string{"POSBOT_TELEGRAM_TOKEN": "not a token"}, "POSBOT_TELEGRAM_TOKEN", nil},
		{"api url", map[string]string{"POSBOT_TELEGRAM_TOKEN": tok, "POSBOT_TELEGRAM_API_URL": "ftp://x"}, "POSBOT_TELEGRAM_API_URL", nil},
		{"bad secret", map[string]string{"POSBOT_TELEGRAM_TOKEN": tok, "POSBOT_TELEGRAM_WEBHOOK_SECRET": "has space"}, "POSBOT_TELEGRAM_WEBHOOK_SECRET", nil},
		{"url without secret", map[string]string{"POSBOT_TELEGRAM_TOKEN": tok, "POSBOT_TELEGRAM_WEBHOOK_URL": "https://x/telegram/webhook"}, "POSBOT_TELEGRAM_WEBHOOK_URL", nil},
		{"http url", map[string]string{"POSBOT_TELEGRAM_TOKEN": tok, "POSBOT_TELEGRAM_WEBHOOK_SECRET": "s", "POSBOT_TELEGRAM_WEBHOOK_URL": "http://x/telegram/webhook"}, "POSBOT_TELEGRAM_WEBHOOK_URL", nil},
		{"workers", map[string]string{"POSBOT_TELEGRAM_TOKEN": tok, "POSBOT_TELEGRAM_WORKERS": "0"}, "POSBOT_TELEGRAM_WORKERS", nil},
		{"agent chat", map[string]string{"POSBOT_TELEGRAM_TOKEN": tok, "POSBOT_TELEGRAM_AGENT_CHAT_ID": "-1001234567890"}, "",
			func(t *testing.T, c telegramConfig) {
				if c.AgentChatID != -1001234567890 {
					t.Errorf("%+v", c)
				}
			}},
		{"agent chat without token", map[string]string{"POSBOT_TELEGRAM_AGENT_CHAT_ID": "-100"}, "POSBOT_TELEGRAM_TOKEN", nil},
		{"bad agent chat", map[string]string{"POSBOT_TELEGRAM_TOKEN": tok, "POSBOT_TELEGRAM_AGENT_CHAT_ID": "agents"}, "POSBOT_TELEGRAM_AGENT_CHAT_ID", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := loadTelegramConfig(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr+":") {
					t.Fatalf("error %v, want one naming %s", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "AAE-secret_token") {
					t.Errorf("error shows the token: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

// TestStartTelegramWebhook wires the channel as serve does, against a
// minimal Bot API, and checks the webhook route is mounted and guarded.
func TestStartTelegramWebhook(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var methods []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		mu.Lock()
		methods = append(methods, method)
		mu.Unlock()
		switch method {
		case "getMe":
			io.WriteString(w, `{"ok":true,"result":{"id":123456,"is_bot":true,"first_name":"posbot","username":"posbot_bot"}}`)
		default:
			io.WriteString(w, `{"ok":true,"result":true}`)
		}
	}))
	defer api.Close()

	e := bottest.Engine(t)
	log := slog.New(slog.DiscardHandler)
	srv := httpapi.New(e, httpapi.Options{Logger: log})
	tc, err := loadTelegramConfig(func(k string) string {
		return map[string]string{
			"POSBOT_TELEGRAM_TOKEN":          "123456:AAE-secret_token",
			"POSBOT_TELEGRAM_API_URL":        api.URL,
			"POSBOT_TELEGRAM_WEBHOOK_SECRET": "hook-secret",
			"POSBOT_TELEGRAM_WEBHOOK_URL":    "https://posbot.example/telegram/webhook",
			"POSBOT_TESSERACT_PATH":          "off",
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	wait, err := startTelegram(ctx, tc, e, nil, nil, nil, nil, time.Second, srv, log)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		secret string
		want   int
	}{{"wrong", http.StatusUnauthorized}, {"hook-secret", http.StatusOK}} {
		req := httptest.NewRequest(http.MethodPost, "/telegram/webhook", strings.NewReader(`{"update_id":1}`))
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", tt.secret)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != tt.want {
			t.Errorf("secret %q: status %d, want %d", tt.secret, rec.Code, tt.want)
		}
	}
	cancel()
	done := make(chan error, 1)
	go func() { done <- wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("wait: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the channel did not stop")
	}
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Join(methods, ","); got != "getMe,setWebhook" {
		t.Errorf("Bot API calls %s, want getMe,setWebhook", got)
	}
}
