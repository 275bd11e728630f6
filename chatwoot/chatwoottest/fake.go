// Package chatwoottest is a fake Chatwoot for tests: the part of its
// application API an Agent Bot calls (creating messages, toggle_status,
// toggle_priority, file links that redirect to the stored file), and the
// webhooks Chatwoot posts to an Agent Bot, shaped as Chatwoot builds them
// (Message#webhook_data and Conversations::EventDataPresenter#push_data,
// merged with the event) and signed as Chatwoot 4.13 and later sign them.
// Like Chatwoot it posts the bot's own messages and status changes back
// to the bot, and turns a resolved conversation of an inbox with a bot
// back to pending when the contact writes.
package chatwoottest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Defaults of a new Fake.
const (
	Token     = "bot-access-token-0123"
	AccountID = 7
	InboxID   = 3
	Secret    = "agent-bot-secret-0123456789"
)

// Message is a message of a conversation.
type Message struct {
	ID           int64
	Conversation int64
	Content      string
	Type         string // "incoming" or "outgoing"
	Private      bool
	Sender       string // "contact", "user" (an agent) or "agent_bot"
	Attachments  []map[string]any
	Created      time.Time
}

// Call is an API call the bot made.
type Call struct {
	Path  string
	Token string
	Body  map[string]any
}

// Delivery is a webhook Chatwoot posted and the status it got.
type Delivery struct {
	Event  string
	Status int
}

type conversation struct {
	id       int64
	status   string
	priority string
	created  time.Time
}

// Fake is a running fake Chatwoot. Set Webhook (the Agent Bot's outgoing
// URL) before anything is delivered. Its methods are safe for concurrent
// use; those taking a testing.TB must be called from the test's goroutine.
type Fake struct {
	URL       string
	Token     string
	AccountID int64
	Secret    string
	// Unsigned posts webhooks without signature headers, as Chatwoot did
	// before 4.13; Webhook then carries the secret in its path.
	Unsigned bool

	srv *httptest.Server

	mu           sync.Mutex
	inflight     int        // webhooks on their way
	idle         *sync.Cond // signalled when inflight drops to 0
	webhook      string
	nextMsg      int64
	nextDelivery int64
	nextConv     int64
	convs        map[int64]*conversation
	msgs         []Message
	calls        []Call
	deliveries   []Delivery
	files        map[string][]byte
	fail         int // answer the next API calls with failStatus; <0 forever
	failStatus   int
}

// New starts a fake Chatwoot, closed when the test ends.
func New(t testing.TB) *Fake {
	f := &Fake{Token: Token, AccountID: AccountID, Secret: Secret, convs: map[int64]*conversation{},
		files: map[string][]byte{},
		// Ids of this run, so a shared Redis's dedup keys of earlier runs do not match.
		nextMsg: 1e6 + rand.Int64N(1e12), nextConv: 1e3 + rand.Int64N(1e9)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/accounts/{account}/conversations/{id}/messages", f.api(f.createMessage))
	mux.HandleFunc("POST /api/v1/accounts/{account}/conversations/{id}/toggle_status", f.api(f.toggleStatus))
	mux.HandleFunc("POST /api/v1/accounts/{account}/conversations/{id}/toggle_priority", f.api(f.togglePriority))
	mux.HandleFunc("GET /rails/active_storage/blobs/redirect/{key}/{name}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/rails/active_storage/disk/"+r.PathValue("key")+"/"+r.PathValue("name"), http.StatusFound)
	})
	mux.HandleFunc("GET /rails/active_storage/disk/{key}/{name}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		b, ok := f.files[r.PathValue("key")]
		f.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(b)
	})
	f.idle = sync.NewCond(&f.mu)
	f.srv = httptest.NewServer(mux)
	f.URL = f.srv.URL
	t.Cleanup(func() {
		f.Idle()
		f.srv.Close()
	})
	return f
}

// SetWebhook sets the Agent Bot's outgoing URL.
func (f *Fake) SetWebhook(url string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.webhook = url
}

// FailAPI makes the next n API calls answer status (n < 0: all of them,
// until FailAPI(0, 0)).
func (f *Fake) FailAPI(n, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail, f.failStatus = n, status
}

// NewConversation opens a conversation in the bot's inbox: pending, as
// Chatwoot starts them in an inbox with an active bot.
func (f *Fake) NewConversation() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextConv++
	f.convs[f.nextConv] = &conversation{id: f.nextConv, status: "pending", created: time.Now()}
	return f.nextConv
}

// Status returns a conversation's status.
func (f *Fake) Status(conv int64) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.convs[conv].status
}

// Priority returns a conversation's priority ("" for none).
func (f *Fake) Priority(conv int64) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.convs[conv].priority
}

// Messages returns a conversation's messages, oldest first.
func (f *Fake) Messages(conv int64) []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Message
	for _, m := range f.msgs {
		if m.Conversation == conv {
			out = append(out, m)
		}
	}
	return out
}

// BotMessages returns what the bot posted in a conversation: its public
// messages, or its private notes.
func (f *Fake) BotMessages(conv int64, private bool) []string {
	var out []string
	for _, m := range f.Messages(conv) {
		if m.Sender == "agent_bot" && m.Private == private {
			out = append(out, m.Content)
		}
	}
	return out
}

// Calls returns the API calls made so far.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Deliveries returns the webhooks posted so far, with their statuses.
func (f *Fake) Deliveries() []Delivery {
	f.Idle()
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.deliveries)
}

// Idle waits until no webhook is on its way.
func (f *Fake) Idle() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for f.inflight > 0 {
		f.idle.Wait()
	}
}

// WaitBot waits up to 20 s until the bot has posted n public messages in
// conv, and returns them; it fails the test if it has not.
func (f *Fake) WaitBot(t testing.TB, conv int64, n int) []string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := f.BotMessages(conv, false)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("conversation %d: the bot posted %d messages, want %d: %q", conv, len(got), n, got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// WaitStatus waits up to 20 s for conv to have status.
func (f *Fake) WaitStatus(t testing.TB, conv int64, status string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for f.Status(conv) != status {
		if time.Now().After(deadline) {
			t.Fatalf("conversation %d is %s, want %s", conv, f.Status(conv), status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Pending is a contact's message written but not yet posted to the bot:
// its webhook data was taken when it was written, as Chatwoot does.
type Pending struct {
	f    *Fake
	ID   int64
	body []byte
}

// Deliver posts the message's webhook and returns the status the bot
// answered.
func (p *Pending) Deliver(t testing.TB) int {
	t.Helper()
	return p.f.post(t, p.body)
}

// Write has the contact write text, with images as attachments, to conv,
// reopening it as Chatwoot does (resolved → pending in an inbox with a
// bot, snoozed → open); the webhook is not posted yet.
func (f *Fake) Write(conv int64, text string, images ...[]byte) *Pending {
	f.mu.Lock()
	c := f.convs[conv]
	switch c.status {
	case "resolved":
		c.status = "pending"
	case "snoozed":
		c.status = "open"
	}
	f.mu.Unlock()
	m := f.add(Message{Conversation: conv, Content: text, Type: "incoming", Sender: "contact"}, images)
	return &Pending{f: f, ID: m.ID, body: f.messageEvent(m)}
}

// ContactWrites has the contact write to conv and posts the webhook;
// it returns the message id and the status the bot answered.
func (f *Fake) ContactWrites(t testing.TB, conv int64, text string, images ...[]byte) (int64, int) {
	t.Helper()
	p := f.Write(conv, text, images...)
	return p.ID, p.Deliver(t)
}

// AgentWrites has an agent write to conv, to the contact or as a private
// note; the webhook goes to the bot as Chatwoot sends it.
func (f *Fake) AgentWrites(t testing.TB, conv int64, text string, private bool) int {
	t.Helper()
	m := f.add(Message{Conversation: conv, Content: text, Type: "outgoing", Private: private, Sender: "user"}, nil)
	return f.post(t, f.messageEvent(m))
}

// SetStatus has an agent change conv's status in Chatwoot's UI; the bot
// gets the events.
func (f *Fake) SetStatus(t testing.TB, conv int64, status string) {
	t.Helper()
	prev := f.setStatus(conv, status)
	for _, body := range f.statusEvents(conv, prev, status) {
		if code := f.post(t, body); code != http.StatusOK {
			t.Errorf("status event answered %d", code)
		}
	}
}

// Post posts body to the bot's webhook as it is, with headers, and
// returns the status.
func (f *Fake) Post(t testing.TB, url string, body []byte, headers map[string]string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Signed returns Chatwoot's headers for body sent at time at.
func (f *Fake) Signed(body []byte, at time.Time) map[string]string {
	ts := strconv.FormatInt(at.Unix(), 10)
	m := hmac.New(sha256.New, []byte(f.Secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	f.mu.Lock()
	f.nextDelivery++
	id := f.nextDelivery
	f.mu.Unlock()
	return map[string]string{"X-Chatwoot-Signature": "sha256=" + hex.EncodeToString(m.Sum(nil)),
		"X-Chatwoot-Timestamp": ts, "X-Chatwoot-Delivery": fmt.Sprintf("00000000-0000-4000-8000-%012d", id)}
}

// MessageEvent returns the message_created webhook body of message id.
func (f *Fake) MessageEvent(id int64) []byte {
	f.mu.Lock()
	i := slices.IndexFunc(f.msgs, func(m Message) bool { return m.ID == id })
	m := f.msgs[i]
	f.mu.Unlock()
	return f.messageEvent(m)
}

// post delivers a webhook body as Chatwoot does: signed, unless Unsigned.
func (f *Fake) post(t testing.TB, body []byte) int {
	t.Helper()
	f.mu.Lock()
	url := f.webhook
	f.mu.Unlock()
	headers := map[string]string{"Accept": "application/json"}
	if !f.Unsigned {
		headers = f.Signed(body, time.Now())
	}
	code := f.Post(t, url, body, headers)
	f.record(body, code)
	return code
}

// postAsync delivers a webhook from the background, as Chatwoot's jobs do.
func (f *Fake) postAsync(body []byte) {
	f.mu.Lock()
	f.inflight++
	url := f.webhook
	f.mu.Unlock()
	go func() {
		defer func() {
			f.mu.Lock()
			if f.inflight--; f.inflight == 0 {
				f.idle.Broadcast()
			}
			f.mu.Unlock()
		}()
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		if !f.Unsigned {
			for k, v := range f.Signed(body, time.Now()) {
				req.Header.Set(k, v)
			}
		}
		code := 0
		if resp, err := http.DefaultClient.Do(req); err == nil {
			code = resp.StatusCode
			resp.Body.Close()
		}
		f.record(body, code)
	}()
}

func (f *Fake) record(body []byte, code int) {
	var ev struct {
		Event string `json:"event"`
	}
	_ = json.Unmarshal(body, &ev)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deliveries = append(f.deliveries, Delivery{Event: ev.Event, Status: code})
}

func (f *Fake) add(m Message, images [][]byte) Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextMsg++
	m.ID, m.Created = f.nextMsg, time.Now()
	for i, img := range images {
		key := fmt.Sprintf("blob%d-%d", m.ID, i)
		f.files[key] = img
		m.Attachments = append(m.Attachments, map[string]any{
			"id": m.ID*10 + int64(i), "message_id": m.ID, "file_type": "image", "account_id": f.AccountID,
			"extension": nil, "data_url": f.URL + "/rails/active_storage/blobs/redirect/" + key + "/screen.png",
			"thumb_url": f.URL + "/rails/active_storage/representations/redirect/" + key + "/screen.png",
			"file_size": len(img), "width": 1080, "height": 720,
		})
	}
	f.msgs = append(f.msgs, m)
	return m
}

func (f *Fake) setStatus(conv int64, status string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.convs[conv]
	prev := c.status
	c.status = status
	return prev
}

// api wraps an API handler: the access token is checked as Chatwoot checks
// it, the call recorded, failures injected.
func (f *Fake) api(h func(w http.ResponseWriter, c *conversation, body map[string]any)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		tok := r.Header.Get("api_access_token")
		f.mu.Lock()
		f.calls = append(f.calls, Call{Path: r.URL.Path, Token: tok, Body: body})
		failing := f.fail != 0
		if f.fail > 0 {
			f.fail--
		}
		status := f.failStatus
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		c := f.convs[id]
		account := r.PathValue("account") == strconv.FormatInt(f.AccountID, 10)
		f.mu.Unlock()
		switch {
		case tok != f.Token:
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "Invalid Access Token"})
		case failing:
			writeJSON(w, status, map[string]string{"error": "Internal Server Error"})
		case !account || c == nil:
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "Resource could not be found"})
		default:
			h(w, c, body)
		}
	}
}

func (f *Fake) createMessage(w http.ResponseWriter, c *conversation, body map[string]any) {
	content, _ := body["content"].(string)
	private, _ := body["private"].(bool)
	if body["message_type"] != "outgoing" || content == "" {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": "bad message"})
		return
	}
	m := f.add(Message{Conversation: c.id, Content: content, Type: "outgoing", Private: private, Sender: "agent_bot"}, nil)
	// The answer is the message as the API renders it (message_type a number).
	writeJSON(w, http.StatusOK, map[string]any{"id": m.ID, "content": m.Content, "inbox_id": InboxID,
		"conversation_id": c.id, "message_type": 1, "content_type": "text", "status": "sent", "content_attributes": map[string]any{},
		"created_at": m.Created.Unix(), "private": private, "source_id": nil,
		"sender": map[string]any{"id": 1, "name": "posbot", "avatar_url": "", "type": "agent_bot"}})
	f.postAsync(f.messageEvent(m))
}

func (f *Fake) toggleStatus(w http.ResponseWriter, c *conversation, body map[string]any) {
	status, _ := body["status"].(string)
	if !slices.Contains([]string{"open", "pending", "resolved", "snoozed"}, status) {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": "bad status"})
		return
	}
	prev := f.setStatus(c.id, status)
	writeJSON(w, http.StatusOK, map[string]any{"meta": map[string]any{},
		"payload": map[string]any{"success": true, "current_status": status, "conversation_id": c.id}})
	for _, b := range f.statusEvents(c.id, prev, status) {
		f.postAsync(b)
	}
}

func (f *Fake) togglePriority(w http.ResponseWriter, c *conversation, body map[string]any) {
	p, _ := body["priority"].(string)
	f.mu.Lock()
	c.priority = p
	f.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// statusEvents are the webhooks an Agent Bot gets when a conversation's
// status changes: conversation_status_changed, and also
// conversation_opened or conversation_resolved, which every version sends.
func (f *Fake) statusEvents(conv int64, prev, status string) [][]byte {
	if prev == status {
		return nil
	}
	data := f.conversationData(conv)
	changed := map[string]any{}
	for k, v := range data {
		changed[k] = v
	}
	changed["event"] = "conversation_status_changed"
	changed["changed_attributes"] = []map[string]any{{"status": map[string]any{"previous_value": prev, "current_value": status}}}
	out := [][]byte{mustJSON(changed)}
	if status == "open" || status == "resolved" {
		data["event"] = map[string]string{"open": "conversation_opened", "resolved": "conversation_resolved"}[status]
		out = append(out, mustJSON(data))
	}
	return out
}

// messageEvent is message_created: Message#webhook_data with the event.
func (f *Fake) messageEvent(m Message) []byte {
	var sender map[string]any
	switch m.Sender {
	case "contact":
		sender = f.contact()
	case "user":
		sender = map[string]any{"id": 5, "name": "Alice", "email": "alice@example.com", "type": "user"}
	default:
		sender = map[string]any{"id": 1, "name": "posbot", "type": "agent_bot"}
	}
	ev := map[string]any{
		"event":                 "message_created",
		"account":               map[string]any{"id": f.AccountID, "name": "收单服务"},
		"additional_attributes": map[string]any{},
		"content_attributes":    map[string]any{},
		"content_type":          "text",
		"content":               nullable(m.Content),
		"conversation":          f.conversationData(m.Conversation),
		"created_at":            m.Created.UTC().Format("2006-01-02T15:04:05.000Z"),
		"id":                    m.ID,
		"inbox":                 map[string]any{"id": InboxID, "name": "POS 商户支持"},
		"message_type":          m.Type,
		"private":               m.Private,
		"sender":                sender,
		"source_id":             nil,
	}
	if len(m.Attachments) > 0 {
		ev["attachments"] = m.Attachments
	}
	return mustJSON(ev)
}

// conversationData is Conversations::EventDataPresenter#push_data.
func (f *Fake) conversationData(conv int64) map[string]any {
	f.mu.Lock()
	c := *f.convs[conv]
	var last map[string]any
	for _, m := range slices.Backward(f.msgs) {
		if m.Conversation == conv && !m.Private {
			last = map[string]any{"id": m.ID, "content": m.Content, "account_id": f.AccountID, "inbox_id": InboxID,
				"conversation_id": conv, "message_type": map[string]int{"incoming": 0, "outgoing": 1}[m.Type],
				"created_at": m.Created.Unix(), "private": false, "status": "sent"}
			break
		}
	}
	f.mu.Unlock()
	messages := []any{}
	if last != nil {
		messages = append(messages, last)
	}
	var priority any
	if c.priority != "" {
		priority = c.priority
	}
	return map[string]any{
		"additional_attributes": map[string]any{},
		"can_reply":             true,
		"channel":               "Channel::Api",
		"contact_inbox":         map[string]any{"id": conv * 3, "contact_id": 77, "inbox_id": InboxID, "source_id": "merchant-77", "hmac_verified": false, "pubsub_token": "pst"},
		"id":                    conv,
		"inbox_id":              InboxID,
		"messages":              messages,
		"labels":                []string{},
		"meta": map[string]any{"sender": map[string]any{"id": 77, "name": "张老板", "type": "contact", "thumbnail": ""},
			"assignee": nil, "assignee_type": nil, "team": nil, "hmac_verified": false},
		"status":                 c.status,
		"custom_attributes":      map[string]any{},
		"snoozed_until":          nil,
		"unread_count":           1,
		"first_reply_created_at": nil,
		"priority":               priority,
		"waiting_since":          c.created.Unix(),
		"agent_last_seen_at":     0,
		"contact_last_seen_at":   0,
		"last_activity_at":       time.Now().Unix(),
		"timestamp":              time.Now().Unix(),
		"created_at":             c.created.Unix(),
		"updated_at":             float64(time.Now().UnixMicro()) / 1e6,
	}
}

// contact is Contact#webhook_data.
func (f *Fake) contact() map[string]any {
	return map[string]any{"id": 77, "name": "张老板", "avatar": "", "type": "contact",
		"account": map[string]any{"id": f.AccountID, "name": "收单服务"}, "additional_attributes": map[string]any{},
		"custom_attributes": map[string]any{}, "email": nil, "identifier": "merchant-77", "phone_number": nil,
		"thumbnail": "", "blocked": false}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Text joins what the bot posted, for matching.
func Text(msgs []string) string { return strings.Join(msgs, "\n---\n") }
