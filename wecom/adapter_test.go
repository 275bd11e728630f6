package wecom_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/util"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/bot/bottest"
	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/dedup"
	"github.com/posbot/posbot/redisstore/redistest"
	"github.com/posbot/posbot/wecom"
)

// stores are what replicas share.
type stores struct {
	cursors wecom.Cursors
	dedup   channel.Dedup
	locker  bot.Locker
	// inbox returns a replica's own view of the shared inboxes; nil means
	// each replica keeps its own in memory.
	inbox func() channel.InboxStore
}

func memoryStores() stores {
	return stores{&wecom.MemoryCursors{}, &dedup.Memory{}, &bot.MemoryLocker{}, nil}
}

// redisStores are the stores on the test Redis (POSBOT_TEST_REDIS_URL),
// under a prefix of the test's own (redistest.Client).
func redisStores(t *testing.T) *stores {
	c := redistest.Client(t, "wecom")
	return &stores{c.Cursors(), c.Dedup(0), c.Locker(0), func() channel.InboxStore { return c.Inbox("wecom:"+corpID, 0) }}
}

// replica is one running adapter.
type replica struct {
	url  string
	stop func()
}

// run starts an adapter on st against api until stop or the test's end.
func run(t *testing.T, api *fakeKF, st stores, e channel.Handler, configure func(*wecom.Config)) *replica {
	t.Helper()
	cfg := wecom.Config{CorpID: corpID, Secret: secret, Token: token, AESKey: aesKey, APIURL: api.URL}
	if configure != nil {
		configure(&cfg)
	}
	deps := wecom.Deps{Cursors: st.cursors, Dedup: st.dedup, Locker: st.locker,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if st.inbox != nil {
		deps.Inbox = st.inbox()
	}
	a, err := wecom.New(cfg, e, deps)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := a.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			srv.Close()
			cancel()
			<-done
		})
	}
	t.Cleanup(stop)
	return &replica{url: srv.URL, stop: stop}
}

// counting counts the engine's calls per text.
type counting struct {
	channel.Handler
	mu    sync.Mutex
	calls map[string]int
}

func newCounting(t *testing.T) *counting {
	return &counting{Handler: bottest.Engine(t), calls: map[string]int{}}
}

func (c *counting) Handle(ctx context.Context, m bot.Message) (bot.Reply, error) {
	c.mu.Lock()
	c.calls[m.ConversationID+"|"+m.Text]++
	c.mu.Unlock()
	return c.Handler.Handle(ctx, m)
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

func TestURLVerification(t *testing.T) {
	t.Parallel()
	api := newFakeKF(t)
	r := run(t, api, memoryStores(), bottest.Engine(t), nil)
	echo, _ := util.EncryptMsg([]byte("0123456789abcdef"), []byte("1616140317555161061"), corpID, aesKey)
	ts := fmt.Sprint(time.Now().Unix())
	for _, tt := range []struct {
		sig  string
		code int
		body string
	}{
		{sign(token, ts, "n", string(echo)), 200, "1616140317555161061"},
		{sign("guessed", ts, "n", string(echo)), 401, ""},
	} {
		resp, err := http.Get(r.url + "?" + urlValues("msg_signature", tt.sig, "timestamp", ts, "nonce", "n", "echostr", string(echo)))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.code || (tt.code == 200 && string(b) != tt.body) {
			t.Errorf("verification = %d %q, want %d %q", resp.StatusCode, b, tt.code, tt.body)
		}
	}
}

func TestForgedCallbackRefused(t *testing.T) {
	t.Parallel()
	api := newFakeKF(t)
	r := run(t, api, memoryStores(), bottest.Engine(t), nil)
	api.customer("wm-forged", "刷卡显示交易失败51")
	if code := notify(t, r.url, true); code != 401 {
		t.Errorf("forged callback = %d, want 401", code)
	}
	time.Sleep(200 * time.Millisecond)
	api.mu.Lock()
	defer api.mu.Unlock()
	if api.pulls != 0 || len(api.sent) != 0 {
		t.Errorf("a forged callback pulled %d times and sent %d messages", api.pulls, len(api.sent))
	}
}

// TestPulledOnceAcrossRestart stops an adapter and starts another on the
// same stores: every message is answered once, none lost, none repeated.
func TestPulledOnceAcrossRestart(t *testing.T) {
	t.Parallel()
	backends := map[string]stores{"memory": memoryStores()}
	if rs := redisStores(t); rs != nil {
		backends["redis"] = *rs
	}
	for name, st := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			api := newFakeKF(t)
			e := newCounting(t)
			first := run(t, api, st, e, nil)
			api.customer("wm-a", "刷卡显示交易失败51")
			api.customer("wm-b", "交易失败 05")
			api.customer("wm-a", "还是51")
			if code := notify(t, first.url, false); code != 200 {
				t.Fatalf("callback = %d", code)
			}
			api.texts(t, "wm-a", 2)
			api.texts(t, "wm-b", 1)
			first.stop()

			api.customer("wm-c", "终端显示通讯失败")
			second := run(t, api, st, e, nil)
			notify(t, second.url, false)
			notify(t, second.url, false) // a callback more: nothing new to pull
			got := api.texts(t, "wm-c", 1)
			time.Sleep(300 * time.Millisecond)
			e.mu.Lock()
			defer e.mu.Unlock()
			for k, n := range e.calls {
				if n != 1 {
					t.Errorf("%s answered %d times", k, n)
				}
			}
			if len(e.calls) != 4 {
				t.Errorf("%d messages answered, want 4: %v", len(e.calls), e.calls)
			}
			if !strings.Contains(got[0], "通讯") {
				t.Errorf("answer after the restart: %q", got[0])
			}
		})
	}
}

// TestTwoReplicas notifies two replicas of the same messages at once.
func TestTwoReplicas(t *testing.T) {
	t.Parallel()
	st := memoryStores()
	if rs := redisStores(t); rs != nil {
		st = *rs
	}
	api := newFakeKF(t)
	e := newCounting(t)
	a, b := run(t, api, st, e, nil), run(t, api, st, e, nil)
	users := []string{"wm-1", "wm-2", "wm-3", "wm-4", "wm-5"}
	for _, u := range users {
		api.customer(u, "刷卡显示交易失败51")
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { notify(t, a.url, false) })
		wg.Go(func() { notify(t, b.url, false) })
	}
	wg.Wait()
	for _, u := range users {
		api.texts(t, u, 1)
	}
	time.Sleep(300 * time.Millisecond)
	for _, u := range users {
		if n := len(api.sentTo(u)); n != 1 {
			t.Errorf("%s answered %d times", u, n)
		}
	}
	if e.total() != len(users) {
		t.Errorf("engine called %d times for %d messages", e.total(), len(users))
	}
}

// TestHandoff transfers the session in WeCom, stays silent while a person
// serves it, and answers again once the servicer ends it.
func TestHandoff(t *testing.T) {
	t.Parallel()
	for _, onDuty := range []bool{true, false} {
		t.Run(map[bool]string{true: "to the servicer", false: "to the pool"}[onDuty], func(t *testing.T) {
			t.Parallel()
			api := newFakeKF(t)
			api.onDuty = onDuty
			e := newCounting(t)
			r := run(t, api, memoryStores(), e, func(c *wecom.Config) { c.Servicer = servicer })
			const u = "wm-human"
			api.customer(u, "刷卡显示交易失败51")
			api.customer(u, "转人工")
			notify(t, r.url, false)
			got := api.texts(t, u, 2)
			if !strings.Contains(got[1], "人工") || strings.Contains(got[1], "给客服的情况摘要") {
				t.Errorf("handoff text %q", got[1])
			}
			want, state := u+"→3(zhangsan)", 3
			if !onDuty {
				want, state = u+"→2()", 2
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				api.mu.Lock()
				tr, st := append([]string(nil), api.trans...), api.states[u]
				api.mu.Unlock()
				if len(tr) == 1 {
					if tr[0] != want || st != state {
						t.Fatalf("transfers %q, state %d; want %q", tr, st, want)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no transfer: %q", tr)
				}
				time.Sleep(10 * time.Millisecond)
			}
			// A person has the session: the bot neither answers nor asks the engine.
			calls := e.total()
			api.customer(u, "商户号123456789012345，又失败了")
			notify(t, r.url, false)
			time.Sleep(400 * time.Millisecond)
			if n := len(api.sentTo(u)); n != 2 || e.total() != calls {
				t.Errorf("while served: %d messages sent, engine %d → %d calls", n, calls, e.total())
			}
			// The servicer ends the session; the bot says so and answers again.
			api.ended(u)
			notify(t, r.url, false)
			// It says what the handoff says when an agent closes a case.
			if got, want := api.texts(t, u, 3)[2], bottest.Base(t).Handoff().Merchant.Get("zh", "closed"); got != want {
				t.Errorf("end notice %q, want %q", got, want)
			}
			api.customer(u, "交易失败 05")
			notify(t, r.url, false)
			if got := api.texts(t, u, 4); !strings.Contains(got[3], "05") {
				t.Errorf("answer after the session ended: %q", got[3])
			}
		})
	}
}

func TestOldMessagesSkipped(t *testing.T) {
	t.Parallel()
	api := newFakeKF(t)
	e := newCounting(t)
	r := run(t, api, memoryStores(), e, nil)
	api.add(map[string]any{"msgid": "ancient", "open_kfid": kfID, "external_userid": "wm-old",
		"send_time": time.Now().Add(-48 * time.Hour).Unix(), "origin": 3, "msgtype": "text", "text": map[string]string{"content": "51"}})
	api.customer("wm-new", "交易失败51")
	notify(t, r.url, false)
	api.texts(t, "wm-new", 1)
	if got := api.sentTo("wm-old"); len(got) != 0 {
		t.Errorf("a two-day-old message was answered: %q", got)
	}
}

// stuck is an engine that never answers: its messages are still under way
// when the replica stops.
type stuck struct{ channel.Handler }

func (stuck) Handle(ctx context.Context, _ bot.Message) (bot.Reply, error) {
	<-ctx.Done()
	return bot.Reply{}, ctx.Err()
}

// TestSharedInboxHandsOver: a replica pulls customers' messages (the
// cursor moves past them) and stops before answering them; another
// replica on the same Redis answers every one, each customer's in order.
func TestSharedInboxHandsOver(t *testing.T) {
	t.Parallel()
	rs := redisStores(t)
	api := newFakeKF(t)
	grace := func(c *wecom.Config) { c.ShutdownGrace = 300 * time.Millisecond }
	a := run(t, api, *rs, stuck{}, grace)
	users, codes := []string{"wm-h1", "wm-h2", "wm-h3"}, []string{"51", "14"}
	for _, code := range codes {
		for _, u := range users {
			api.customer(u, "刷卡显示交易失败"+code)
		}
	}
	if code := notify(t, a.url, false); code != 200 {
		t.Fatalf("callback = %d", code)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) { // pulled
		api.mu.Lock()
		pulls := api.pulls
		api.mu.Unlock()
		if pulls > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("replica A never pulled")
		}
	}
	start := time.Now()
	a.stop()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("replica A took %v to stop with a 300 ms drain bound", d)
	}
	b := run(t, api, *rs, bottest.Engine(t), nil)
	// WeCom calls back again with the next message; a message A had not
	// queued when it stopped is pulled then (the cursor stayed before it).
	if code := notify(t, b.url, false); code != 200 {
		t.Fatalf("callback = %d", code)
	}
	code := regexp.MustCompile(`【应答码 (\w+)】`)
	for _, u := range users {
		var got []string
		for n := len(codes); len(got) < len(codes); n++ { // an answer may come in several messages
			got = nil
			for _, s := range api.texts(t, u, n) {
				if c := code.FindStringSubmatch(s); c != nil {
					got = append(got, c[1])
				}
			}
		}
		if !slices.Equal(got, codes) {
			t.Errorf("%s was sent %v, want %v", u, got, codes)
		}
	}
}
