package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/bot/bottest"
	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/handoff"
)

const agentToken = "agent-token-0123456789abcdef"

// handoffServer is the HTTP channel with the offline engine behind a handoff
// gate, the web feed and the agent API, as serve wires them; each of more
// adjusts the Options.
func handoffServer(t *testing.T, token string, more ...func(*Options)) (*httptest.Server, *handoff.Service) {
	t.Helper()
	e := bottest.Engine(t)
	svc, err := handoff.New(handoff.Config{Base: bottest.Base(t)})
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Logger: slog.New(slog.DiscardHandler), Feed: &channel.MemoryFeed{}, Agents: svc, AgentToken: token}
	for _, f := range more {
		f(&opts)
	}
	srv := New(svc.Gate(e, e), opts)
	svc.SetSender("http", srv)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts, svc
}

// call makes a request and decodes the JSON answer into out (if not nil).
func call(t *testing.T, method, url, token, body string, out any, header ...string) int {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
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
	b, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, url, err, b)
		}
	}
	return res.StatusCode
}

func say(t *testing.T, base, conv, text string) bot.Reply {
	t.Helper()
	var r bot.Reply
	body, _ := json.Marshal(map[string]string{"conversation_id": conv, "text": text})
	if code := call(t, "POST", base+"/v1/messages", "", string(body), &r); code != http.StatusOK {
		t.Fatalf("POST /v1/messages %q: %d", text, code)
	}
	return r
}

// sse reads a server-sent events stream.
type sse struct {
	res    *http.Response
	events chan channel.Event
}

func openSSE(t *testing.T, url string) *sse {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, res.Header.Get("Content-Type"))
	}
	s := &sse{res: res, events: make(chan channel.Event, 16)}
	t.Cleanup(func() { cancel(); res.Body.Close() })
	go func() {
		defer close(s.events)
		sc := bufio.NewScanner(res.Body)
		var id string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "id: "):
				id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "data: "):
				var e channel.Event
				if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &e) == nil {
					if e.ID != id {
						e.Text = "id mismatch: " + e.Text
					}
					s.events <- e
				}
			}
		}
	}()
	return s
}

func (s *sse) next(t *testing.T) channel.Event {
	t.Helper()
	select {
	case e, ok := <-s.events:
		if !ok {
			t.Fatal("event stream ended")
		}
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for an event")
	}
	return channel.Event{}
}

func TestAgentAPIRefusesWithoutToken(t *testing.T) {
	t.Parallel()
	configured, _ := handoffServer(t, agentToken)
	unset, _ := handoffServer(t, "")
	for _, tt := range []struct {
		name, base, token string
	}{
		{"no token", configured.URL, ""},
		{"wrong token", configured.URL, "agent-token-0123456789abcdeX"},
		{"a prefix of the token", configured.URL, "agent-token"},
		{"no token configured", unset.URL, "anything"},
		{"empty token configured", unset.URL, ""},
	} {
		for _, r := range []struct{ method, path string }{
			{"GET", "/v1/tickets"}, {"GET", "/v1/tickets/1"}, {"POST", "/v1/tickets/1/claim"},
			{"POST", "/v1/tickets/1/reply"}, {"POST", "/v1/tickets/1/close"},
		} {
			if code := call(t, r.method, tt.base+r.path, tt.token, `{"text":"hi"}`, nil); code != http.StatusUnauthorized {
				t.Errorf("%s: %s %s = %d, want 401", tt.name, r.method, r.path, code)
			}
		}
	}
}

// TestAgentAPIHandoff: a merchant on the web chat asks for a person; an
// agent lists, claims, replies and closes over the agent API; the page gets
// the agent's messages live; the bot is silent meanwhile and answers again
// after the close.
func TestAgentAPIHandoff(t *testing.T) {
	t.Parallel()
	ts, _ := handoffServer(t, agentToken)
	const conv = "page-1"
	say(t, ts.URL, conv, "刷卡显示交易失败51")
	events := openSSE(t, ts.URL+"/v1/conversations/"+conv+"/events")

	opened := say(t, ts.URL, conv, "转人工")
	if !opened.Handoff || !strings.Contains(opened.Answer, "工单 #1") || strings.Contains(opened.Answer, "摘要") {
		t.Fatalf("handoff reply %+v", opened)
	}
	var list []map[string]any
	if code := call(t, "GET", ts.URL+"/v1/tickets", agentToken, "", &list); code != 200 || len(list) != 1 {
		t.Fatalf("GET /v1/tickets = %d %v", code, list)
	}
	for _, f := range []string{"id", "conversation_id", "channel", "status", "target", "code", "summary", "created_at"} {
		if _, ok := list[0][f]; !ok {
			t.Errorf("ticket lacks %q: %v", f, list[0])
		}
	}
	if list[0]["conversation_id"] != "http:"+conv || list[0]["channel"] != "http" || list[0]["code"] != "51" || list[0]["status"] != "open" {
		t.Errorf("ticket %v", list[0])
	}

	if code := call(t, "POST", ts.URL+"/v1/tickets/1/claim", agentToken, `{"agent":"alice"}`, nil); code != 200 {
		t.Fatalf("claim = %d", code)
	}
	if code := call(t, "POST", ts.URL+"/v1/tickets/1/claim", agentToken, `{"agent":"bob"}`, nil); code != http.StatusConflict {
		t.Errorf("claim by another agent = %d, want 409", code)
	}
	if e := events.next(t); e.Kind != handoff.NoticeTaken {
		t.Errorf("first event %+v, want taken", e)
	}
	if r := say(t, ts.URL, conv, "好的，参考号是 123456789012"); !r.Silent || r.Answer == "" {
		t.Errorf("merchant message while claimed = %+v; want silent with a status line", r)
	}
	for range 2 { // a retried reply, same Idempotency-Key: relayed once
		if code := call(t, "POST", ts.URL+"/v1/tickets/1/reply", agentToken, `{"text":"收到，我查一下"}`, nil,
			"X-Agent", "alice", "Idempotency-Key", "r-1"); code != 200 {
			t.Fatalf("reply = %d", code)
		}
	}
	if code := call(t, "POST", ts.URL+"/v1/tickets/1/reply", agentToken, `{"text":"  "}`, nil); code != http.StatusBadRequest {
		t.Errorf("empty reply = %d, want 400", code)
	}
	if e := events.next(t); e.Kind != handoff.NoticeAgent || e.Text != "人工客服：收到，我查一下" {
		t.Errorf("agent event %+v", e)
	}
	var one struct {
		handoff.Ticket
		Transcript []bot.Turn `json:"transcript"`
	}
	if code := call(t, "GET", ts.URL+"/v1/tickets/1", agentToken, "", &one); code != 200 || one.ClaimedBy != "alice" {
		t.Fatalf("GET /v1/tickets/1 = %d %+v", code, one.Ticket)
	}
	var said []string
	for _, tr := range one.Transcript {
		said = append(said, tr.Role+":"+tr.Text)
	}
	if got := strings.Join(said, "\n"); !strings.Contains(got, "merchant:好的，参考号是 123456789012") || !strings.Contains(got, "agent:收到，我查一下") {
		t.Errorf("transcript:\n%s", got)
	}
	if code := call(t, "POST", ts.URL+"/v1/tickets/1/close", agentToken, "", nil); code != 200 {
		t.Fatalf("close = %d", code)
	}
	if e := events.next(t); e.Kind != handoff.NoticeClosed {
		t.Errorf("event %+v, want closed", e)
	}
	if r := say(t, ts.URL, conv, "交易失败55"); r.Silent || r.Code != "55" {
		t.Errorf("after close %+v; want the bot's answer", r)
	}
	if code := call(t, "POST", ts.URL+"/v1/tickets/1/reply", agentToken, `{"text":"还在吗"}`, nil); code != http.StatusConflict {
		t.Errorf("reply to a closed ticket = %d, want 409", code)
	}
	if code := call(t, "GET", ts.URL+"/v1/tickets/99", agentToken, "", nil); code != http.StatusNotFound {
		t.Errorf("unknown ticket = %d, want 404", code)
	}
	if code := call(t, "GET", ts.URL+"/v1/tickets/x", agentToken, "", nil); code != http.StatusBadRequest {
		t.Errorf("bad ticket id = %d, want 400", code)
	}
	var left []handoff.Ticket
	if call(t, "GET", ts.URL+"/v1/tickets", agentToken, "", &left); len(left) != 0 {
		t.Errorf("open tickets after close: %+v", left)
	}
}

// The event stream resumes after Last-Event-ID, and outlives the ordinary
// request deadline.
func TestEventStreamResumes(t *testing.T) {
	t.Parallel()
	feed := &channel.MemoryFeed{}
	srv := New(engineFunc(nil), Options{Logger: slog.New(slog.DiscardHandler), Feed: feed, Timeout: 100 * time.Millisecond})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	ctx := context.Background()
	for _, text := range []string{"一", "二", "三"} {
		if err := srv.Send(ctx, "http:c1", handoff.Notice{Kind: handoff.NoticeAgent, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	s := openSSE(t, ts.URL+"/v1/conversations/c1/events?after=1")
	if e := s.next(t); e.Text != "二" {
		t.Errorf("resumed at %+v, want the second event", e)
	}
	if e := s.next(t); e.Text != "三" {
		t.Errorf("then %+v", e)
	}
	time.Sleep(300 * time.Millisecond) // past the request deadline
	_ = srv.Send(ctx, "http:c1", handoff.Notice{Kind: handoff.NoticeClosed, Text: "四"})
	if e := s.next(t); e.Text != "四" {
		t.Errorf("live event %+v", e)
	}
	if code := call(t, "GET", ts.URL+"/v1/conversations/bad%20id/events", "", "", nil); code != http.StatusBadRequest {
		t.Errorf("bad id = %d", code)
	}
	srv.CloseStreams() // as at shutdown: the stream ends
	select {
	case _, ok := <-s.events:
		if ok {
			t.Error("an event after CloseStreams")
		}
	case <-time.After(10 * time.Second):
		t.Error("CloseStreams did not end the stream")
	}
}
