package bridge_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/bot/bottest"
	"github.com/posbot/posbot/bridge"
	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/handoff"
	"github.com/posbot/posbot/ocr"
	"github.com/posbot/posbot/ocr/ocrtest"
)

const secret = "bridge-secret-0123456789"

// callbacks is the bridge's own server, receiving posbot's callbacks.
type callbacks struct {
	*httptest.Server
	got chan bridge.Outgoing
}

func newCallbacks(t *testing.T) *callbacks {
	c := &callbacks{got: make(chan bridge.Outgoing, 10)}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ts := r.Header.Get(bridge.HeaderTimestamp)
		if r.Header.Get(bridge.HeaderSignature) != bridge.Sign(secret, ts, body) {
			t.Errorf("callback signature does not check")
			http.Error(w, "bad signature", 401)
			return
		}
		var out bridge.Outgoing
		if err := json.Unmarshal(body, &out); err != nil {
			t.Errorf("callback body: %v", err)
		}
		c.got <- out
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *callbacks) next(t *testing.T) bridge.Outgoing {
	t.Helper()
	select {
	case o := <-c.got:
		return o
	case <-time.After(20 * time.Second):
		t.Fatal("no callback")
	}
	return bridge.Outgoing{}
}

func start(t *testing.T, e channel.Engine, cfg bridge.Config, o ocr.Reader) (*bridge.Bridge, string) {
	t.Helper()
	cfg.Secret = secret
	b, err := bridge.New(cfg, e, bridge.Deps{OCR: o, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(b.Handler())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = b.Run(ctx) }()
	t.Cleanup(func() { srv.Close(); cancel(); <-done })
	return b, srv.URL
}

// post sends body signed at time at with key.
func post(t *testing.T, url, key string, at time.Time, body []byte) (int, bridge.Answer) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	ts := fmt.Sprint(at.Unix())
	req.Header.Set(bridge.HeaderTimestamp, ts)
	req.Header.Set(bridge.HeaderSignature, bridge.Sign(key, ts, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a bridge.Answer
	_ = json.NewDecoder(resp.Body).Decode(&a)
	return resp.StatusCode, a
}

func msg(conv, id, text string) []byte {
	b, _ := json.Marshal(bridge.Incoming{ConversationID: conv, MessageID: id, Text: text})
	return b
}

func TestSignedRequests(t *testing.T) {
	t.Parallel()
	_, url := start(t, bottest.Engine(t), bridge.Config{MaxBodyBytes: 64 << 10}, nil)
	now := time.Now()
	code, a := post(t, url, secret, now, msg("chat-1", "m1", "刷卡显示交易失败51"))
	if code != 200 || a.Status != "answered" || len(a.Messages) != 1 || !strings.Contains(a.Messages[0], "51") || a.Reply.Code != "51" {
		t.Fatalf("good request = %d %+v", code, a)
	}
	tests := []struct {
		name string
		key  string
		at   time.Time
		body []byte
		want int
	}{
		{"bad signature", "another-secret-0123456789", now, msg("chat-1", "m2", "51"), 401},
		{"stale", secret, now.Add(-10 * time.Minute), msg("chat-1", "m3", "51"), 401},
		{"from the future", secret, now.Add(10 * time.Minute), msg("chat-1", "m4", "51"), 401},
		{"oversized", secret, now, msg("chat-1", "m5", strings.Repeat("五", 30<<10)), 413},
		{"message_id again", secret, now.Add(time.Second), msg("chat-1", "m1", "刷卡显示交易失败51"), 409},
		{"no conversation", secret, now, msg("", "m6", "51"), 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, _ := post(t, url, tt.key, tt.at, tt.body); code != tt.want {
				t.Errorf("status %d, want %d", code, tt.want)
			}
		})
	}
	// The very same signed request again: a replay inside the window.
	body := msg("chat-2", "", "交易失败 05")
	if code, _ := post(t, url, secret, now, body); code != 200 {
		t.Fatalf("first = %d", code)
	}
	if code, _ := post(t, url, secret, now, body); code != 409 {
		t.Errorf("replay = %d, want 409", code)
	}
}

type slow struct {
	channel.Engine
	d time.Duration
}

func (s slow) Handle(ctx context.Context, m bot.Message) (bot.Reply, error) {
	time.Sleep(s.d)
	return s.Engine.Handle(ctx, m)
}

func TestSlowAnswerToCallback(t *testing.T) {
	t.Parallel()
	cb := newCallbacks(t)
	_, url := start(t, slow{bottest.Engine(t), 300 * time.Millisecond}, bridge.Config{CallbackURL: cb.URL, Wait: 20 * time.Millisecond}, nil)
	code, a := post(t, url, secret, time.Now(), msg("chat-slow", "s1", "刷卡显示交易失败51"))
	if code != 202 || a.Status != "pending" {
		t.Fatalf("slow request = %d %+v", code, a)
	}
	out := cb.next(t)
	if out.Kind != "reply" || out.ConversationID != "chat-slow" || out.MessageID != "s1" || !strings.Contains(out.Messages[0], "51") {
		t.Errorf("callback %+v", out)
	}
}

func TestScreenshotAndHandoff(t *testing.T) {
	t.Parallel()
	ocrtest.Need(t)
	cb := newCallbacks(t)
	eng := bottest.Engine(t)
	svc, err := handoff.New(handoff.Config{Base: bottest.Base(t)})
	if err != nil {
		t.Fatal(err)
	}
	b, url := start(t, svc.Gate(eng, eng), bridge.Config{CallbackURL: cb.URL}, &ocr.Tesseract{Timeout: 30 * time.Second})
	svc.SetSender("bridge", b)
	img, err := ocrtest.Screen("交易失败 51", "余额不足")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(bridge.Incoming{ConversationID: "w-1", Image: base64.StdEncoding.EncodeToString(img)})
	if code, a := post(t, url, secret, time.Now(), body); code != 200 || !strings.Contains(strings.Join(a.Messages, ""), "余额") {
		t.Fatalf("screenshot = %d %+v", code, a)
	}
	if code, a := post(t, url, secret, time.Now(), msg("w-1", "h1", "转人工")); code != 200 || !a.Reply.Handoff {
		t.Fatalf("handoff = %d %+v", code, a)
	}
	ts, _ := svc.Active(context.Background())
	if len(ts) != 1 || ts[0].Channel != "bridge" {
		t.Fatalf("tickets %+v", ts)
	}
	if _, err := svc.Reply(context.Background(), ts[0].ID, "小李", "您好，请发终端号。", "r1", "test"); err != nil {
		t.Fatal(err)
	}
	if out := cb.next(t); out.Kind != handoff.NoticeAgent || out.ConversationID != "w-1" || !strings.Contains(out.Messages[0], "终端号") {
		t.Errorf("agent message callback %+v", out)
	}
}
