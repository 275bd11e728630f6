package chatwoot_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/bot/bottest"
	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/chatwoot"
	"github.com/posbot/posbot/chatwoot/chatwoottest"
	"github.com/posbot/posbot/dedup"
	"github.com/posbot/posbot/handoff"
	"github.com/posbot/posbot/ocr"
	"github.com/posbot/posbot/ocr/ocrtest"
	"github.com/posbot/posbot/redisstore/redistest"
)

// counting counts the engine's calls per message text.
type counting struct {
	*bot.Engine
	mu    sync.Mutex
	calls map[string]int
	stuck bool // never answers: its messages are under way when the replica stops
}

func (c *counting) Handle(ctx context.Context, m bot.Message) (bot.Reply, error) {
	c.mu.Lock()
	c.calls[m.Text+m.ImageText]++
	c.mu.Unlock()
	if c.stuck {
		<-ctx.Done()
		return bot.Reply{}, ctx.Err()
	}
	return c.Engine.Handle(ctx, m)
}

func (c *counting) count(text string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[text]
}

func (c *counting) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.calls {
		n += v
	}
	return n
}

// logBuffer collects log lines from several goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// rig is a running adapter behind its webhook routes, with a fake Chatwoot
// and the handoff service it keeps tickets in.
type rig struct {
	fake   *chatwoottest.Fake
	svc    *handoff.Service
	engine *counting
	url    string // the webhook URL
	logs   *logBuffer
	stop   func() // stops the replica; also when the test ends
}

type setup struct {
	config   func(*chatwoot.Config)
	dedup    channel.Dedup
	ocr      ocr.Reader
	unsigned bool               // a Chatwoot before 4.13: the secret in the URL
	fake     *chatwoottest.Fake // a Chatwoot shared with another replica
	engine   *counting          // an engine shared with another replica
	svc      *handoff.Service   // tickets shared with another replica
	inbox    channel.InboxStore // an inbox shared with another replica
}

func start(t testing.TB, s setup) *rig {
	t.Helper()
	r := &rig{fake: s.fake, engine: s.engine, svc: s.svc, logs: &logBuffer{}}
	if r.fake == nil {
		r.fake = chatwoottest.New(t)
		r.fake.Unsigned = s.unsigned
	}
	if r.engine == nil {
		r.engine = &counting{Engine: bottest.Engine(t), calls: map[string]int{}}
	}
	if r.svc == nil {
		var err error
		if r.svc, err = handoff.New(handoff.Config{Base: bottest.Base(t)}); err != nil {
			t.Fatal(err)
		}
	}
	cfg := chatwoot.Config{URL: r.fake.URL, Token: r.fake.Token, AccountID: r.fake.AccountID, WebhookSecret: r.fake.Secret}
	if s.config != nil {
		s.config(&cfg)
	}
	a, err := chatwoot.New(cfg, r.engine, chatwoot.Deps{Handoffs: r.svc, States: r.engine.Engine, Dedup: s.dedup, OCR: s.ocr,
		Logger: slog.New(slog.NewJSONHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug})), Inbox: s.inbox})
	if err != nil {
		t.Fatal(err)
	}
	r.svc.SetSender(chatwoot.Channel, a)
	mux := http.NewServeMux()
	mux.Handle("POST /chatwoot/webhook", a.Handler())
	mux.Handle("POST /chatwoot/webhook/{secret}", a.Handler())
	srv := httptest.NewServer(mux)
	r.url = srv.URL + "/chatwoot/webhook"
	if s.unsigned {
		r.fake.SetWebhook(r.url + "/" + r.fake.Secret)
	} else {
		r.fake.SetWebhook(r.url)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := a.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	r.stop = sync.OnceFunc(func() {
		r.fake.Idle()
		cancel()
		<-done
		srv.Close()
		if strings.Contains(r.logs.String(), r.fake.Token) || strings.Contains(r.logs.String(), r.fake.Secret) {
			t.Error("a log line holds the access token or the webhook secret")
		}
	})
	t.Cleanup(r.stop)
	return r
}

// allAnswered200 checks every webhook Chatwoot posted got 200.
func (r *rig) allAnswered200(t *testing.T) {
	t.Helper()
	for _, d := range r.fake.Deliveries() {
		if d.Status != http.StatusOK {
			t.Errorf("webhook %s answered %d", d.Event, d.Status)
		}
	}
}

func TestForgedWebhookRefused(t *testing.T) {
	t.Parallel()
	r := start(t, setup{})
	conv := r.fake.NewConversation()
	p := r.fake.Write(conv, "刷卡显示交易失败51")
	body := r.fake.MessageEvent(p.ID)
	now := time.Now()
	ts := fmt.Sprint(now.Unix())
	tampered := bytes.Replace(body, []byte("51"), []byte("05"), 1)
	for name, tt := range map[string]struct {
		url     string
		body    []byte
		headers map[string]string
	}{
		"unsigned":          {r.url, body, nil},
		"another secret":    {r.url, body, map[string]string{chatwoot.HeaderTimestamp: ts, chatwoot.HeaderSignature: chatwoot.Sign("guessed-secret-0123456789", ts, body)}},
		"body changed":      {r.url, tampered, r.fake.Signed(body, now)},
		"stale":             {r.url, body, r.fake.Signed(body, now.Add(-6*time.Minute))},
		"from the future":   {r.url, body, r.fake.Signed(body, now.Add(6*time.Minute))},
		"wrong URL secret":  {r.url + "/guessed-secret-0123456789", body, nil},
		"URL secret prefix": {r.url + "/" + r.fake.Secret[:10], body, nil},
	} {
		if code := r.fake.Post(t, tt.url, tt.body, tt.headers); code != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401", name, code)
		}
	}
	r.fake.Idle()
	if n := r.engine.total(); n != 0 || len(r.fake.Calls()) != 0 {
		t.Errorf("forged webhooks reached the engine %d times and made %d API calls", n, len(r.fake.Calls()))
	}
	if !strings.Contains(r.logs.String(), "chatwoot webhook refused") {
		t.Error("refusals not logged")
	}
	// The genuine delivery of the same message is answered.
	if code := p.Deliver(t); code != http.StatusOK {
		t.Fatalf("genuine webhook = %d", code)
	}
	r.fake.WaitBot(t, conv, 1)
}

// TestPendingAnswered: the bot answers a pending conversation through the
// API with its token, and ignores its own messages coming back.
func TestPendingAnswered(t *testing.T) {
	t.Parallel()
	for _, unsigned := range []bool{false, true} {
		t.Run(map[bool]string{false: "signed", true: "secret in the URL"}[unsigned], func(t *testing.T) {
			t.Parallel()
			r := start(t, setup{unsigned: unsigned})
			conv := r.fake.NewConversation()
			if _, code := r.fake.ContactWrites(t, conv, "刷卡显示交易失败51"); code != http.StatusOK {
				t.Fatalf("webhook = %d", code)
			}
			got := r.fake.WaitBot(t, conv, 1)
			if !strings.Contains(got[0], "51") || !strings.Contains(got[0], "余额不足") {
				t.Errorf("answer: %q", got[0])
			}
			for _, c := range r.fake.Calls() {
				want := fmt.Sprintf("/api/v1/accounts/%d/conversations/%d/messages", r.fake.AccountID, conv)
				if c.Path != want || c.Token != r.fake.Token || c.Body["private"] != false || c.Body["message_type"] != "outgoing" {
					t.Errorf("API call %+v", c)
				}
			}
			r.allAnswered200(t)
			if n := r.engine.total(); n != 1 {
				t.Errorf("engine called %d times; the bot's own message came back and was answered?", n)
			}
			if r.fake.Status(conv) != "pending" {
				t.Errorf("status %s after an answer", r.fake.Status(conv))
			}
		})
	}
}

// TestHandoffThroughChatwoot: the merchant asks for a person; the bot
// says so, opens the conversation and leaves the agents a note; it is
// silent while the agents have it and does not echo them; when they
// resolve it, the bot says it is back and answers the next message.
func TestHandoffThroughChatwoot(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := start(t, setup{})
	conv := r.fake.NewConversation()
	r.fake.ContactWrites(t, conv, "商户号:123456789012345 刷卡显示交易失败51，卡号 6222 0212 3456 7890 128")
	r.fake.WaitBot(t, conv, 1)
	r.fake.ContactWrites(t, conv, "转人工")
	r.fake.WaitStatus(t, conv, "open")
	got := r.fake.WaitBot(t, conv, 2)
	if !strings.Contains(got[1], "转接人工客服") || !strings.Contains(got[1], "工单 #1") {
		t.Errorf("the merchant is not told: %q", got[1])
	}
	for _, agentsOnly := range []string{"考虑过的原因", "商户要求转人工", "转交方向"} {
		if strings.Contains(chatwoottest.Text(got), agentsOnly) {
			t.Errorf("the merchant sees the agents' view (%q): %q", agentsOnly, got)
		}
	}
	notes := waitNotes(t, r.fake, conv, 1)
	for _, want := range []string{"工单 #1", "商户要求转人工", "应答码", "51", "商户号 123456789012345", fmt.Sprintf("chatwoot:%d:%d", r.fake.AccountID, conv)} {
		if !strings.Contains(notes[0], want) {
			t.Errorf("agents' note lacks %q:\n%s", want, notes[0])
		}
	}
	for _, m := range append(got, notes...) {
		if d := strings.ReplaceAll(m, " ", ""); strings.Contains(d, "02123456") || strings.Contains(d, "6222021") {
			t.Errorf("card digits posted to Chatwoot: %s", m)
		}
	}
	// The merchant is told before the conversation opens; the note follows.
	var order []string
	for _, c := range r.fake.Calls() {
		switch {
		case strings.HasSuffix(c.Path, "/toggle_status"):
			order = append(order, "open")
		case c.Body["private"] == true:
			order = append(order, "note")
		default:
			order = append(order, "reply")
		}
	}
	if want := "reply reply open note"; strings.Join(order, " ") != want {
		t.Errorf("calls %q, want %q", order, want)
	}
	tk, _, err := r.svc.Ticket(ctx, 1)
	if err != nil || tk.Channel != "chatwoot" || tk.Status != handoff.StatusClaimed || tk.ClaimedBy != "chatwoot" || tk.Code != "51" {
		t.Fatalf("ticket %+v, %v", tk, err)
	}

	// While the agents have it: the merchant's messages and the agents' own
	// are Chatwoot's business.
	for _, code := range []int{
		second(r.fake.ContactWrites(t, conv, "还在吗？刷卡还是51")),
		r.fake.AgentWrites(t, conv, "您好，我是客服小王，请把小票上的参考号发给我", false),
		r.fake.AgentWrites(t, conv, "查过了，是卡的问题", true),
	} {
		if code != http.StatusOK {
			t.Errorf("webhook while open = %d", code)
		}
	}

	r.fake.SetStatus(t, conv, "resolved")
	got = r.fake.WaitBot(t, conv, 3)
	if !strings.Contains(got[2], "人工客服已结束本次服务") {
		t.Errorf("after resolving: %q", got[2])
	}
	if tk, _, _ := r.svc.Ticket(ctx, 1); tk.Status != handoff.StatusClosed {
		t.Errorf("ticket after resolving: %+v", tk)
	}
	r.fake.ContactWrites(t, conv, "换了台机器，交易失败 05")
	if s := r.fake.Status(conv); s != "pending" {
		t.Errorf("status after the contact wrote to a resolved conversation: %s", s)
	}
	got = r.fake.WaitBot(t, conv, 4)
	if !strings.Contains(got[3], "05") {
		t.Errorf("answer after resolving: %q", got[3])
	}
	r.fake.Idle()
	if n := len(r.fake.BotMessages(conv, false)); n != 4 {
		t.Errorf("the bot posted %d messages, want 4: %q", n, r.fake.BotMessages(conv, false))
	}
	for _, text := range []string{"还在吗？刷卡还是51", "您好，我是客服小王，请把小票上的参考号发给我", "查过了，是卡的问题"} {
		if n := r.engine.count(text); n != 0 {
			t.Errorf("the engine got %q %d times", text, n)
		}
	}
	if n := r.engine.total(); n != 3 {
		t.Errorf("engine called %d times, want 3", n)
	}
	r.allAnswered200(t)
}

func second(_ int64, code int) int { return code }

func waitNotes(t *testing.T, f *chatwoottest.Fake, conv int64, n int) []string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := f.BotMessages(conv, true)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d notes, want %d", len(got), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWrittenBeforeTheHandover: a message written while the handoff was
// under way carries the status "pending"; it arrives after the
// conversation opened, and the bot leaves it to the agents.
func TestWrittenBeforeTheHandover(t *testing.T) {
	t.Parallel()
	r := start(t, setup{})
	conv := r.fake.NewConversation()
	asked := r.fake.Write(conv, "转人工")
	meanwhile := r.fake.Write(conv, "喂？人呢")
	asked.Deliver(t)
	waitNotes(t, r.fake, conv, 1)
	if code := meanwhile.Deliver(t); code != http.StatusOK {
		t.Fatalf("webhook = %d", code)
	}
	r.fake.SetStatus(t, conv, "resolved") // the barrier: its answer comes after the message's
	got := r.fake.WaitBot(t, conv, 2)
	if !strings.Contains(got[1], "人工客服已结束本次服务") || r.engine.count("喂？人呢") != 0 {
		t.Errorf("bot messages %q; engine got the stale message %d times", got, r.engine.count("喂？人呢"))
	}
}

// TestDuplicateDelivery: one message delivered twice, to one replica or to
// two sharing Redis, is answered once.
func TestDuplicateDelivery(t *testing.T) {
	t.Parallel()
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		r := start(t, setup{})
		conv := r.fake.NewConversation()
		p := r.fake.Write(conv, "刷卡显示交易失败51")
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() {
				if code := p.Deliver(t); code != http.StatusOK {
					t.Errorf("redelivery = %d", code)
				}
			})
		}
		wg.Wait()
		r.fake.ContactWrites(t, conv, "交易失败 05") // the barrier
		r.fake.WaitBot(t, conv, 2)
		if n := r.engine.count("刷卡显示交易失败51"); n != 1 {
			t.Errorf("answered %d times", n)
		}
	})
	t.Run("two replicas on redis", func(t *testing.T) {
		t.Parallel()
		d := redistest.Client(t, "chatwoot").Dedup(0)
		a := start(t, setup{dedup: d})
		b := start(t, setup{dedup: d, fake: a.fake, engine: a.engine, svc: a.svc})
		conv := a.fake.NewConversation()
		p := a.fake.Write(conv, "刷卡显示交易失败51")
		body := a.fake.MessageEvent(p.ID)
		var wg sync.WaitGroup
		for _, url := range []string{a.url, b.url} {
			wg.Go(func() {
				if code := a.fake.Post(t, url, body, a.fake.Signed(body, time.Now())); code != http.StatusOK {
					t.Errorf("delivery = %d", code)
				}
			})
		}
		wg.Wait()
		a.fake.WaitBot(t, conv, 1)
		a.fake.ContactWrites(t, conv, "交易失败 05")
		a.fake.WaitBot(t, conv, 2)
		if n := a.engine.count("刷卡显示交易失败51"); n != 1 {
			t.Errorf("answered %d times by two replicas", n)
		}
	})
}

// TestNotFromTheContactIgnored: agents' messages, private notes, the bot's
// own messages and events posbot does not act on reach no engine.
func TestNotFromTheContactIgnored(t *testing.T) {
	t.Parallel()
	r := start(t, setup{})
	conv := r.fake.NewConversation()
	r.fake.AgentWrites(t, conv, "交易失败51 是余额不足", false)
	r.fake.AgentWrites(t, conv, "交易失败51 备注", true)
	for _, body := range []string{
		`{"event":"message_created","id":9001,"content":"交易失败51","message_type":"outgoing","private":false,"sender":{"id":1,"type":"agent_bot"},"conversation":{"id":%d,"status":"pending"},"account":{"id":7}}`,
		`{"event":"message_created","id":9002,"content":"交易失败51","message_type":3,"private":false,"conversation":{"id":%d,"status":"pending"},"account":{"id":7}}`,
		`{"event":"message_created","id":9003,"content":"交易失败51","message_type":"activity","conversation":{"id":%d,"status":"pending"},"account":{"id":7}}`,
		`{"event":"message_created","id":9004,"content":"交易失败51","message_type":"incoming","private":false,"sender":{"id":77,"type":"contact"},"conversation":{"id":%d,"status":"pending"},"account":{"id":8}}`,
		`{"event":"message_updated","id":9005,"content":"交易失败51","message_type":"incoming","private":false,"sender":{"id":77,"type":"contact"},"conversation":{"id":%d,"status":"pending"},"account":{"id":7}}`,
		`{"event":"webwidget_triggered","id":%d}`,
	} {
		b := []byte(fmt.Sprintf(body, conv))
		if code := r.fake.Post(t, r.url, b, r.fake.Signed(b, time.Now())); code != http.StatusOK {
			t.Errorf("%s = %d", body, code)
		}
	}
	r.fake.ContactWrites(t, conv, "交易失败 05") // the barrier
	got := r.fake.WaitBot(t, conv, 1)
	r.fake.Idle()
	if n := r.engine.total(); n != 1 || !strings.Contains(got[0], "05") || len(r.fake.BotMessages(conv, false)) != 1 {
		t.Errorf("engine called %d times; the bot posted %q", n, r.fake.BotMessages(conv, false))
	}
}

func TestImageRead(t *testing.T) {
	t.Parallel()
	ocrtest.Need(t)
	img, err := ocrtest.Screen("交易失败 51", "余额不足")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("read", func(t *testing.T) {
		t.Parallel()
		r := start(t, setup{ocr: &ocr.Tesseract{Timeout: 30 * time.Second}})
		conv := r.fake.NewConversation()
		r.fake.ContactWrites(t, conv, "", img)
		got := r.fake.WaitBot(t, conv, 1)
		if !strings.Contains(got[0], "51") || !strings.Contains(got[0], "余额不足") {
			t.Errorf("answer to the screenshot: %q", got[0])
		}
	})
	t.Run("too large", func(t *testing.T) {
		t.Parallel()
		r := start(t, setup{ocr: &ocr.Tesseract{Timeout: 30 * time.Second}, config: func(c *chatwoot.Config) { c.MaxImageBytes = 1 << 10 }})
		conv := r.fake.NewConversation()
		r.fake.ContactWrites(t, conv, "", img)
		if got := r.fake.WaitBot(t, conv, 1); !strings.Contains(got[0], "太大") {
			t.Errorf("answer to a large image: %q", got[0])
		}
	})
}

// TestAPIDown: Chatwoot's API fails; the webhook is still answered 200,
// the failure logged after the retries, and the next message, once the API
// is back, answered.
func TestAPIDown(t *testing.T) {
	t.Parallel()
	r := start(t, setup{})
	conv := r.fake.NewConversation()
	r.fake.FailAPI(-1, http.StatusBadGateway)
	if _, code := r.fake.ContactWrites(t, conv, "刷卡显示交易失败51"); code != http.StatusOK {
		t.Fatalf("webhook = %d", code)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(r.logs.String(), "reply not sent") {
		if time.Now().After(deadline) {
			t.Fatalf("no failure logged:\n%s", r.logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := len(r.fake.Calls()); n != 3 {
		t.Errorf("%d calls; want the first and two retries", n)
	}
	r.fake.FailAPI(1, http.StatusBadRequest) // a refusal is not retried
	r.fake.ContactWrites(t, conv, "交易失败 05")
	for len(r.fake.Calls()) < 4 {
		if time.Now().After(deadline) {
			t.Fatal("the second reply was not tried")
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.fake.FailAPI(0, 0)
	r.fake.ContactWrites(t, conv, "交易失败 14")
	got := r.fake.WaitBot(t, conv, 1)
	if !strings.Contains(got[0], "14") {
		t.Errorf("answer once the API is back: %q", got)
	}
	if n := len(r.fake.Calls()); n != 5 {
		t.Errorf("%d calls, want 3 + 1 refused + 1", n)
	}
}

// TestEscalation: a frozen merchant account is escalated: the agents get
// the note and a high priority, the conversation stays with the bot, which
// answers, until an agent opens it.
func TestEscalation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := start(t, setup{})
	conv := r.fake.NewConversation()
	r.fake.ContactWrites(t, conv, "商户号:123456789012345 提示商户被冻结了，收不了款")
	notes := waitNotes(t, r.fake, conv, 1) // posted after the answer
	got := r.fake.BotMessages(conv, false)
	if !strings.Contains(chatwoottest.Text(got), "也已转给人工客服跟进（工单 #1）") || !strings.Contains(chatwoottest.Text(got), "可转发给 POS 服务商") {
		t.Errorf("escalated answer: %q", got)
	}
	if !strings.Contains(notes[0], "商户账户被冻结") {
		t.Errorf("note: %s", notes[0])
	}
	deadline := time.Now().Add(20 * time.Second)
	for r.fake.Priority(conv) != "high" {
		if time.Now().After(deadline) {
			t.Fatalf("priority %q, want high", r.fake.Priority(conv))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if s := r.fake.Status(conv); s != "pending" {
		t.Errorf("an escalation changed the status to %s", s)
	}
	r.fake.ContactWrites(t, conv, "交易失败 05")
	r.fake.WaitBot(t, conv, len(got)+1)
	r.fake.SetStatus(t, conv, "open")
	for {
		tk, _, _ := r.svc.Ticket(ctx, 1)
		if tk.Status == handoff.StatusClaimed && tk.ClaimedBy == "chatwoot" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ticket once an agent opened the conversation: %+v", tk)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestClosedFromAnotherDesk: a ticket closed through the agent API
// resolves the conversation in Chatwoot, and the merchant is told once.
func TestClosedFromAnotherDesk(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := start(t, setup{})
	conv := r.fake.NewConversation()
	r.fake.ContactWrites(t, conv, "转人工")
	waitNotes(t, r.fake, conv, 1)
	if _, err := r.svc.Close(ctx, 1, "alice", "api"); err != nil {
		t.Fatal(err)
	}
	r.fake.WaitStatus(t, conv, "resolved")
	r.fake.Idle()
	r.fake.ContactWrites(t, conv, "交易失败 05") // the barrier: answered after the status events
	got := r.fake.WaitBot(t, conv, 3)
	if n := strings.Count(chatwoottest.Text(got), "已结束本次服务"); n != 1 {
		t.Errorf("the merchant was told %d times: %q", n, got)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	t.Parallel()
	e := bottest.Engine(t)
	svc, _ := handoff.New(handoff.Config{Base: bottest.Base(t)})
	good := chatwoot.Config{URL: "https://chat.example.com", Token: "t", AccountID: 1, WebhookSecret: "0123456789abcdef"}
	for name, change := range map[string]func(*chatwoot.Config){
		"url":     func(c *chatwoot.Config) { c.URL = "chat.example.com" },
		"token":   func(c *chatwoot.Config) { c.Token = "" },
		"account": func(c *chatwoot.Config) { c.AccountID = 0 },
		"secret":  func(c *chatwoot.Config) { c.WebhookSecret = "short" },
	} {
		c := good
		change(&c)
		if _, err := chatwoot.New(c, e, chatwoot.Deps{Handoffs: svc}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := chatwoot.New(good, e, chatwoot.Deps{Handoffs: svc, Dedup: &dedup.Memory{}}); err != nil {
		t.Error(err)
	}
}

// TestLongAnswerSplit: an answer longer than MaxTextRunes goes out in
// several messages, in order, cut at line breaks, none too long.
func TestLongAnswerSplit(t *testing.T) {
	t.Parallel()
	r := start(t, setup{config: func(c *chatwoot.Config) { c.MaxTextRunes = 200 }})
	conv := r.fake.NewConversation()
	r.fake.ContactWrites(t, conv, "刷卡显示交易失败51")
	r.fake.ContactWrites(t, conv, "交易失败 05") // the barrier
	r.fake.Idle()
	deadline := time.Now().Add(20 * time.Second)
	var got []string
	for {
		got = r.fake.BotMessages(conv, false)
		if strings.Count(chatwoottest.Text(got), "来源：") == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("messages %q", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(got) < 4 {
		t.Fatalf("%d messages; want the long answers in parts", len(got))
	}
	first := strings.Join(got, "\n")
	if i, j := strings.Index(first, "【应答码 51】"), strings.Index(first, "【应答码 05】"); i != 0 || j < i {
		t.Errorf("parts out of order: %q", got)
	}
	for _, m := range got {
		if n := utf8.RuneCountInString(m); n > 200 {
			t.Errorf("a part of %d characters", n)
		}
	}
}

// TestSharedInboxHandsOver: a replica accepts contacts' messages (200 to
// Chatwoot) and stops before answering them; another replica on the same
// Redis answers every one, each conversation's in order.
func TestSharedInboxHandsOver(t *testing.T) {
	t.Parallel()
	rc := redistest.Client(t, "chatwoot-inbox")
	grace := func(c *chatwoot.Config) { c.ShutdownGrace = 300 * time.Millisecond }
	a := start(t, setup{inbox: rc.Inbox("chatwoot", 0), dedup: rc.Dedup(0), config: grace,
		engine: &counting{Engine: bottest.Engine(t), calls: map[string]int{}, stuck: true}})
	convs, codes := []int64{a.fake.NewConversation(), a.fake.NewConversation()}, []string{"51", "14", "05"}
	for _, code := range codes {
		for _, conv := range convs {
			if _, status := a.fake.ContactWrites(t, conv, "刷卡显示交易失败"+code); status != http.StatusOK {
				t.Fatalf("webhook to replica A = %d", status)
			}
		}
	}
	began := time.Now()
	a.stop()
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("replica A took %v to stop with a 300 ms drain bound", d)
	}
	start(t, setup{inbox: rc.Inbox("chatwoot", 0), dedup: rc.Dedup(0), fake: a.fake, svc: a.svc})
	for _, conv := range convs {
		got := a.fake.WaitBot(t, conv, len(codes))
		for i, code := range codes {
			if !strings.Contains(got[i], "【应答码 "+code+"】") {
				t.Errorf("conversation %d, answer %d: want code %s first in %q", conv, i+1, code, got[i][:min(len(got[i]), 40)])
			}
		}
	}
}
