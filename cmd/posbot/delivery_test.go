package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// tgFake is a Bot API server for the delivery tests: getMe, the webhook
// calls, getUpdates with Telegram's offset rule (an update is confirmed, and
// never returned again, once getUpdates is called with a higher offset), and
// sendMessage, which takes as long as delay says and is recorded. Each fake
// is its own bot (a random id in the token), so that what one test leaves
// in the shared Redis is never another's.
type tgFake struct {
	srv   *httptest.Server
	token string

	mu        sync.Mutex
	delay     func(chat int64) time.Duration
	held      chan struct{}     // while open, sendMessage waits for it
	pending   []json.RawMessage // updates not confirmed yet, by id
	pendingID []int64
	served    int // updates getUpdates returned, repeats included
	// lagRepeats: a getUpdates answer of only updates returned before is
	// held until each of their chats was sent a message, as when posbot
	// finishes them all while the call is under way.
	lagRepeats bool
	returned   map[int64]bool // update ids getUpdates returned
	sent       []tgSent
	changed    chan struct{}
}

type tgSent struct {
	Chat int64
	Text string
}

func newTGFake(t *testing.T) *tgFake {
	f := &tgFake{token: fmt.Sprintf("%d:AAE-delivery-test", 1e8+rand.Int64N(1e9)), changed: make(chan struct{}),
		delay: func(int64) time.Duration { return 0 }}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *tgFake) setDelay(d func(chat int64) time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delay = d
}

// hold makes every sendMessage wait, unanswered, until release (or until
// the client gives up, and then nothing is sent).
func (f *tgFake) hold() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.held = make(chan struct{})
}

func (f *tgFake) release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.held != nil {
		close(f.held)
		f.held = nil
	}
}

func (f *tgFake) notify() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// push queues updates for getUpdates.
func (f *tgFake) push(ids []int64, updates []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, u := range updates {
		f.pending = append(f.pending, json.RawMessage(u))
		f.pendingID = append(f.pendingID, ids[i])
	}
	f.notify()
}

// pushBacklog queues n updates for getUpdates, consecutive ids, each a 51
// from a chat of its own, and returns the chats.
func (f *tgFake) pushBacklog(n int) []int64 {
	first := 1e9 + rand.Int64N(1e12)
	chats := make([]int64, n)
	ids := make([]int64, n)
	updates := make([]string, n)
	for i := range chats {
		chats[i], ids[i] = 1e9+rand.Int64N(1e12), first+int64(i)
		updates[i] = text(ids[i], chats[i], "刷卡显示交易失败51")
	}
	f.push(ids, updates)
	return chats
}

// unconfirmed is how many pushed updates getUpdates has not been told to forget.
func (f *tgFake) unconfirmed() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.pending)
}

func (f *tgFake) serve(w http.ResponseWriter, r *http.Request) {
	method := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	if !strings.HasPrefix(r.URL.Path, "/bot"+f.token+"/") {
		io.WriteString(w, `{"ok":false,"error_code":401,"description":"Unauthorized"}`)
		return
	}
	form := map[string]string{}
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "multipart/form-data":
		mr := multipart.NewReader(r.Body, params["boundary"])
		for p, err := mr.NextPart(); err == nil; p, err = mr.NextPart() {
			v, _ := io.ReadAll(p)
			form[p.FormName()] = string(v)
		}
	case "application/json":
		dec := json.NewDecoder(r.Body)
		dec.UseNumber()
		var m map[string]any
		_ = dec.Decode(&m)
		for k, v := range m {
			form[k] = fmt.Sprint(v)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	switch method {
	case "getMe":
		id, _, _ := strings.Cut(f.token, ":")
		fmt.Fprintf(w, `{"ok":true,"result":{"id":%s,"is_bot":true,"first_name":"posbot","username":"posbot_bot"}}`, id)
	case "getUpdates":
		f.getUpdates(w, r, form)
	case "sendMessage":
		chat, _ := strconv.ParseInt(form["chat_id"], 10, 64)
		f.mu.Lock()
		d, held := f.delay(chat), f.held
		f.mu.Unlock()
		if held != nil {
			select {
			case <-held:
			case <-r.Context().Done():
				return
			}
		}
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
		f.mu.Lock()
		f.sent = append(f.sent, tgSent{Chat: chat, Text: form["text"]})
		id := len(f.sent)
		f.notify()
		f.mu.Unlock()
		fmt.Fprintf(w, `{"ok":true,"result":{"message_id":%d,"date":1764000000,"chat":{"id":%d,"type":"private"},"text":"…"}}`, id, chat)
	default:
		io.WriteString(w, `{"ok":true,"result":true}`)
	}
}

func (f *tgFake) getUpdates(w http.ResponseWriter, r *http.Request, form map[string]string) {
	offset, _ := strconv.ParseInt(form["offset"], 10, 64)
	limit, _ := strconv.Atoi(form["limit"])
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	wait := time.NewTimer(100 * time.Millisecond) // a short long poll
	defer wait.Stop()
	for {
		f.mu.Lock()
		if offset > 0 {
			i := 0
			for i < len(f.pendingID) && f.pendingID[i] < offset {
				i++
			}
			f.pending, f.pendingID = f.pending[i:], f.pendingID[i:]
		}
		var out []json.RawMessage
		for i, u := range f.pending {
			if f.pendingID[i] >= offset && len(out) < limit {
				out = append(out, u)
			}
		}
		ch := f.changed
		f.mu.Unlock()
		if len(out) > 0 && f.repeatOnly(out) {
			f.waitAnswered(r, out)
		}
		if len(out) > 0 {
			f.mu.Lock()
			if f.returned == nil {
				f.returned = map[int64]bool{}
			}
			for _, u := range out {
				f.returned[updateID(u)] = true
			}
			f.served += len(out)
			f.notify()
			f.mu.Unlock()
			b, _ := json.Marshal(out)
			fmt.Fprintf(w, `{"ok":true,"result":%s}`, b)
			return
		}
		select {
		case <-ch:
		case <-wait.C:
			io.WriteString(w, `{"ok":true,"result":[]}`)
			return
		case <-r.Context().Done():
			return
		}
	}
}

// repeatOnly reports whether the fake lags repeats and out holds nothing
// getUpdates did not return before.
func (f *tgFake) repeatOnly(out []json.RawMessage) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.lagRepeats {
		return false
	}
	for _, u := range out {
		if !f.returned[updateID(u)] {
			return false
		}
	}
	return true
}

// waitAnswered holds a getUpdates answer until every chat of updates was
// sent a message, and a little longer, for posbot to note them finished.
func (f *tgFake) waitAnswered(r *http.Request, updates []json.RawMessage) {
	var chats []int64
	for _, u := range updates {
		var v struct {
			Message struct {
				Chat struct{ ID int64 } `json:"chat"`
			} `json:"message"`
		}
		json.Unmarshal(u, &v)
		chats = append(chats, v.Message.Chat.ID)
	}
	for {
		f.mu.Lock()
		ch := f.changed
		f.mu.Unlock()
		if answeredChats(f.byChat(), chats) == len(chats) {
			break
		}
		select {
		case <-ch:
		case <-r.Context().Done():
			return
		}
	}
	select {
	case <-time.After(200 * time.Millisecond):
	case <-r.Context().Done():
	}
}

func updateID(u json.RawMessage) int64 {
	var v struct {
		ID int64 `json:"update_id"`
	}
	json.Unmarshal(u, &v)
	return v.ID
}

// to returns the texts sent to each chat, in order.
func (f *tgFake) byChat() map[int64][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[int64][]string{}
	for _, s := range f.sent {
		out[s.Chat] = append(out[s.Chat], s.Text)
	}
	return out
}

// waitUntil waits until cond holds for the messages sent so far, or until
// the deadline; it reports whether cond held.
func (f *tgFake) waitUntil(d time.Duration, cond func(map[int64][]string) bool) bool {
	deadline := time.After(d)
	for {
		f.mu.Lock()
		ch := f.changed
		f.mu.Unlock()
		if cond(f.byChat()) {
			return true
		}
		select {
		case <-ch:
		case <-deadline:
			return cond(f.byChat())
		}
	}
}

// served is one `posbot serve` run in this process, as main runs it.
type served struct {
	base   string
	stderr *lockedBuffer
	cancel context.CancelFunc // SIGTERM
	done   chan error
	once   sync.Once
	took   time.Duration
}

var listening = regexp.MustCompile(`listening on (http://[0-9.:]+)`)

// serveWith runs `posbot serve` with environment vars on a free port.
func serveWith(t *testing.T, vars map[string]string) *served {
	t.Helper()
	vars["POSBOT_HTTP_ADDR"] = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{stderr: &lockedBuffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- run(ctx, nil, nil, io.Discard, s.stderr, env(vars)) }()
	for deadline := time.Now().Add(20 * time.Second); s.base == ""; time.Sleep(10 * time.Millisecond) {
		if m := listening.FindStringSubmatch(s.stderr.String()); m != nil {
			s.base = m[1]
		}
		select {
		case err := <-s.done:
			t.Fatalf("serve ended: %v\n%s", err, s.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", s.stderr.String())
		}
	}
	t.Cleanup(func() { s.stop(t) })
	return s
}

// stop sends the equivalent of SIGTERM and waits for serve to return,
// reporting how long that took.
func (s *served) stop(t *testing.T) time.Duration {
	t.Helper()
	s.once.Do(func() {
		start := time.Now()
		s.cancel()
		select {
		case err := <-s.done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(60 * time.Second):
			t.Fatal("serve did not return after SIGTERM")
		}
		s.took = time.Since(start)
	})
	return s.took
}

// deliver posts a Telegram update to the replica's webhook and returns the
// status code (0 when the request failed).
func (s *served) deliver(update string) int {
	req, _ := http.NewRequest("POST", s.base+telegramWebhookPath, strings.NewReader(update))
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", hookSecret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

// tgEnv is the environment of a serve run against fake as a webhook bot
// (polling when webhook is false).
func tgEnv(f *tgFake, webhook bool, extra ...string) map[string]string {
	vars := map[string]string{
		"POSBOT_TELEGRAM_TOKEN":   f.token,
		"POSBOT_TELEGRAM_API_URL": f.srv.URL,
		"POSBOT_TESSERACT_PATH":   "off",
		"POSBOT_RATE_GLOBAL":      "0",
		"POSBOT_LOG_LEVEL":        "warn",
	}
	if webhook {
		vars["POSBOT_TELEGRAM_WEBHOOK_SECRET"] = hookSecret
	}
	for i := 0; i+1 < len(extra); i += 2 {
		vars[extra[i]] = extra[i+1]
	}
	return vars
}

// answeredChats counts the chats among chats that got at least one message.
func answeredChats(got map[int64][]string, chats []int64) int {
	n := 0
	for _, c := range chats {
		if len(got[c]) > 0 {
			n++
		}
	}
	return n
}

// backlogSize is how many updates the shutdown tests acknowledge, one per
// chat, before SIGTERM.
const backlogSize = 300

// slowSend is how long the fake takes to accept each sendMessage in the
// in-memory shutdown test: a backlog of backlogSize takes far longer to
// answer than its drain bound.
const slowSend = 400 * time.Millisecond

// answeredTwice counts the chats among chats that got more than one message.
func answeredTwice(got map[int64][]string, chats []int64) int {
	n := 0
	for _, c := range chats {
		if len(got[c]) > 1 {
			n++
		}
	}
	return n
}

// TestShutdownHandsOverBacklog: two replicas on one Redis; one
// acknowledges a backlog of webhook updates while Telegram holds every
// sendMessage, so that none is answered, and gets SIGTERM. It exits within
// its drain bound; once Telegram answers again, the other replica answers
// every acknowledged update (0 lost).
func TestShutdownHandsOverBacklog(t *testing.T) {
	redisURL, _ := serviceURLs(t)
	api := newTGFake(t)
	vars := func() map[string]string {
		return tgEnv(api, true, "POSBOT_REDIS_URL", redisURL, "POSBOT_REDIS_PREFIX", redisPrefix(t), "POSBOT_DRAIN_TIMEOUT", "2s")
	}
	a := serveWith(t, vars())
	serveWith(t, vars()) // the other replica, running all along

	api.hold()
	defer api.release()
	first := 1e9 + rand.Int64N(1e12)
	chats := make([]int64, backlogSize)
	acked := 0
	for i := range chats {
		chats[i] = 1e9 + rand.Int64N(1e12)
		if a.deliver(text(first+int64(i), chats[i], "刷卡显示交易失败51")) == 200 {
			acked++
		}
	}
	took := a.stop(t) // SIGTERM with the backlog
	answeredByA := answeredChats(api.byChat(), chats)
	api.release()
	api.waitUntil(30*time.Second, func(got map[int64][]string) bool { return answeredChats(got, chats) >= acked })
	got := api.byChat()
	answered := answeredChats(got, chats)
	t.Logf("acknowledged %d, answered %d (%d by the stopped replica, which exited %v after SIGTERM), lost %d, answered twice %d",
		acked, answered, answeredByA, took.Round(time.Millisecond), acked-answered, answeredTwice(got, chats))
	if acked != backlogSize {
		t.Errorf("%d of %d updates acknowledged", acked, backlogSize)
	}
	if answered < acked {
		t.Errorf("%d acknowledged updates never answered", acked-answered)
	}
	if took > 8*time.Second {
		t.Errorf("the replica took %v to stop with a 2 s drain bound", took)
	}
}

// TestShutdownPollingLosesNothing: with long polling and no Redis, posbot
// fetches a backlog of updates while Telegram holds every sendMessage, and
// gets SIGTERM; it exits within its drain bound. Started again, it answers
// every update, since Telegram is told to forget an update only once it is
// answered.
func TestShutdownPollingLosesNothing(t *testing.T) {
	api := newTGFake(t)
	chats := api.pushBacklog(backlogSize)
	api.hold()
	defer api.release()
	s := serveWith(t, tgEnv(api, false, "POSBOT_DRAIN_TIMEOUT", "2s"))
	api.waitUntil(10*time.Second, func(map[int64][]string) bool { // posbot has fetched a batch
		api.mu.Lock()
		defer api.mu.Unlock()
		return api.served > 0
	})
	took := s.stop(t)
	answeredFirst := answeredChats(api.byChat(), chats)

	api.release()
	again := serveWith(t, tgEnv(api, false))
	api.waitUntil(30*time.Second, func(got map[int64][]string) bool { return answeredChats(got, chats) >= backlogSize })
	got := api.byChat()
	answered := answeredChats(got, chats)
	t.Logf("%d updates waiting, answered %d (%d before the first run exited %v after SIGTERM), lost %d, answered twice %d",
		backlogSize, answered, answeredFirst, took.Round(time.Millisecond), backlogSize-answered, answeredTwice(got, chats))
	if answered < backlogSize {
		t.Errorf("%d updates never answered; %d not confirmed; first run's log:\n%s\nsecond run's log:\n%s",
			backlogSize-answered, api.unconfirmed(), s.stderr, again.stderr)
	}
	if took > 8*time.Second {
		t.Errorf("stopping took %v with a 2 s drain bound", took)
	}
}

// TestPollingWindowFinishedDuringCall: long polling asks again from the
// oldest update in flight; when Telegram returns only updates it returned
// before and posbot finishes them all while that call is under way, posbot
// goes on to the next ones instead of waiting for an update to finish (none
// is left to). Every update of a backlog larger than one getUpdates answer is
// answered.
func TestPollingWindowFinishedDuringCall(t *testing.T) {
	api := newTGFake(t)
	api.lagRepeats = true
	const n = 250
	chats := api.pushBacklog(n)
	s := serveWith(t, tgEnv(api, false))
	if !api.waitUntil(30*time.Second, func(got map[int64][]string) bool { return answeredChats(got, chats) >= n }) {
		t.Fatalf("answered %d of %d updates; log:\n%s", answeredChats(api.byChat(), chats), n, s.stderr)
	}
}

// orderCodes are the response codes of one chat's messages, in the order
// sent; each answer starts with 【应答码 NN】, which tells which message it
// answers.
var orderCodes = []string{"51", "14", "96"}

var answerCode = regexp.MustCompile(`【应答码 (\w+)】`)

// TestRoundRobinOrder: two replicas on one Redis behind round-robin
// delivery, each message of a chat posted after the previous one was
// acknowledged (so its neighbours land on the other replica), with slow
// sends: every chat gets its answers in the order of its messages.
func TestRoundRobinOrder(t *testing.T) {
	redisURL, _ := serviceURLs(t)
	api := newTGFake(t)
	api.setDelay(func(chat int64) time.Duration { return time.Duration(rand.Int64N(int64(30 * time.Millisecond))) })
	vars := func() map[string]string {
		return tgEnv(api, true, "POSBOT_REDIS_URL", redisURL, "POSBOT_REDIS_PREFIX", redisPrefix(t))
	}
	replicas := []*served{serveWith(t, vars()), serveWith(t, vars())}

	const nChats = 200
	chats := make([]int64, nChats)
	for i := range chats {
		chats[i] = 1e9 + rand.Int64N(1e12)
	}
	var next sync.Mutex
	turn := 0
	pick := func() *served { // round-robin over the replicas
		next.Lock()
		defer next.Unlock()
		turn++
		return replicas[turn%2]
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 50)
	for _, chat := range chats {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			for _, code := range orderCodes {
				if st := pick().deliver(text(1e9+rand.Int64N(1e12), chat, "刷卡显示交易失败"+code)); st != 200 {
					t.Errorf("webhook: %d", st)
					return
				}
			}
		})
	}
	wg.Wait()
	if !api.waitUntil(60*time.Second, func(got map[int64][]string) bool {
		for _, c := range chats {
			if len(got[c]) < len(orderCodes) {
				return false
			}
		}
		return true
	}) {
		t.Fatalf("not every chat got %d answers", len(orderCodes))
	}
	inversions := 0
	got := api.byChat()
	for _, c := range chats {
		var codes []string
		for _, s := range got[c] {
			if m := answerCode.FindStringSubmatch(s); m != nil {
				codes = append(codes, m[1])
			}
		}
		if !slices.Equal(codes, orderCodes) {
			inversions++
			if inversions <= 3 {
				t.Logf("chat %d got %v", c, codes)
			}
		}
	}
	t.Logf("%d chats, %d messages each, round-robin over 2 replicas: %d chats answered out of order", nChats, len(orderCodes), inversions)
	if inversions > 0 {
		t.Errorf("%d of %d chats answered out of order", inversions, nChats)
		for _, r := range replicas {
			for _, l := range strings.Split(r.stderr.String(), "\n") {
				if strings.Contains(l, "inbox") {
					t.Log(l)
				}
			}
		}
	}
}

// TestShutdownInMemoryWithinBound: without Redis nothing outlives the
// process, so shutdown is bounded instead: SIGTERM with a backlog of
// acknowledged webhook updates; posbot answers what it can within
// POSBOT_DRAIN_TIMEOUT, refuses what comes after, exits, and logs with its
// chat every update it did not finish.
func TestShutdownInMemoryWithinBound(t *testing.T) {
	api := newTGFake(t)
	api.setDelay(func(int64) time.Duration { return slowSend })
	s := serveWith(t, tgEnv(api, true, "POSBOT_DRAIN_TIMEOUT", "1s"))
	first := 1e9 + rand.Int64N(1e12)
	chats := make([]int64, backlogSize)
	acked := 0
	for i := range chats {
		chats[i] = 1e9 + rand.Int64N(1e12)
		if s.deliver(text(first+int64(i), chats[i], "刷卡显示交易失败51")) == 200 {
			acked++
		}
	}
	took := s.stop(t)
	if st := s.deliver(text(first+backlogSize, 42, "交易失败51")); st == 200 {
		t.Error("an update after SIGTERM was acknowledged")
	}
	answered := answeredChats(api.byChat(), chats)
	logged := 0
	for _, line := range strings.Split(s.stderr.String(), "\n") {
		var l struct {
			Msg   string `json:"msg"`
			Count int    `json:"count"`
		}
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "messages not finished at shutdown" {
			logged += l.Count
		}
	}
	// A message cut by the bound while its reply was on the way counts in both.
	t.Logf("acknowledged %d, answered %d, logged as not finished %d, stopped in %v", acked, answered, logged, took.Round(time.Millisecond))
	if answered+logged < acked {
		t.Errorf("%d acknowledged updates neither answered nor logged", acked-answered-logged)
	}
	if took > 6*time.Second {
		t.Errorf("stopping took %v with a 1 s drain bound", took)
	}
}

// TestShutdownFinishesWebChat: SIGTERM while a web chat request waits for a
// slow model: the listener closes at once, the request is finished (its
// model call not cancelled) and answered 200.
func TestShutdownFinishesWebChat(t *testing.T) {
	called := make(chan struct{})
	release := make(chan struct{})
	cut := make(chan bool, 1)
	model := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/chat/completions") {
			http.NotFound(w, r)
			return
		}
		close(called)
		select {
		case <-release:
			cut <- false
		case <-r.Context().Done():
			cut <- true
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"【应答码 51】余额不足"},"finish_reason":"stop"}]}`)
	}))
	defer model.Close()
	s := serveWith(t, map[string]string{"POSBOT_OPENAI_BASE_URL": model.URL + "/v1", "POSBOT_CHAT_MODEL": "m",
		"POSBOT_LOG_LEVEL": "warn", "POSBOT_DRAIN_TIMEOUT": "20s"})
	status := make(chan int, 1)
	go func() {
		res, err := http.Post(s.base+"/v1/messages", "application/json", strings.NewReader(`{"conversation_id":"drain-1","text":"刷卡显示交易失败51"}`))
		if err != nil {
			status <- 0
			return
		}
		defer res.Body.Close()
		io.Copy(io.Discard, res.Body)
		status <- res.StatusCode
	}()
	<-called
	stopped := make(chan time.Duration, 1)
	go func() { stopped <- s.stop(t) }()
	// Once the listener is closed, shutdown is under way: let the model answer.
	for {
		res, err := http.Get(s.base + "/healthz")
		if err != nil {
			break
		}
		res.Body.Close()
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	if st := <-status; st != 200 {
		t.Errorf("the request under way at SIGTERM got %d, want 200", st)
	}
	if <-cut {
		t.Error("the model call of the request under way was cancelled by SIGTERM")
	}
	<-stopped
}
