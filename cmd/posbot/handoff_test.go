package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/posbot/posbot/bot/storetest"
	"github.com/posbot/posbot/handoff"
	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/metrics"
)

// botAPI is a Bot API server just good enough for the webhook mode of
// go-telegram/bot: it answers getMe and records every sendMessage.
type botAPI struct {
	srv *httptest.Server

	mu   sync.Mutex
	next int
	sent []sent
}

type sent struct {
	Chat    string
	ID      int
	Text    string
	ReplyTo int
}

func newBotAPI(t *testing.T) *botAPI {
	b := &botAPI{}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		form := map[string]string{}
		if _, params, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil {
			mr := multipart.NewReader(r.Body, params["boundary"])
			for p, err := mr.NextPart(); err == nil; p, err = mr.NextPart() {
				v, _ := io.ReadAll(p)
				form[p.FormName()] = string(v)
			}
		}
		switch method {
		case "getMe":
			io.WriteString(w, `{"ok":true,"result":{"id":123456,"is_bot":true,"first_name":"posbot","username":"posbot_bot"}}`)
		case "sendMessage":
			var rp struct {
				MessageID int `json:"message_id"`
			}
			_ = json.Unmarshal([]byte(form["reply_parameters"]), &rp)
			b.mu.Lock()
			b.next++
			s := sent{Chat: form["chat_id"], ID: b.next, Text: form["text"], ReplyTo: rp.MessageID}
			b.sent = append(b.sent, s)
			b.mu.Unlock()
			fmt.Fprintf(w, `{"ok":true,"result":{"message_id":%d,"date":1764000000,"chat":{"id":%s,"type":"private"},"text":"…"}}`, s.ID, s.Chat)
		default:
			io.WriteString(w, `{"ok":true,"result":true}`)
		}
	}))
	t.Cleanup(b.srv.Close)
	return b
}

// to returns the messages sent to chat.
func (b *botAPI) to(chat int64) []sent {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []sent
	for _, s := range b.sent {
		if s.Chat == fmt.Sprint(chat) {
			out = append(out, s)
		}
	}
	return out
}

// wait waits until chat got n messages and returns them.
func (b *botAPI) wait(t *testing.T, chat int64, n int) []sent {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := b.to(chat)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("chat %d got %d messages, want %d: %+v", chat, len(got), n, got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// replicaStack is one serve stack as run builds it, its HTTP side on a test server.
type replicaStack struct {
	url  string
	ch   *channels
	st   *stores
	stop func() // stops it; also when the test ends
}

const hookSecret = "hook-secret"

func startReplica(t *testing.T, cfg config, tc telegramConfig, base *knowledge.Base, more ...channelConfig) *replicaStack {
	t.Helper()
	// Its warnings are shown when the test fails: they say why a replica did
	// not answer.
	logs := &lockedBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	t.Cleanup(func() {
		if t.Failed() && logs.String() != "" {
			t.Logf("replica's warnings:\n%s", logs)
		}
	})
	m := metrics.New()
	cfg = withPrefix(t, cfg)
	st, err := openStores(context.Background(), cfg, log, m)
	if err != nil {
		t.Fatal(err)
	}
	e, err := buildEngine(context.Background(), cfg, base, "hybrid", log, st.apply)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var cc channelConfig
	if len(more) > 0 {
		cc = more[0]
	}
	cc.telegram = tc
	ch, err := startChannels(ctx, cc, base, e, st, m, log)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(m.HTTP(ch.srv, ch.routes...))
	stop := sync.OnceFunc(func() {
		ch.srv.CloseStreams()
		ts.Close()
		cancel()
		if err := ch.wait(); err != nil {
			t.Errorf("channels: %v", err)
		}
		st.close()
	})
	t.Cleanup(stop)
	return &replicaStack{url: ts.URL, ch: ch, st: st, stop: stop}
}

// webhook delivers a Telegram update to the replica.
func (r *replicaStack) webhook(t *testing.T, update string) {
	t.Helper()
	req, _ := http.NewRequest("POST", r.url+telegramWebhookPath, strings.NewReader(update))
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", hookSecret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("webhook: %d", res.StatusCode)
	}
}

// api calls the agent API (token agentToken) or, without it, the merchant
// API, and decodes a 200 answer into out.
func (r *replicaStack) api(t *testing.T, method, path, token, body string, out any, header ...string) int {
	t.Helper()
	req, _ := http.NewRequest(method, r.url+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if out != nil && res.StatusCode == 200 {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	return res.StatusCode
}

// events opens the web chat's event stream of conversation conv.
func (r *replicaStack) events(t *testing.T, conv string) <-chan map[string]any {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", r.url+"/v1/conversations/"+conv+"/events", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("event stream: %v %v", err, res)
	}
	t.Cleanup(func() { cancel(); res.Body.Close() })
	out := make(chan map[string]any, 16)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var e map[string]any
				if json.Unmarshal([]byte(data), &e) == nil {
					out <- e
				}
			}
		}
	}()
	return out
}

func text(id int64, chat int64, s string) string {
	b, _ := json.Marshal(s)
	entities := ""
	if strings.HasPrefix(s, "/") {
		entities = fmt.Sprintf(`,"entities":[{"type":"bot_command","offset":0,"length":%d}]`, len(s))
	}
	return fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"date":1764000000,"chat":{"id":%d,"type":"private"},"from":{"id":%d,"is_bot":false,"first_name":"商户"},"text":%s%s}}`,
		id, id, chat, chat, b, entities)
}

func agentReply(id, group int64, msgID int, s string, replyTo sent) string {
	b, _ := json.Marshal(s)
	rt, _ := json.Marshal(replyTo.Text)
	return fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"date":1764000000,"chat":{"id":%d,"type":"supergroup"},"from":{"id":4242,"is_bot":false,"first_name":"Alice","username":"alice"},"text":%s,"reply_to_message":{"message_id":%d,"date":1764000000,"chat":{"id":%d,"type":"supergroup"},"text":%s}}}`,
		id, msgID, group, b, replyTo.ID, group, rt)
}

func agentPress(id, group int64, msgID int, data string) string {
	return fmt.Sprintf(`{"update_id":%d,"callback_query":{"id":"cq%d","from":{"id":4242,"is_bot":false,"first_name":"Alice","username":"alice"},"chat_instance":"ci","data":%q,"message":{"message_id":%d,"date":1764000000,"chat":{"id":%d,"type":"supergroup"},"text":"…"}}}`,
		id, id, data, msgID, group)
}

// both runs f for each replica at once.
func both(rs []*replicaStack, f func(r *replicaStack)) {
	var wg sync.WaitGroup
	for _, r := range rs {
		wg.Go(func() { f(r) })
	}
	wg.Wait()
}

const testAgentToken = "agent-token-for-the-replica-test"

// TestTwoReplicasHandoff runs two replicas on one Redis and one PostgreSQL,
// Telegram in webhook mode with an agents' group, and the web chat. A
// delivery that reaches both replicas opens one ticket and is relayed once;
// an agent's reply delivered twice reaches the merchant once; while a person
// owns a chat neither replica answers; a web chat page on one replica gets
// what the agent API on the other relays; a replica started again on the
// same database finds the tickets and relays on.
func TestTwoReplicasHandoff(t *testing.T) {
	redisURL, _ := serviceURLs(t)
	pg := testPostgres(t)
	base, err := knowledge.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	// Ids of this run, so earlier runs' dedup keys in the shared Redis do not match.
	merchant, group := 1e9+rand.Int64N(1e9), -(1e12 + rand.Int64N(1e9))
	update := func() int64 { return 1e9 + rand.Int64N(1e12) }
	cfg := config{RedisURL: redisURL, PostgresURL: pg.String(), Retriever: "hybrid",
		Handoff: handoffConfig{AgentToken: testAgentToken, Lease: time.Hour, RemindAfter: time.Hour}}
	api := newBotAPI(t)
	// A bot of its own: what its replicas leave in the shared inbox is no other run's.
	tc := telegramConfig{Token: fmt.Sprintf("%d:AAE-replica-test", 1e8+rand.Int64N(1e9)), APIURL: api.srv.URL, WebhookSecret: hookSecret,
		Workers: 4, TesseractPath: "off", AgentChatID: group}
	a, b := startReplica(t, cfg, tc, base), startReplica(t, cfg, tc, base)
	rs := []*replicaStack{a, b}

	t.Run("telegram", func(t *testing.T) {
		a.webhook(t, text(update(), merchant, "刷卡显示交易失败51"))
		api.wait(t, merchant, 1)
		human := text(update(), merchant, "/human")
		both(rs, func(r *replicaStack) { r.webhook(t, human) })
		queued := api.wait(t, merchant, 2)[1]
		ann := api.wait(t, group, 1)[0]
		if !strings.Contains(queued.Text, "工单 #1") || !strings.Contains(ann.Text, "工单 #1") {
			t.Fatalf("queued %q, announced %q", queued.Text, ann.Text)
		}
		claim := agentPress(update(), group, ann.ID, "tk:claim:1")
		both(rs, func(r *replicaStack) { r.webhook(t, claim) })
		api.wait(t, merchant, 3)
		// One reply, delivered to each replica under its own update id.
		both(rs, func(r *replicaStack) { r.webhook(t, agentReply(update(), group, 77, "您好，我来处理", ann)) })
		api.wait(t, merchant, 4)
		// While alice owns the chat, messages on either replica go to her.
		for i, r := range []*replicaStack{a, b, a, b} {
			r.webhook(t, text(update(), merchant, fmt.Sprint("参考号 12345678901", i)))
		}
		api.wait(t, group, 2+4) // announcement, claim, four messages
		// A fence: each replica answers /start after what it was sent before.
		a.webhook(t, text(update(), merchant, "/start"))
		b.webhook(t, text(update(), merchant, "/start"))
		var got []sent
		for _, s := range api.wait(t, merchant, 6) {
			if !strings.Contains(s.Text, "POS 刷卡故障助手") {
				got = append(got, s)
			}
		}
		if len(got) != 4 || !strings.Contains(got[2].Text, "已接手") || got[3].Text != "人工客服：您好，我来处理" {
			var texts []string
			for _, s := range got {
				texts = append(texts, s.Text)
			}
			t.Errorf("merchant got %d messages, want 4 (answer, queued, taken, one relayed reply):\n%s", len(got), strings.Join(texts, "\n---\n"))
		}
		if n := len(api.to(group)); n != 6 {
			t.Errorf("agents' group got %d messages, want 6: %+v", n, api.to(group))
		}
	})

	t.Run("web chat and agent API", func(t *testing.T) {
		conv := fmt.Sprint("web-", rand.Int64())
		var r map[string]any
		a.api(t, "POST", "/v1/messages", "", `{"conversation_id":"`+conv+`","text":"交易失败96"}`, &r)
		events := b.events(t, conv)
		a.api(t, "POST", "/v1/messages", "", `{"conversation_id":"`+conv+`","text":"转人工"}`, &r)
		if !strings.Contains(fmt.Sprint(r["answer"]), "工单 #2") {
			t.Fatalf("web handoff %v", r["answer"])
		}
		if code := b.api(t, "GET", "/v1/tickets", "", "", nil); code != http.StatusUnauthorized {
			t.Errorf("agent API without a token = %d", code)
		}
		if code := a.api(t, "POST", "/v1/tickets/2/claim", testAgentToken, `{"agent":"bob"}`, nil); code != 200 {
			t.Fatalf("claim = %d", code)
		}
		both(rs, func(r *replicaStack) {
			if code := r.api(t, "POST", "/v1/tickets/2/reply", testAgentToken, `{"text":"请稍等"}`, nil, "Idempotency-Key", "k1"); code != 200 {
				t.Errorf("reply = %d", code)
			}
		})
		for _, r := range rs {
			var silent map[string]any
			r.api(t, "POST", "/v1/messages", "", `{"conversation_id":"`+conv+`","text":"交易失败96"}`, &silent)
			if silent["silent"] != true {
				t.Errorf("a replica answered while a person had the chat: %v", silent["answer"])
			}
		}
		// Closing is the fence: a reply relayed twice would come before it.
		if code := b.api(t, "POST", "/v1/tickets/2/close", testAgentToken, "", nil); code != 200 {
			t.Fatalf("close = %d", code)
		}
		var kinds []string
		timeout := time.After(10 * time.Second)
		for len(kinds) < 3 {
			select {
			case e := <-events:
				kinds = append(kinds, fmt.Sprint(e["kind"], ":", e["text"]))
			case <-timeout:
				t.Fatalf("events %v", kinds)
			}
		}
		want := []string{"taken:人工客服已接手你的问题，接下来请直接在这里和客服沟通。", "agent:人工客服：请稍等",
			"closed:人工客服已结束本次服务。如果还有问题，直接发给我，我会继续帮你。"}
		if !slices.Equal(kinds, want) {
			t.Errorf("events:\n%q\nwant:\n%q", kinds, want)
		}
	})

	t.Run("a lapsed lease is told once", func(t *testing.T) {
		// Both replicas' services, on the stores, with one fake clock.
		clock := storetest.NewClock()
		notices := make(chan handoff.Notice, 8)
		svcs := make([]*handoff.Service, 2)
		for i, r := range rs {
			svc, err := handoff.New(handoff.Config{Base: base, Tickets: r.st.pg, Transcripts: r.st.pg,
				Leases: r.st.redis.Leases(), Relays: r.st.redis.Dedup(0), Now: clock.Now, Lease: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			svc.SetSender("telegram", senderFunc(func(n handoff.Notice) { notices <- n }))
			svcs[i] = svc
		}
		if _, err := svcs[0].Claim(context.Background(), 1, "@alice", "test"); err != nil { // renews the lease: now + 1 min
			t.Fatal(err)
		}
		clock.Advance(2 * time.Minute)
		var wg sync.WaitGroup
		for _, svc := range svcs {
			wg.Go(func() { svc.Sweep(context.Background()) })
		}
		wg.Wait()
		close(notices)
		var got []string
		for n := range notices {
			got = append(got, n.Kind)
		}
		if len(got) != 1 || got[0] != handoff.NoticeResumed {
			t.Errorf("notices %v, want one resumed", got)
		}
	})

	t.Run("tickets survive a restart", func(t *testing.T) {
		c := startReplica(t, cfg, tc, base)
		var ts []handoff.Ticket
		if code := c.api(t, "GET", "/v1/tickets", testAgentToken, "", &ts); code != 200 || len(ts) != 1 || ts[0].ClaimedBy != "" {
			t.Fatalf("tickets on a new replica: %d %+v", code, ts)
		}
		before := len(api.to(merchant))
		if code := c.api(t, "POST", "/v1/tickets/1/reply", testAgentToken, `{"agent":"alice","text":"我回来了"}`, nil); code != 200 {
			t.Fatalf("reply on the new replica = %d", code)
		}
		if got := api.wait(t, merchant, before+1); got[before].Text != "人工客服：我回来了" {
			t.Errorf("relayed %q", got[before].Text)
		}
	})
}

type senderFunc func(handoff.Notice)

func (f senderFunc) Send(_ context.Context, _ string, n handoff.Notice) error { f(n); return nil }

// TestHandoffSurvivesRestart: with PostgreSQL and no Redis, a replica
// started again finds the claimed ticket, keeps the bot silent in its
// conversation (the lease comes back from the ticket), and relays on.
func TestHandoffSurvivesRestart(t *testing.T) {
	pg := testPostgres(t)
	base, err := knowledge.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	cfg := config{PostgresURL: pg.String(), Retriever: "hybrid", Handoff: handoffConfig{AgentToken: testAgentToken}}
	a := startReplica(t, cfg, telegramConfig{}, base)
	a.api(t, "POST", "/v1/messages", "", `{"conversation_id":"c1","text":"交易失败51"}`, nil)
	a.api(t, "POST", "/v1/messages", "", `{"conversation_id":"c1","text":"转人工"}`, nil)
	if code := a.api(t, "POST", "/v1/tickets/1/claim", testAgentToken, `{"agent":"alice"}`, nil); code != 200 {
		t.Fatalf("claim = %d", code)
	}
	a.stop()

	b := startReplica(t, cfg, telegramConfig{}, base)
	events := b.events(t, "c1")
	var r map[string]any
	b.api(t, "POST", "/v1/messages", "", `{"conversation_id":"c1","text":"交易失败51"}`, &r)
	if r["silent"] != true {
		t.Errorf("after a restart the bot answered a conversation a person owns: %v", r["answer"])
	}
	if code := b.api(t, "POST", "/v1/tickets/1/reply", testAgentToken, `{"text":"您好"}`, nil); code != 200 {
		t.Fatalf("reply = %d", code)
	}
	select {
	case e := <-events:
		if e["text"] != "人工客服：您好" {
			t.Errorf("event %v", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the reply did not reach the page")
	}
	var one struct {
		Transcript []struct{ Role, Text string } `json:"transcript"`
	}
	b.api(t, "GET", "/v1/tickets/1", testAgentToken, "", &one)
	var roles []string
	for _, turn := range one.Transcript {
		roles = append(roles, turn.Role)
	}
	if got := strings.Join(roles, ","); got != "merchant,bot,merchant,bot,merchant,agent" {
		t.Errorf("transcript roles %s", got)
	}
}
