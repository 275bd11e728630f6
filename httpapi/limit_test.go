package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/posbot/posbot/bot"
)

// Requests without a conversation_id are limited by client address; those
// continuing a conversation are left to the engine's own limit.
func TestNewConversationLimit(t *testing.T) {
	t.Parallel()
	var got bot.Message
	s := New(echo(&got), Options{
		Logger:           slog.New(slog.DiscardHandler),
		NewConversations: &bot.MemoryLimiter{Limit: 2, Window: time.Minute},
	})
	post := func(remote, body string) *http.Response {
		req := httptest.NewRequest(http.MethodPost, "/v1/messages", strings.NewReader(body))
		req.RemoteAddr = remote
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec.Result()
	}
	const fresh = `{"text":"交易失败 51"}`
	for i := range 2 {
		if res := post("192.0.2.1:1000", fresh); res.StatusCode != http.StatusOK {
			t.Fatalf("new conversation %d: status %d, want 200", i+1, res.StatusCode)
		}
	}
	res := post("192.0.2.1:1001", fresh)
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third new conversation from one address: status %d, want 429", res.StatusCode)
	}
	if ra := res.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After = %q, want whole seconds > 0", ra)
	}
	var body errorBody
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatalf("429 body: %v", err)
	}
	if !strings.Contains(body.Error, "秒后再试") || !strings.Contains(body.Error, "retry in") {
		t.Errorf("429 error %q is not the bilingual wait-and-retry message", body.Error)
	}
	if res := post("192.0.2.2:1000", fresh); res.StatusCode != http.StatusOK {
		t.Errorf("another address: status %d, want 200", res.StatusCode)
	}
	if res := post("192.0.2.1:1000", `{"conversation_id":"abc","text":"51"}`); res.StatusCode != http.StatusOK {
		t.Errorf("continuing a conversation: status %d, want 200", res.StatusCode)
	}
}

func TestNewConversationLimiterFailsOpen(t *testing.T) {
	t.Parallel()
	var got bot.Message
	s := New(echo(&got), Options{Logger: slog.New(slog.DiscardHandler), NewConversations: downLimiter{}})
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/messages", strings.NewReader(`{"text":"51"}`)))
	if rec.Code != http.StatusOK {
		t.Errorf("status %d with the limiter down, want 200", rec.Code)
	}
}

type downLimiter struct{}

func (downLimiter) Allow(context.Context, string) (bool, time.Duration, error) {
	return true, 0, errors.New("redis down")
}

func TestClientAddr(t *testing.T) {
	t.Parallel()
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	tests := []struct {
		name    string
		proxies []netip.Prefix
		remote  string
		xff     []string
		want    string
	}{
		{"no proxies: the connection", nil, "203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"untrusted sender: header ignored", proxies, "203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"trusted proxy: the client it saw", proxies, "10.0.0.2:5000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"spoofed entries left of the real client", proxies, "10.0.0.2:5000", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1"},
		{"a chain of trusted proxies", proxies, "10.0.0.2:5000", []string{"198.51.100.1, 10.0.0.9", "10.0.0.3"}, "198.51.100.1"},
		{"a garbled entry: the nearest trusted proxy", proxies, "10.0.0.2:5000", []string{"198.51.100.1, nonsense"}, "10.0.0.2"},
		{"trusted proxy without the header", proxies, "10.0.0.2:5000", nil, "10.0.0.2"},
		{"an entry with a port", proxies, "10.0.0.2:5000", []string{"198.51.100.1:4711"}, "198.51.100.1"},
		{"IPv6 by its /64", proxies, "[fd00::1]:5000", []string{"2001:db8:1:2:3:4:5:6"}, "2001:db8:1:2::/64"},
		{"IPv4-mapped IPv6", nil, "[::ffff:203.0.113.7]:5000", nil, "203.0.113.7"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := New(engineFunc(nil), Options{TrustedProxies: tc.proxies, Logger: slog.New(slog.DiscardHandler)})
			r := httptest.NewRequest(http.MethodPost, "/v1/messages", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := s.clientAddr(r); got != tc.want {
				t.Errorf("clientAddr = %q, want %q", got, tc.want)
			}
		})
	}
}
