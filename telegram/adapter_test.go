package telegram_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/bot/bottest"
	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/handoff"
	"github.com/posbot/posbot/ocr"
	"github.com/posbot/posbot/ocr/ocrtest"
	"github.com/posbot/posbot/telegram"
)

const (
	token  = "123456:AAE-test-token-never-logged"
	secret = "webhook-secret-never-logged"
)

// realEngine is the offline engine on the real knowledge base.
func realEngine(t testing.TB, outcomes *bot.MemoryOutcomes) *bot.Engine {
	t.Helper()
	return bottest.Engine(t, func(c *bot.Config) { c.Outcomes = outcomes })
}

type harness struct {
	api      *fakeAPI
	a        *telegram.Adapter
	logs     *syncBuffer
	outcomes *bot.MemoryOutcomes
	svc      *handoff.Service // with setup.agentChat

	mu     sync.Mutex
	sleeps []time.Duration
}

type setup struct {
	webhook bool
	engine  channel.Engine // nil means the real offline engine
	ocr     ocr.Reader
	config  func(*telegram.Config)
	// agentChat, when set, is the agents' group: the real engine is gated
	// by a handoff service whose desk the group is.
	agentChat int64
	// handoff configures that service.
	handoff func(*handoff.Config)
}

// start runs an Adapter against a fresh fake Bot API until the test ends.
func start(t testing.TB, s setup) *harness {
	t.Helper()
	h := &harness{api: newFakeAPI(t, token), logs: &syncBuffer{}, outcomes: &bot.MemoryOutcomes{}}
	e := s.engine
	if e == nil {
		e = realEngine(t, h.outcomes)
	}
	if s.agentChat != 0 {
		engine := realEngine(t, h.outcomes)
		hc := handoff.Config{Base: bottest.Base(t)}
		if s.handoff != nil {
			s.handoff(&hc)
		}
		svc, err := handoff.New(hc)
		if err != nil {
			t.Fatal(err)
		}
		h.svc, e = svc, svc.Gate(engine, engine)
	}
	cfg := telegram.Config{Token: token, ServerURL: h.api.URL(), UpdateTimeout: 30 * time.Second, AgentChatID: s.agentChat}
	if s.webhook {
		cfg.WebhookSecret = secret
		cfg.WebhookURL = "https://posbot.example/telegram/webhook"
	}
	if s.config != nil {
		s.config(&cfg)
	}
	a, err := telegram.New(context.Background(), cfg, e, telegram.Deps{
		OCR:     s.ocr,
		Logger:  testLogger(h.logs),
		Sleep:   h.sleep,
		Handoff: h.svc,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.a = a
	if h.svc != nil {
		h.svc.Attach(a.Desk())
		h.svc.SetSender("telegram", a)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("Run did not return after cancel")
		}
		logs := h.logs.String()
		for _, s := range []string{token, secret, "/file/bot"} {
			if strings.Contains(logs, s) {
				t.Errorf("logs contain %q:\n%s", s, logs)
			}
		}
	})
	return h
}

// sleep records the wait instead of sleeping.
func (h *harness) sleep(ctx context.Context, d time.Duration) error {
	h.mu.Lock()
	h.sleeps = append(h.sleeps, d)
	h.mu.Unlock()
	return ctx.Err()
}

func (h *harness) slept() []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]time.Duration(nil), h.sleeps...)
}

// post delivers an update to the webhook handler with the given secret.
func (h *harness) post(update, secret string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/telegram/webhook", strings.NewReader(update))
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	rec := httptest.NewRecorder()
	h.a.WebhookHandler().ServeHTTP(rec, req)
	return rec
}

// fakeEngine answers with functions; nil functions echo.
type fakeEngine struct {
	handle func(ctx context.Context, m bot.Message) (bot.Reply, error)
	resets atomic.Int32
}

func (f *fakeEngine) Handle(ctx context.Context, m bot.Message) (bot.Reply, error) {
	if f.handle != nil {
		return f.handle(ctx, m)
	}
	return bot.Reply{Answer: strings.Join(strings.Fields("echo "+m.Text+" "+string(m.Intent)), " ")}, nil
}

func (f *fakeEngine) Feedback(ctx context.Context, conv string, solved bool) (bot.Reply, error) {
	return bot.Reply{Answer: fmt.Sprint("feedback ", solved)}, nil
}

func (f *fakeEngine) Reset(ctx context.Context, conv string) error {
	f.resets.Add(1)
	return nil
}

func TestTextAnswered(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	h.api.push(textUpdate(1, 1001, "刷卡显示交易失败51"))
	m := h.api.waitMessages(t, 1001, 1)[0]
	if !strings.Contains(m.Text, "51") || !strings.Contains(m.Text, "余额") {
		t.Errorf("answer lacks 51 / 余额:\n%s", m.Text)
	}
	if !m.hasFeedback() {
		t.Errorf("diagnostic answer has no 解决了/没解决 buttons: %+v", m.Buttons)
	}
	calls := h.api.snapshot()
	if count(calls, "deleteWebhook") != 1 {
		t.Error("long polling did not delete the webhook first")
	}
	for _, c := range calls {
		if c.Method == "sendMessage" {
			if c.Form["parse_mode"] != "" {
				t.Errorf("parse_mode %q, want plain text", c.Form["parse_mode"])
			}
			if strings.Contains(c.Form["reply_markup"], "copy_text") {
				t.Errorf("reply_markup carries copy_text: %s", c.Form["reply_markup"])
			}
		}
	}
}

// needOCR skips without tesseract or a CJK font, and fails in CI.
func needOCR(t testing.TB) {
	t.Helper()
	var err error
	if _, err = exec.LookPath("tesseract"); err == nil {
		_, err = ocrtest.FontPath()
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("OCR prerequisites missing in CI: %v", err)
		}
		t.Skipf("OCR prerequisites missing: %v", err)
	}
}

func TestScreenshotReadByOCR(t *testing.T) {
	t.Parallel()
	needOCR(t)
	tests := []struct {
		name   string
		lines  []string
		update func(id, chat int64, fileID string, size int) string
		want   []string // all must be in the answer
	}{
		{"photo of code 51", []string{"交易失败 51", "余额不足"},
			func(id, chat int64, f string, n int) string { return photoUpdate(id, chat, f, "", n) },
			[]string{"51", "余额"}},
		{"image sent as a file", []string{"交易失败 51", "余额不足"},
			func(id, chat int64, f string, n int) string { return documentUpdate(id, chat, f, "image/png", n) },
			[]string{"51", "余额"}},
		{"photo of code A0", []string{"A0 MAC校验错", "请重新签到"},
			func(id, chat int64, f string, n int) string { return photoUpdate(id, chat, f, "", n) },
			[]string{"A0", "签到"}},
	}
	h := start(t, setup{ocr: &ocr.Tesseract{Timeout: 30 * time.Second}})
	for i, tt := range tests { // in order: update ids increase, as Telegram's do
		img, err := ocrtest.Screen(tt.lines...)
		if err != nil {
			t.Fatal(err)
		}
		fileID := fmt.Sprint("screen", i)
		h.api.addFile(fileID, img)
		h.api.push(tt.update(int64(100+i), int64(2000+i), fileID, len(img)))
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			chat := int64(2000 + i)
			m := h.api.waitMessages(t, chat, 1)[0]
			for _, w := range tt.want {
				if !strings.Contains(m.Text, w) {
					t.Errorf("answer to %q lacks %q:\n%s", tt.lines, w, m.Text)
				}
			}
		})
	}
}

func TestUnreadableImages(t *testing.T) {
	t.Parallel()
	h := start(t, setup{
		ocr:    &ocr.Tesseract{Timeout: 30 * time.Second},
		config: func(c *telegram.Config) { c.MaxImageBytes = 1 << 20 },
	})
	h.api.addFile("notimage", []byte("this is not an image at all"))
	h.api.addFile("big", make([]byte, 2<<20))
	h.api.addFile("gone", nil) // getFile knows it, the download is 404

	tests := []struct {
		name   string
		update string
		chat   int64
		want   string
	}{
		{"broken image", documentUpdate(1, 3001, "notimage", "image/png", 27), 3001, "没能看清"},
		{"too large by declared size", photoUpdate(2, 3002, "big", "", 5<<20), 3002, "太大"},
		{"too large when downloaded", photoUpdate(3, 3003, "big", "", 0), 3003, "太大"},
		{"unknown file", photoUpdate(4, 3004, "missing", "", 100), 3004, "没能看清"},
		{"download fails", photoUpdate(6, 3006, "gone", "", 100), 3006, "没能看清"},
		{"sticker", fmt.Sprintf(`{"update_id":7,"message":{"message_id":7,"date":1764000000,"chat":{"id":3005,"type":"private"},"sticker":{"file_id":"s","file_unique_id":"s","type":"regular","width":1,"height":1,"is_animated":false,"is_video":false}}}`), 3005, "文字和图片"},
	}
	for _, tt := range tests {
		h.api.push(tt.update)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := h.api.waitMessages(t, tt.chat, 1)[0]
			if !strings.Contains(m.Text, tt.want) {
				t.Errorf("reply lacks %q:\n%s", tt.want, m.Text)
			}
		})
	}
}

func TestUnreadableImageWithCaption(t *testing.T) {
	t.Parallel()
	h := start(t, setup{ocr: &ocr.Tesseract{}})
	h.api.addFile("blurry", []byte("GIF89a-but-broken"))
	h.api.push(photoUpdate(1, 3100, "blurry", "刷卡显示交易失败51", 17))
	got := h.api.waitMessages(t, 3100, 2)
	if !strings.Contains(got[0].Text, "没能看清") {
		t.Errorf("first reply does not say the picture was unreadable: %s", got[0].Text)
	}
	if !strings.Contains(got[1].Text, "余额") {
		t.Errorf("the caption was not answered: %s", got[1].Text)
	}
}

func TestClarifyingQuestionButtons(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	const chat = 4001
	h.api.push(textUpdate(1, chat, "刷卡失败了"))
	q := h.api.waitMessages(t, chat, 1)[0]
	data, ok := q.data("所有卡都刷不了")
	if !ok {
		t.Fatalf("clarifying question has no option button 所有卡都刷不了: %q %+v", q.Text, q.Buttons)
	}
	if q.hasFeedback() {
		t.Error("a clarifying question carries 解决了/没解决")
	}
	if len(data) > 64 {
		t.Errorf("callback data is %d bytes, limit 64", len(data))
	}
	h.api.push(callbackUpdate(2, chat, data))
	got := h.api.waitMessages(t, chat, 2)
	if !got[1].hasFeedback() {
		t.Errorf("tapping the option did not lead to a diagnosis:\n%s", got[1].Text)
	}
	calls := h.api.waitFor(t, "answerCallbackQuery", func(c []apiCall) bool { return count(c, "answerCallbackQuery") == 1 })
	for _, c := range calls {
		if c.Method == "answerCallbackQuery" && c.Form["callback_query_id"] != "cq2" {
			t.Errorf("answered callback query %q, want cq2", c.Form["callback_query_id"])
		}
	}

	// The same option typed gives the same answer in a fresh chat.
	h.api.push(textUpdate(3, chat+1, "刷卡失败了"))
	h.api.waitMessages(t, chat+1, 1)
	h.api.push(textUpdate(4, chat+1, "所有卡都刷不了"))
	typed := h.api.waitMessages(t, chat+1, 2)[1]
	if typed.Text != got[1].Text {
		t.Errorf("tapping and typing differ:\ntapped: %s\ntyped:  %s", got[1].Text, typed.Text)
	}
}

func TestLongOptionUsesIndex(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("很长的选项", 10) // 150 bytes
	var seen []string
	var mu sync.Mutex
	e := &fakeEngine{handle: func(_ context.Context, m bot.Message) (bot.Reply, error) {
		mu.Lock()
		seen = append(seen, m.Text)
		mu.Unlock()
		return bot.Reply{Answer: "请选择", Clarify: true, Options: []string{"短", long}}, nil
	}}
	h := start(t, setup{engine: e})
	h.api.push(textUpdate(1, 4100, "hi"))
	q := h.api.waitMessages(t, 4100, 1)[0]
	data, _ := q.data("很长")
	if data != "opt:1" {
		t.Fatalf("long option data = %q, want opt:1", data)
	}
	h.api.push(callbackUpdate(2, 4100, data), callbackUpdate(3, 4100, "opt:9"))
	h.api.waitMessages(t, 4100, 2)
	h.api.waitFor(t, "both callbacks answered", func(c []apiCall) bool { return count(c, "answerCallbackQuery") == 2 })
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"hi", long}; !slices.Equal(seen, want) {
		t.Errorf("engine saw %q, want %q (a stale index must not reach it)", seen, want)
	}
}

func TestFeedbackRecorded(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})

	// 解决了
	h.api.push(textUpdate(1, 5001, "交易失败51"))
	a := h.api.waitMessages(t, 5001, 1)[0]
	solved, ok := a.data("解决了")
	if !ok || solved != "fb:1" {
		t.Fatalf("解决了 button data %q", solved)
	}
	h.api.push(callbackUpdate(2, 5001, solved))
	h.api.waitMessages(t, 5001, 2)

	// 没解决 → next cause with a 转人工 button → a person.
	h.api.push(textUpdate(3, 5002, "交易失败51"))
	h.api.waitMessages(t, 5002, 1)
	h.api.push(callbackUpdate(4, 5002, "fb:0"))
	next := h.api.waitMessages(t, 5002, 2)[1]
	human, ok := next.data("转人工")
	if !ok {
		t.Fatalf("没解决 reply has no 转人工 button:\n%s\n%+v", next.Text, next.Buttons)
	}
	h.api.push(callbackUpdate(5, 5002, human))
	handoff := h.api.waitMessages(t, 5002, 3)[2]
	if handoff.hasFeedback() {
		t.Errorf("handoff reply carries 解决了/没解决:\n%s", handoff.Text)
	}

	byConv := map[string][]bool{}
	for _, o := range h.outcomes.All() {
		byConv[o.ConversationID] = append(byConv[o.ConversationID], o.Solved)
		if o.PassageID == "" {
			t.Errorf("outcome without passage: %+v", o)
		}
	}
	if got := byConv["tg:5001"]; !slices.Equal(got, []bool{true}) {
		t.Errorf("tg:5001 outcomes %v, want [true]", got)
	}
	if got := byConv["tg:5002"]; len(got) == 0 || got[0] {
		t.Errorf("tg:5002 outcomes %v, want [false …]", got)
	}
}

func TestRateLimitHonoured(t *testing.T) {
	t.Parallel()
	h := start(t, setup{engine: &fakeEngine{}})
	var once atomic.Bool
	h.api.setFail(func(c apiCall) (string, bool) {
		if c.Method == "sendMessage" && once.CompareAndSwap(false, true) {
			return `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 2","parameters":{"retry_after":2}}`, true
		}
		return "", false
	})
	h.api.push(textUpdate(1, 6001, "hello"))
	m := h.api.waitMessages(t, 6001, 1)[0]
	if m.Text != "echo hello" {
		t.Errorf("sent %q", m.Text)
	}
	if got := h.slept(); !slices.Equal(got, []time.Duration{2 * time.Second}) {
		t.Errorf("slept %v, want [2s] (the retry_after)", got)
	}
	if n := count(h.api.snapshot(), "sendMessage"); n != 2 {
		t.Errorf("%d sendMessage calls, want 2", n)
	}
}

func TestSendRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		body      string
		failures  int
		wantCalls int
		wantSent  bool
		wantSlept []time.Duration
	}{
		{"blocked user is not retried", `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`, 100, 1, false, nil},
		{"bad request is not retried", `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`, 100, 1, false, nil},
		{"server error retried with backoff", `{"ok":false,"error_code":500,"description":"Internal Server Error"}`, 2, 3, true,
			[]time.Duration{500 * time.Millisecond, time.Second}},
		{"bounded retries", `{"ok":false,"error_code":502,"description":"Bad Gateway"}`, 100, 4, false,
			[]time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := start(t, setup{engine: &fakeEngine{}})
			var n atomic.Int32
			h.api.setFail(func(c apiCall) (string, bool) {
				if c.Method == "sendMessage" && c.Form["text"] == "echo hello" && n.Add(1) <= int32(tt.failures) {
					return tt.body, true
				}
				return "", false
			})
			h.api.push(textUpdate(1, 6100, "hello"), textUpdate(2, 6100, "next"))
			// The reply to the second update shows the first one is done with.
			h.api.waitFor(t, "the second update answered", func(c []apiCall) bool {
				return slices.ContainsFunc(messages(c, 6100), func(m sentMessage) bool { return m.Text == "echo next" })
			})
			calls := h.api.snapshot()
			if n := int(n.Load()); min(n, tt.failures)+btoi(tt.wantSent) != tt.wantCalls {
				t.Errorf("%d sendMessage calls for the first update, want %d", min(n, tt.failures)+btoi(tt.wantSent), tt.wantCalls)
			}
			sent := slices.ContainsFunc(messages(calls, 6100), func(m sentMessage) bool { return m.Text == "echo hello" })
			if sent != tt.wantSent {
				t.Errorf("sent = %v, want %v", sent, tt.wantSent)
			}
			if got := h.slept(); !slices.Equal(got, tt.wantSlept) {
				t.Errorf("slept %v, want %v", got, tt.wantSlept)
			}
		})
	}
}

func TestWebhookRejects(t *testing.T) {
	t.Parallel()
	var handled atomic.Int32
	e := &fakeEngine{handle: func(_ context.Context, m bot.Message) (bot.Reply, error) {
		handled.Add(1)
		return bot.Reply{Answer: "ok"}, nil
	}}
	h := start(t, setup{webhook: true, engine: e})
	valid := textUpdate(1, 7001, "交易失败51")
	tests := []struct {
		name   string
		method string
		body   string
		secret string
		want   int
	}{
		{"forged secret", http.MethodPost, valid, "guess", http.StatusUnauthorized},
		{"secret prefix", http.MethodPost, valid, secret[:len(secret)-1], http.StatusUnauthorized},
		{"no secret", http.MethodPost, valid, "", http.StatusUnauthorized},
		{"bad JSON", http.MethodPost, `{"update_id":`, secret, http.StatusBadRequest},
		{"not an update", http.MethodPost, `{"hello":"world"}`, secret, http.StatusBadRequest},
		{"GET", http.MethodGet, "", secret, http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(tt.method, "/telegram/webhook", strings.NewReader(tt.body))
		if tt.secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", tt.secret)
		}
		rec := httptest.NewRecorder()
		h.a.WebhookHandler().ServeHTTP(rec, req)
		if rec.Code != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, rec.Code, tt.want)
		}
	}
	// A valid update afterwards is handled: the forged one was not recorded
	// as seen, and nothing was handled before it.
	if rec := h.post(valid, secret); rec.Code != http.StatusOK {
		t.Fatalf("valid update: status %d", rec.Code)
	}
	h.api.waitMessages(t, 7001, 1)
	if n := handled.Load(); n != 1 {
		t.Errorf("engine handled %d messages, want 1", n)
	}
	calls := h.api.waitFor(t, "setWebhook", func(c []apiCall) bool { return count(c, "setWebhook") > 0 })
	for _, c := range calls {
		if c.Method == "setWebhook" && (c.Form["secret_token"] != secret || c.Form["url"] != "https://posbot.example/telegram/webhook") {
			t.Errorf("setWebhook form %v", c.Form)
		}
	}
}

func TestDuplicateUpdateAnsweredOnce(t *testing.T) {
	t.Parallel()
	t.Run("webhook", func(t *testing.T) {
		t.Parallel()
		h := start(t, setup{webhook: true})
		u := textUpdate(42, 8001, "刷卡显示交易失败51")
		for range 3 {
			if rec := h.post(u, secret); rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
		}
		h.post(commandUpdate(43, 8001, "/help"), secret) // a marker: handled after 42
		got := h.api.waitMessages(t, 8001, 2)
		if !strings.Contains(got[1].Text, "使用说明") {
			t.Fatalf("update 42 answered twice: %q", got[1].Text)
		}
		time.Sleep(50 * time.Millisecond)
		if got := messages(h.api.snapshot(), 8001); len(got) != 2 {
			t.Errorf("%d replies, want 2", len(got))
		}
	})
	t.Run("polling", func(t *testing.T) {
		t.Parallel()
		h := start(t, setup{})
		u := textUpdate(42, 8002, "刷卡显示交易失败51")
		h.api.push(u, u)
		h.api.push(u, commandUpdate(43, 8002, "/help"))
		h.api.waitMessages(t, 8002, 2)
		time.Sleep(50 * time.Millisecond)
		got := messages(h.api.snapshot(), 8002)
		if len(got) != 2 || !strings.Contains(got[1].Text, "使用说明") {
			t.Errorf("replies %+v, want one answer to 42 and one to 43", got)
		}
	})
}

// panicky panics on the first message of one chat, then behaves.
type panicky struct {
	channel.Engine
	conv string
	done atomic.Bool
}

func (p *panicky) Handle(ctx context.Context, m bot.Message) (bot.Reply, error) {
	if m.ConversationID == p.conv && p.done.CompareAndSwap(false, true) {
		panic("engine exploded")
	}
	return p.Engine.Handle(ctx, m)
}

func TestPanicRecovered(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"polling", "webhook"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			p := &panicky{conv: "tg:666"}
			h := start(t, setup{webhook: mode == "webhook", engine: p,
				config: func(c *telegram.Config) { c.Workers = 1 }})
			p.Engine = realEngine(t, h.outcomes)
			updates := []string{textUpdate(1, 666, "交易失败51"), textUpdate(2, 666, "交易失败51"), textUpdate(3, 667, "交易失败51")}
			for _, u := range updates {
				if mode == "webhook" {
					if rec := h.post(u, secret); rec.Code != http.StatusOK {
						t.Fatalf("status %d", rec.Code)
					}
				} else {
					h.api.push(u)
				}
			}
			if m := h.api.waitMessages(t, 666, 1)[0]; !strings.Contains(m.Text, "余额") {
				t.Errorf("after the panic, chat 666 got %q", m.Text)
			}
			h.api.waitMessages(t, 667, 1)
			if !strings.Contains(h.logs.String(), "engine exploded") {
				t.Error("the panic was not logged")
			}
		})
	}
}

func TestPerChatOrder(t *testing.T) {
	t.Parallel()
	const chats, perChat = 6, 25
	var mu sync.Mutex
	seen := map[string][]string{}
	e := &fakeEngine{handle: func(_ context.Context, m bot.Message) (bot.Reply, error) {
		time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond)
		mu.Lock()
		seen[m.ConversationID] = append(seen[m.ConversationID], m.Text)
		mu.Unlock()
		return bot.Reply{Answer: m.Text}, nil
	}}
	h := start(t, setup{webhook: true, engine: e, config: func(c *telegram.Config) { c.Workers = 3 }})
	var wg sync.WaitGroup
	for c := range chats {
		wg.Go(func() {
			for i := range perChat {
				id := int64(1 + c*perChat + i)
				if rec := h.post(textUpdate(id, int64(9000+c), fmt.Sprint("m", i)), secret); rec.Code != http.StatusOK {
					t.Errorf("status %d", rec.Code)
				}
			}
		})
	}
	wg.Wait()
	for c := range chats {
		got := h.api.waitMessages(t, int64(9000+c), perChat)
		for i, m := range got {
			if want := fmt.Sprint("m", i); m.Text != want {
				t.Fatalf("chat %d: reply %d is %q, want %q", 9000+c, i, m.Text, want)
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for conv, texts := range seen {
		for i, s := range texts {
			if s != fmt.Sprint("m", i) {
				t.Fatalf("%s: engine saw %q at %d", conv, s, i)
			}
		}
	}
}

func TestUpdateDeadline(t *testing.T) {
	t.Parallel()
	e := &fakeEngine{handle: func(ctx context.Context, m bot.Message) (bot.Reply, error) {
		if strings.Contains(m.Text, "slow") || strings.Contains(m.Text, "慢") {
			<-ctx.Done()
			return bot.Reply{}, ctx.Err()
		}
		return bot.Reply{Answer: "fast"}, nil
	}}
	h := start(t, setup{engine: e, config: func(c *telegram.Config) { c.UpdateTimeout = 300 * time.Millisecond }})
	h.api.push(textUpdate(1, 9500, "这次很慢"), textUpdate(2, 9500, "the terminal is slow"), textUpdate(3, 9500, "next"))
	got := h.api.waitMessages(t, 9500, 3)
	// The apology is in the language of the message it answers.
	if got[0].Text != text(t, "telegram", "zh", "failed") || got[1].Text != text(t, "telegram", "en", "failed") || got[2].Text != "fast" {
		t.Errorf("replies %+v, want an apology in Chinese, one in English, then the next answer", got)
	}
}

func TestLongReplySplit(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := range 400 {
		fmt.Fprintf(&b, "第%d步：请检查终端的通讯参数与网络设置 😀\n", i)
	}
	long := strings.TrimSpace(b.String())
	e := &fakeEngine{handle: func(context.Context, bot.Message) (bot.Reply, error) {
		return bot.Reply{Answer: long, Sources: []bot.Source{{ID: "x"}}}, nil
	}}
	h := start(t, setup{engine: e})
	h.api.push(textUpdate(1, 9600, "long please"))
	want := (len(utf16.Encode([]rune(long))) + 4095) / 4096
	got := h.api.waitMessages(t, 9600, want)
	time.Sleep(50 * time.Millisecond)
	got = messages(h.api.snapshot(), 9600)
	var parts []string
	for i, m := range got {
		if n := len(utf16.Encode([]rune(m.Text))); n > 4096 {
			t.Errorf("part %d is %d UTF-16 units", i, n)
		}
		if !strings.HasPrefix(m.Text, "第") || !strings.HasSuffix(m.Text, "😀") {
			t.Errorf("part %d not cut at a line break: starts %q, ends %q", i, m.Text[:6], m.Text[len(m.Text)-6:])
		}
		if (m.Buttons != nil) != (i == len(got)-1) {
			t.Errorf("part %d of %d: buttons %v; want them on the last part only", i, len(got), m.Buttons != nil)
		}
		parts = append(parts, m.Text)
	}
	if strings.Join(parts, "\n") != long {
		t.Error("the parts do not add up to the answer")
	}
	if len(got) < 2 {
		t.Errorf("%d parts, want several", len(got))
	}
}

func TestCommands(t *testing.T) {
	t.Parallel()
	e := &fakeEngine{}
	h := start(t, setup{engine: e})
	tests := []struct {
		cmd  string
		want string
	}{
		{"/start", "照片"},
		{"/help", "使用说明"},
		{"/human", "echo human"},
		{"/reset", "已清除"},
		{"/start@posbot_test_bot", "应答码"},
		{"/unknown", "使用说明"},
	}
	h.api.push(commandUpdate(1, 9700, "/start@some_other_bot")) // not for us: no reply
	for i, tt := range tests {
		h.api.push(commandUpdate(int64(i+2), 9700, tt.cmd)) // update ids increase, as Telegram's do
	}
	got := h.api.waitMessages(t, 9700, len(tests))
	if len(got) != len(tests) {
		t.Fatalf("%d replies to %d commands for this bot", len(got), len(tests))
	}
	for i, tt := range tests {
		if !strings.Contains(got[i].Text, tt.want) {
			t.Errorf("%s: reply %q lacks %q", tt.cmd, got[i].Text, tt.want)
		}
	}
	// /start greets in both languages: Telegram has not said which one the merchant writes.
	if want := text(t, "telegram", "zh", "start") + "\n\n" + text(t, "telegram", "en", "start"); got[0].Text != want {
		t.Errorf("/start: %q, want %q", got[0].Text, want)
	}
	if n := e.resets.Load(); n != 1 {
		t.Errorf("engine.Reset called %d times, want 1", n)
	}
}

func TestNewRefusesBadToken(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t, token)
	_, err := telegram.New(context.Background(), telegram.Config{Token: "999:wrong", ServerURL: api.URL()}, &fakeEngine{}, telegram.Deps{})
	if err == nil {
		t.Fatal("New accepted a token the server refuses")
	}
	if strings.Contains(err.Error(), "999:wrong") {
		t.Errorf("error shows the token: %v", err)
	}
	if _, err := telegram.New(context.Background(), telegram.Config{}, &fakeEngine{}, telegram.Deps{}); err == nil {
		t.Error("New accepted an empty token")
	}
}

func TestTypingWhileAnswering(t *testing.T) {
	t.Parallel()
	var h *harness
	e := &fakeEngine{handle: func(ctx context.Context, m bot.Message) (bot.Reply, error) {
		// A slow answer: wait until "typing" was shown twice.
		h.api.waitFor(t, "two typing actions", func(c []apiCall) bool { return count(c, "sendChatAction") >= 2 })
		return bot.Reply{Answer: "done"}, nil
	}}
	h = start(t, setup{engine: e, config: func(c *telegram.Config) { c.TypingInterval = 20 * time.Millisecond }})
	h.api.push(textUpdate(1, 9800, "hi"))
	h.api.waitMessages(t, 9800, 1)
	for _, c := range h.api.snapshot() {
		if c.Method == "sendChatAction" && (c.Form["action"] != "typing" || c.Form["chat_id"] != "9800") {
			t.Errorf("chat action %v", c.Form)
		}
	}
	// Typing stops once the answer is out.
	n := count(h.api.snapshot(), "sendChatAction")
	time.Sleep(100 * time.Millisecond)
	if m := count(h.api.snapshot(), "sendChatAction"); m != n {
		t.Errorf("typing went on after the answer: %d → %d actions", n, m)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestHangingDownloadDoesNotDelayOtherChats: a screenshot whose download
// never answers holds its own chat only: the other chats, many more than
// there are workers, are all answered while it hangs, and the merchant who
// sent it gets a polite reply once the download's own deadline passes.
func TestHangingDownloadDoesNotDelayOtherChats(t *testing.T) {
	t.Parallel()
	h := start(t, setup{webhook: true, ocr: &ocr.Tesseract{}, config: func(c *telegram.Config) {
		c.Workers = 2
		c.DownloadTimeout = 5 * time.Second // far more than the other chats' answers take
	}})
	release := h.api.hangFile("stuck", []byte("\x89PNG\r\n\x1a\n not read"))
	t.Cleanup(release)
	const stuck = 7000
	if rec := h.post(photoUpdate(1, stuck, "stuck", "", 1000), secret); rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	h.api.waitFor(t, "the download to start", func([]apiCall) bool { return h.api.downloadsHanging() == 1 })
	const others = 12
	for i := range others {
		if rec := h.post(textUpdate(int64(10+i), int64(7100+i), "刷卡显示交易失败51"), secret); rec.Code != http.StatusOK {
			t.Fatalf("status %d", rec.Code)
		}
	}
	answered := 0
	h.api.waitFor(t, "the other chats' answers", func(calls []apiCall) bool {
		answered = 0
		for i := range others {
			if len(messages(calls, int64(7100+i))) > 0 {
				answered++
			}
		}
		return answered == others || h.api.downloadsHanging() == 0
	})
	if hanging := h.api.downloadsHanging(); answered < others || hanging == 0 {
		t.Errorf("%d of %d other chats answered while the download hung (hanging: %d)", answered, others, hanging)
	}
	m := h.api.waitMessages(t, stuck, 1)[0]
	if want := text(t, "screens", "zh", "image_unreadable"); m.Text != want {
		t.Errorf("the merchant whose download hung got %q, want %q", m.Text, want)
	}
}
