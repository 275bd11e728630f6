package wechat_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/bot/bottest"
	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/handoff"
	"github.com/posbot/posbot/ocr"
	"github.com/posbot/posbot/ocr/ocrtest"
	"github.com/posbot/posbot/wechat"
)

type setup struct {
	safe   bool
	engine channel.Engine // nil means the real offline engine
	ocr    ocr.Reader
	config func(*wechat.Config)
}

type rig struct {
	api  *fakeAPI
	a    *wechat.Adapter
	wx   *wechatServer
	logs *syncBuffer
}

// start runs an Adapter against a fresh fake API, its callback handler on a
// test server, until the test ends.
func start(t *testing.T, s setup) *rig {
	t.Helper()
	r := &rig{api: newFakeAPI(t), logs: &syncBuffer{}}
	e := s.engine
	if e == nil {
		e = bottest.Engine(t)
	}
	cfg := wechat.Config{Token: token, AppID: appID, AppSecret: appSecret, APIURL: r.api.URL}
	if s.safe {
		cfg.AESKey = aesKey
	}
	if s.config != nil {
		s.config(&cfg)
	}
	a, err := wechat.New(cfg, e, wechat.Deps{OCR: s.ocr, Logger: slog.New(slog.NewJSONHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	r.a = a
	srv := httptest.NewServer(a.Handler())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		srv.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		logs := r.logs.String()
		for _, secret := range []string{appSecret, "ACCESS_TOKEN_", aesKey} {
			if strings.Contains(logs, secret) {
				t.Errorf("logs contain %q", secret)
			}
		}
	})
	r.wx = &wechatServer{url: srv.URL, safe: s.safe}
	return r
}

func TestURLVerification(t *testing.T) {
	t.Parallel()
	r := start(t, setup{})
	get := func(q url.Values) (int, string) {
		t.Helper()
		resp, err := http.Get(r.wx.url + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	ts := fmt.Sprint(time.Now().Unix())
	good := url.Values{"signature": {sign(token, ts, "n1")}, "timestamp": {ts}, "nonce": {"n1"}, "echostr": {"4312873648"}}
	if code, body := get(good); code != 200 || body != "4312873648" {
		t.Errorf("good verification = %d %q, want 200 and the echostr", code, body)
	}
	bad := url.Values{"signature": {sign("another-token", ts, "n1")}, "timestamp": {ts}, "nonce": {"n1"}, "echostr": {"x"}}
	if code, body := get(bad); code != 401 || strings.Contains(body, "x") {
		t.Errorf("forged verification = %d %q, want 401", code, body)
	}
	old := fmt.Sprint(time.Now().Add(-time.Hour).Unix())
	stale := url.Values{"signature": {sign(token, old, "n1")}, "timestamp": {old}, "nonce": {"n1"}, "echostr": {"x"}}
	if code, _ := get(stale); code != 401 {
		t.Errorf("stale verification = %d, want 401", code)
	}
}

func TestTextAnsweredPassively(t *testing.T) {
	t.Parallel()
	for _, safe := range []bool{false, true} {
		t.Run(map[bool]string{false: "plaintext", true: "safe mode"}[safe], func(t *testing.T) {
			t.Parallel()
			r := start(t, setup{safe: safe})
			code, reply := r.wx.send(t, textXML("o-merchant-1", 1001, "刷卡显示交易失败51"))
			if code != 200 || !strings.Contains(reply, "51") || !strings.Contains(reply, "余额") {
				t.Fatalf("reply = %d %q, want the answer about 51", code, reply)
			}
			if got := r.api.sentTo("o-merchant-1"); len(got) != 0 {
				t.Errorf("a passive answer was also pushed: %q", got)
			}
		})
	}
}

// slow answers after delay, counting calls.
type slow struct {
	channel.Engine
	delay time.Duration
	calls atomic.Int32
}

func (s *slow) Handle(ctx context.Context, m bot.Message) (bot.Reply, error) {
	s.calls.Add(1)
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return bot.Reply{}, ctx.Err()
	}
	return s.Engine.Handle(ctx, m)
}

func TestSlowAnswerPushed(t *testing.T) {
	t.Parallel()
	e := &slow{Engine: bottest.Engine(t), delay: 500 * time.Millisecond}
	r := start(t, setup{safe: true, engine: e, config: func(c *wechat.Config) { c.PassiveWait = 50 * time.Millisecond }})
	began := time.Now()
	code, reply := r.wx.send(t, textXML("o-slow", 2001, "刷卡显示交易失败51"))
	if code != 200 || reply != "success" {
		t.Fatalf("slow answer's callback = %d %q, want an acknowledgement", code, reply)
	}
	if d := time.Since(began); d > 400*time.Millisecond {
		t.Errorf("the acknowledgement took %v", d)
	}
	got := r.api.messages(t, "o-slow", 1)
	if !strings.Contains(got[0], "51") {
		t.Errorf("pushed answer = %q", got[0])
	}
}

func TestDuplicateMsgIDAnsweredOnce(t *testing.T) {
	t.Parallel()
	e := &slow{Engine: bottest.Engine(t), delay: 300 * time.Millisecond}
	r := start(t, setup{engine: e, config: func(c *wechat.Config) { c.PassiveWait = 100 * time.Millisecond }})
	// WeChat retries a callback it got no answer to; here three deliveries
	// of one message race, as retries to two replicas would.
	c := r.wx.wrap(t, textXML("o-dup", 3001, "交易失败 05"), time.Now())
	var wg sync.WaitGroup
	replies := make([]string, 3)
	for i := range replies {
		wg.Go(func() { _, replies[i] = r.wx.post(t, c) })
	}
	wg.Wait()
	r.api.messages(t, "o-dup", 1)
	time.Sleep(500 * time.Millisecond) // room for a wrong second answer
	passive := 0
	for _, rep := range replies {
		if rep != "success" {
			passive++
		}
	}
	if n := passive + len(r.api.sentTo("o-dup")); n != 1 || e.calls.Load() != 1 {
		t.Errorf("answered %d times (passive %d), engine called %d times; want once", n, passive, e.calls.Load())
	}
}

func TestForgedCallbacksRefused(t *testing.T) {
	t.Parallel()
	e := &slow{Engine: bottest.Engine(t)}
	plain := start(t, setup{engine: e})
	safe := start(t, setup{engine: e, safe: true})
	body := textXML("o-forged", 4001, "刷卡显示交易失败51")
	tests := []struct {
		name string
		wx   *wechatServer
		c    func() callback
		want int
	}{
		{"wrong signature", plain.wx, func() callback {
			c := plain.wx.wrap(t, body, time.Now())
			c.query.Set("signature", sign("guessed", c.query.Get("timestamp"), c.query.Get("nonce")))
			return c
		}, 401},
		{"no signature", plain.wx, func() callback {
			c := plain.wx.wrap(t, body, time.Now())
			c.query.Del("signature")
			return c
		}, 401},
		{"replayed an hour later", plain.wx, func() callback { return plain.wx.wrap(t, body, time.Now().Add(-time.Hour)) }, 401},
		{"plaintext in safe mode", safe.wx, func() callback { return plain.wx.wrap(t, body, time.Now()) }, 403},
		{"envelope swapped", safe.wx, func() callback {
			c := safe.wx.wrap(t, body, time.Now())
			other := safe.wx.wrap(t, textXML("o-forged", 4002, "转人工"), time.Now())
			c.body = other.body // signed for another envelope
			return c
		}, 401},
		{"encrypted without a key", plain.wx, func() callback { return safe.wx.wrap(t, body, time.Now()) }, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, reply := tt.wx.post(t, tt.c()); code != tt.want {
				t.Errorf("status %d (%q), want %d", code, reply, tt.want)
			}
		})
	}
	time.Sleep(100 * time.Millisecond)
	if n := e.calls.Load(); n != 0 {
		t.Errorf("the engine answered %d forged callbacks", n)
	}
	if got := plain.api.sentTo("o-forged"); len(got)+len(safe.api.sentTo("o-forged")) != 0 {
		t.Errorf("forged callbacks were answered: %q", got)
	}
}

func TestImageReadByOCR(t *testing.T) {
	t.Parallel()
	ocrtest.Need(t)
	img, err := ocrtest.Screen("交易失败 51", "余额不足")
	if err != nil {
		t.Fatal(err)
	}
	// OCR takes longer than the passive wait would allow on a busy machine:
	// the answer may come either way, once.
	r := start(t, setup{safe: true, ocr: &ocr.Tesseract{Timeout: 30 * time.Second}})
	r.api.mu.Lock()
	r.api.media["media-1"] = img
	r.api.pics["screen.png"] = img
	r.api.mu.Unlock()
	tests := []struct {
		name, openID, body string
	}{
		{"through the media API", "o-img-1", imageXML("o-img-1", 5001, r.api.URL+"/pic/missing.png", "media-1")},
		{"from its PicUrl", "o-img-2", imageXML("o-img-2", 5002, r.api.URL+"/pic/screen.png", "no-such-media")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, reply := r.wx.send(t, tt.body)
			if reply == "success" {
				reply = r.api.messages(t, tt.openID, 1)[0]
			}
			if !strings.Contains(reply, "51") || !strings.Contains(reply, "余额") {
				t.Errorf("answer to the screenshot = %q", reply)
			}
		})
	}
}

func TestUnreadableImage(t *testing.T) {
	t.Parallel()
	r := start(t, setup{ocr: &ocr.Tesseract{Timeout: 30 * time.Second}, config: func(c *wechat.Config) { c.MaxImageBytes = 1 << 10 }})
	r.api.mu.Lock()
	r.api.media["big"] = make([]byte, 4<<10)
	r.api.media["broken"] = []byte("not an image")
	r.api.mu.Unlock()
	for i, tt := range []struct{ media, want string }{{"big", "太大"}, {"broken", "没能看清"}} {
		openID := fmt.Sprint("o-unreadable-", i)
		_, reply := r.wx.send(t, imageXML(openID, int64(5100+i), "", tt.media))
		if reply == "success" {
			reply = r.api.messages(t, openID, 1)[0]
		}
		if !strings.Contains(reply, tt.want) {
			t.Errorf("%s image: reply %q lacks %q", tt.media, reply, tt.want)
		}
	}
}

func TestSubscribeAndVoice(t *testing.T) {
	t.Parallel()
	r := start(t, setup{safe: true})
	if _, reply := r.wx.send(t, eventXML("o-new", "subscribe", time.Now().Unix())); !strings.Contains(reply, "POS 刷卡故障助手") {
		t.Errorf("greeting = %q", reply)
	}
	if _, reply := r.wx.send(t, eventXML("o-new", "unsubscribe", time.Now().Unix())); reply != "success" {
		t.Errorf("unsubscribe answered with %q", reply)
	}
	if _, reply := r.wx.send(t, voiceXML("o-new", 6001, "刷卡显示交易失败五十一")); !strings.Contains(reply, "51") {
		t.Errorf("voice answer = %q", reply)
	}
	if _, reply := r.wx.send(t, voiceXML("o-new", 6002, "")); !strings.Contains(reply, "打字") {
		t.Errorf("voice without recognition answered %q", reply)
	}
}

// fixed answers every message with answer.
type fixed struct {
	channel.Engine
	answer string
}

func (f fixed) Handle(context.Context, bot.Message) (bot.Reply, error) {
	return bot.Reply{Answer: f.answer, Target: "none"}, nil
}

func TestLongReplyPushedInParts(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := range 120 {
		fmt.Fprintf(&b, "%d. 请先核对终端参数，再重新签到一次，然后再试。\n", i+1)
	}
	long := strings.TrimSpace(b.String())
	r := start(t, setup{engine: fixed{bottest.Engine(t), long}})
	if _, reply := r.wx.send(t, textXML("o-long", 7001, "怎么办")); reply != "success" {
		t.Fatalf("a reply of %d bytes was answered passively", len(long))
	}
	time.Sleep(300 * time.Millisecond)
	got := r.api.sentTo("o-long")
	if len(got) < 3 || strings.Join(got, "\n") != long {
		t.Errorf("%d parts that do not add up to the answer", len(got))
	}
	if !strings.HasPrefix(got[0], "1. ") || !strings.HasPrefix(got[1], fmt.Sprint(strings.Count(got[0], "\n")+2, ". ")) {
		t.Errorf("parts out of order or not cut at lines: %q… %q…", got[0][:10], got[1][:10])
	}
}

func TestOutOfWindowNotRetried(t *testing.T) {
	t.Parallel()
	e := &slow{Engine: bottest.Engine(t), delay: 200 * time.Millisecond}
	r := start(t, setup{engine: e, config: func(c *wechat.Config) { c.PassiveWait = 10 * time.Millisecond }})
	r.api.mu.Lock()
	r.api.refuse["o-gone"] = 45015
	r.api.mu.Unlock()
	if _, reply := r.wx.send(t, textXML("o-gone", 8001, "交易失败51")); reply != "success" {
		t.Fatalf("reply %q", reply)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(r.logs.String(), "merchant not reachable") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // a retry would come within this
	if n := r.api.callsTo("o-gone"); n != 1 {
		t.Errorf("send API called %d times for an out-of-window merchant, want 1", n)
	}
	if !strings.Contains(r.logs.String(), `"errcode":45015`) {
		t.Errorf("45015 not logged:\n%s", r.logs.String())
	}
}

func TestExpiredTokenRenewed(t *testing.T) {
	t.Parallel()
	r := start(t, setup{})
	if err := r.a.Send(context.Background(), "wx:o-token", handoff.Notice{Text: "一"}); err != nil {
		t.Fatal(err)
	}
	r.api.mu.Lock()
	r.api.expire = true
	r.api.mu.Unlock()
	if err := r.a.Send(context.Background(), "wx:o-token", handoff.Notice{Text: "二"}); err != nil {
		t.Fatalf("send after the token expired: %v", err)
	}
	r.api.mu.Lock()
	tokens := r.api.tokens
	r.api.mu.Unlock()
	if got := r.api.sentTo("o-token"); len(got) != 2 || tokens != 2 {
		t.Errorf("sent %q with %d tokens, want both with 2", got, tokens)
	}
	if err := r.a.Send(context.Background(), "tg:1", handoff.Notice{Text: "x"}); err == nil {
		t.Error("a Telegram conversation was accepted")
	}
}

// desk records what the handoff posts to agents.
type desk struct {
	mu     sync.Mutex
	events []handoff.Event
}

func (d *desk) Name() string { return "test" }

func (d *desk) Post(_ context.Context, _ handoff.Ticket, e handoff.Event) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.events = append(d.events, e)
	return "", nil
}

func (d *desk) has(kind handoff.EventKind, text string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, e := range d.events {
		if e.Kind == kind && strings.Contains(e.Text, text) {
			return true
		}
	}
	return false
}

// TestHandoff runs a WeChat merchant through the handoff as a Telegram one
// goes: a ticket opens, the agent's claim and reply reach WeChat through
// the customer-service API, the bot is silent while the agent owns the
// conversation and the merchant's messages go to the desk, and closing
// gives the conversation back to the bot.
func TestHandoff(t *testing.T) {
	t.Parallel()
	eng := bottest.Engine(t)
	svc, err := handoff.New(handoff.Config{Base: bottest.Base(t)})
	if err != nil {
		t.Fatal(err)
	}
	d := &desk{}
	svc.Attach(d)
	r := start(t, setup{safe: true, engine: svc.Gate(eng, eng)})
	svc.SetSender("wechat", r.a)
	ctx := context.Background()
	const merchant = "o-handoff"

	if _, reply := r.wx.send(t, textXML(merchant, 9001, "刷卡显示交易失败51")); !strings.Contains(reply, "51") {
		t.Fatalf("first answer %q", reply)
	}
	_, reply := r.wx.send(t, textXML(merchant, 9002, "转人工"))
	if !strings.Contains(reply, "工单 #") || strings.Contains(reply, "给客服的情况摘要") {
		t.Fatalf("handoff reply %q", reply)
	}
	ts, err := svc.Active(ctx)
	if err != nil || len(ts) != 1 || ts[0].ConversationID != "wx:"+merchant || ts[0].Channel != "wechat" {
		t.Fatalf("tickets %+v, %v", ts, err)
	}
	id := ts[0].ID
	if _, err := svc.Claim(ctx, id, "小李", "test"); err != nil {
		t.Fatal(err)
	}
	if got := r.api.messages(t, merchant, 1); !strings.Contains(got[0], "人工") {
		t.Errorf("claim notice %q", got[0])
	}
	if _, reply := r.wx.send(t, textXML(merchant, 9003, "商户号123456789012345，刚才又失败了")); reply != "success" {
		t.Errorf("the bot answered %q while the agent owns the conversation", reply)
	}
	if !d.has(handoff.EventMerchant, "又失败了") {
		t.Error("the merchant's message did not reach the desk")
	}
	if _, err := svc.Reply(ctx, id, "小李", "您好，我看到了，请把终端号发我。", "m1", "test"); err != nil {
		t.Fatal(err)
	}
	if got := r.api.messages(t, merchant, 2); !strings.Contains(got[1], "请把终端号发我") {
		t.Errorf("agent reply reached the merchant as %q", got[1])
	}
	if _, err := svc.Close(ctx, id, "小李", "test"); err != nil {
		t.Fatal(err)
	}
	r.api.messages(t, merchant, 3)
	if _, reply := r.wx.send(t, textXML(merchant, 9004, "交易失败 05")); !strings.Contains(reply, "05") {
		t.Errorf("the bot did not answer again after the ticket closed: %q", reply)
	}
}
