package telegram_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAPI is a Bot API server good enough for the real go-telegram client:
// it parses the multipart form requests, answers {"ok":true,"result":…},
// serves queued updates to getUpdates, serves files, and records every call.
type fakeAPI struct {
	t     testing.TB
	token string
	srv   *httptest.Server

	mu      sync.Mutex
	calls   []apiCall
	queue   []json.RawMessage // updates not yet served to getUpdates
	files   map[string][]byte // file_id → content
	msgID   int
	sent    int           // successful sendMessage calls
	changed chan struct{} // closed and replaced on every change
	// fail, when set, may answer a call with an error body instead.
	fail func(c apiCall) (body string, failed bool)
	// hang holds the downloads of these file ids until the channel is
	// closed (or the client gives up); hanging counts those waiting.
	hang    map[string]chan struct{}
	hanging int
}

// apiCall is one recorded Bot API call.
type apiCall struct {
	Method    string
	Form      map[string]string
	Failed    bool // answered with an error
	MessageID int  // sendMessage: the id of the message sent
}

func newFakeAPI(t testing.TB, token string) *fakeAPI {
	f := &fakeAPI{t: t, token: token, files: map[string][]byte{}, changed: make(chan struct{})}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) URL() string { return f.srv.URL }

func (f *fakeAPI) notify() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// push queues updates (raw JSON) for getUpdates.
func (f *fakeAPI) push(updates ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, u := range updates {
		f.queue = append(f.queue, json.RawMessage(u))
	}
	f.notify()
}

func (f *fakeAPI) addFile(id string, content []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[id] = content
}

// hangFile makes every download of file id wait, without an answer,
// until release is called or the client gives up.
func (f *fakeAPI) hangFile(id string, content []byte) (release func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hang == nil {
		f.hang = map[string]chan struct{}{}
	}
	ch := make(chan struct{})
	f.files[id], f.hang[id] = content, ch
	return sync.OnceFunc(func() { close(ch) })
}

// downloadsHanging is how many downloads of hanging files wait now.
func (f *fakeAPI) downloadsHanging() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hanging
}

func (f *fakeAPI) setFail(fn func(c apiCall) (string, bool)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = fn
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/file/bot"+f.token+"/"); ok {
		f.mu.Lock()
		var content []byte
		var hang chan struct{}
		for id, c := range f.files {
			if rest == "photos/"+id+".bin" {
				content, hang = c, f.hang[id]
			}
		}
		if hang != nil {
			f.hanging++
			f.notify()
		}
		f.mu.Unlock()
		if hang != nil {
			select {
			case <-hang:
			case <-r.Context().Done():
			}
			f.mu.Lock()
			f.hanging--
			f.notify()
			f.mu.Unlock()
			return
		}
		if content == nil {
			http.NotFound(w, r)
			return
		}
		w.Write(content)
		return
	}
	method, ok := strings.CutPrefix(r.URL.Path, "/bot"+f.token+"/")
	if !ok {
		writeAPI(w, `{"ok":false,"error_code":401,"description":"Unauthorized"}`)
		return
	}
	form := map[string]string{}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		// The Bot API takes JSON bodies too; posbot's getUpdates sends one.
		var params map[string]json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&params); err != nil {
			f.t.Errorf("fake Bot API: %s: JSON body: %v", r.URL.Path, err)
		}
		for k, v := range params {
			var s string
			if json.Unmarshal(v, &s) != nil {
				s = string(v)
			}
			form[k] = s
		}
	} else if err := r.ParseMultipartForm(1 << 20); err == nil {
		for k, v := range r.MultipartForm.Value {
			form[k] = v[0]
		}
	} else if !strings.Contains(err.Error(), "EOF") { // calls without parameters send an empty body
		f.t.Errorf("fake Bot API: %s: parse form: %v", method, err)
	}
	c := apiCall{Method: method, Form: form}

	if method == "getUpdates" {
		f.getUpdates(w, r)
		return
	}

	f.mu.Lock()
	fail := f.fail
	f.mu.Unlock()
	if fail != nil {
		if body, failed := fail(c); failed {
			c.Failed = true
			f.record(c)
			writeAPI(w, body)
			return
		}
	}

	var result string
	switch method {
	case "getMe":
		result = `{"id":123456,"is_bot":true,"first_name":"posbot","username":"posbot_test_bot"}`
	case "sendMessage":
		f.mu.Lock()
		f.msgID++
		id := f.msgID
		f.mu.Unlock()
		c.MessageID = id
		chat, _ := strconv.ParseInt(form["chat_id"], 10, 64)
		text, _ := json.Marshal(form["text"])
		result = fmt.Sprintf(`{"message_id":%d,"date":1764000000,"chat":{"id":%d,"type":"private"},"text":%s}`, id, chat, text)
	case "getFile":
		f.mu.Lock()
		content, ok := f.files[form["file_id"]]
		f.mu.Unlock()
		if !ok {
			c.Failed = true
			f.record(c)
			writeAPI(w, `{"ok":false,"error_code":400,"description":"Bad Request: invalid file_id"}`)
			return
		}
		result = fmt.Sprintf(`{"file_id":%q,"file_unique_id":"u%s","file_size":%d,"file_path":"photos/%s.bin"}`,
			form["file_id"], form["file_id"], len(content), form["file_id"])
	case "answerCallbackQuery", "sendChatAction", "setWebhook", "deleteWebhook":
		result = "true"
	default:
		f.t.Errorf("fake Bot API: unexpected method %s", method)
		writeAPI(w, `{"ok":false,"error_code":404,"description":"Not Found: method not found"}`)
		return
	}
	f.record(c)
	writeAPI(w, `{"ok":true,"result":`+result+`}`)
}

// getUpdates serves every queued update, or waits a little for one (a short
// long poll) and answers [].
func (f *fakeAPI) getUpdates(w http.ResponseWriter, r *http.Request) {
	timer := time.NewTimer(50 * time.Millisecond)
	defer timer.Stop()
	for {
		f.mu.Lock()
		q, ch := f.queue, f.changed
		f.queue = nil
		f.mu.Unlock()
		if len(q) > 0 {
			b, _ := json.Marshal(q)
			writeAPI(w, `{"ok":true,"result":`+string(b)+`}`)
			return
		}
		select {
		case <-ch:
		case <-timer.C:
			writeAPI(w, `{"ok":true,"result":[]}`)
			return
		case <-r.Context().Done():
			return
		}
	}
}

func (f *fakeAPI) record(c apiCall) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
	if c.Method == "sendMessage" && !c.Failed {
		f.sent++
	}
	f.notify()
}

// waitSent waits until n messages were sent, in O(1) per call: for benchmarks.
func (f *fakeAPI) waitSent(t testing.TB, n int) {
	t.Helper()
	deadline := time.After(5 * time.Minute)
	for {
		f.mu.Lock()
		sent, ch := f.sent, f.changed
		f.mu.Unlock()
		if sent >= n {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("timed out: %d of %d messages sent", sent, n)
		}
	}
}

func writeAPI(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, body)
}

// snapshot returns the calls so far.
func (f *fakeAPI) snapshot() []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]apiCall(nil), f.calls...)
}

// waitFor waits until cond holds for the recorded calls, or fails the test.
func (f *fakeAPI) waitFor(t testing.TB, what string, cond func([]apiCall) bool) []apiCall {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		f.mu.Lock()
		calls, ch := append([]apiCall(nil), f.calls...), f.changed
		f.mu.Unlock()
		if cond(calls) {
			return calls
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("timed out waiting for %s; calls: %s", what, describe(calls))
		}
	}
}

// waitMessages waits for n messages sent to chat and returns them.
func (f *fakeAPI) waitMessages(t testing.TB, chat int64, n int) []sentMessage {
	t.Helper()
	var got []sentMessage
	f.waitFor(t, fmt.Sprintf("%d messages to chat %d", n, chat), func(calls []apiCall) bool {
		got = messages(calls, chat)
		return len(got) >= n
	})
	return got
}

// sentMessage is a sendMessage call that succeeded.
type sentMessage struct {
	ID      int
	Text    string
	Buttons [][]button // nil without reply_markup
	ReplyTo int        // the message it replies to, 0 for none
}

type button struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data"`
}

// data returns the callback data of the button whose text contains label.
func (m sentMessage) data(label string) (string, bool) {
	for _, row := range m.Buttons {
		for _, b := range row {
			if strings.Contains(b.Text, label) {
				return b.CallbackData, true
			}
		}
	}
	return "", false
}

func (m sentMessage) hasFeedback() bool {
	_, solved := m.data("解决了")
	_, unsolved := m.data("没解决")
	return solved && unsolved
}

func messages(calls []apiCall, chat int64) []sentMessage {
	var out []sentMessage
	want := strconv.FormatInt(chat, 10)
	for _, c := range calls {
		if c.Method != "sendMessage" || c.Failed || c.Form["chat_id"] != want {
			continue
		}
		m := sentMessage{ID: c.MessageID, Text: c.Form["text"]}
		if rp := c.Form["reply_parameters"]; rp != "" {
			var p struct {
				MessageID int `json:"message_id"`
			}
			if err := json.Unmarshal([]byte(rp), &p); err != nil {
				panic(fmt.Sprintf("reply_parameters %q: %v", rp, err))
			}
			m.ReplyTo = p.MessageID
		}
		if rm := c.Form["reply_markup"]; rm != "" {
			var kb struct {
				InlineKeyboard [][]button `json:"inline_keyboard"`
			}
			if err := json.Unmarshal([]byte(rm), &kb); err != nil {
				panic(fmt.Sprintf("reply_markup %q: %v", rm, err))
			}
			m.Buttons = kb.InlineKeyboard
		}
		out = append(out, m)
	}
	return out
}

func count(calls []apiCall, method string) int {
	n := 0
	for _, c := range calls {
		if c.Method == method {
			n++
		}
	}
	return n
}

func describe(calls []apiCall) string {
	var b bytes.Buffer
	for _, c := range calls {
		if c.Method == "sendChatAction" {
			continue
		}
		fmt.Fprintf(&b, "\n  %s failed=%v %v", c.Method, c.Failed, c.Form)
	}
	return b.String()
}

// Updates, as Telegram sends them.

func textUpdate(id, chat int64, text string) string {
	t, _ := json.Marshal(text)
	return fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"date":1764000000,"chat":{"id":%d,"type":"private"},"from":{"id":%d,"is_bot":false,"first_name":"商户"},"text":%s}}`,
		id, id, chat, chat, t)
}

func commandUpdate(id, chat int64, cmd string) string {
	return fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"date":1764000000,"chat":{"id":%d,"type":"private"},"from":{"id":%d,"is_bot":false,"first_name":"商户"},"text":%q,"entities":[{"type":"bot_command","offset":0,"length":%d}]}}`,
		id, id, chat, chat, cmd, len(cmd))
}

// photoUpdate sends a photo in two sizes; the largest is fileID.
func photoUpdate(id, chat int64, fileID, caption string, size int) string {
	c, _ := json.Marshal(caption)
	return fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"date":1764000000,"chat":{"id":%d,"type":"private"},"from":{"id":%d,"is_bot":false,"first_name":"商户"},"caption":%s,"photo":[{"file_id":"thumb-%s","file_unique_id":"t","width":90,"height":60,"file_size":100},{"file_id":%q,"file_unique_id":"p","width":1280,"height":960,"file_size":%d}]}}`,
		id, id, chat, chat, c, fileID, fileID, size)
}

func documentUpdate(id, chat int64, fileID, mime string, size int) string {
	return fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"date":1764000000,"chat":{"id":%d,"type":"private"},"from":{"id":%d,"is_bot":false,"first_name":"商户"},"document":{"file_id":%q,"file_unique_id":"d","file_name":"screen.png","mime_type":%q,"file_size":%d}}}`,
		id, id, chat, chat, fileID, mime, size)
}

func callbackUpdate(id, chat int64, data string) string {
	return fmt.Sprintf(`{"update_id":%d,"callback_query":{"id":"cq%d","from":{"id":%d,"is_bot":false,"first_name":"商户"},"chat_instance":"ci","data":%q,"message":{"message_id":1,"date":1764000000,"chat":{"id":%d,"type":"private"},"text":"…"}}}`,
		id, id, chat, data, chat)
}

// agentMessage is a message an agent writes in the agents' group, as a reply
// to the bot's message replyTo (0 for none) whose text was replyText.
func agentMessage(id, group int64, msgID int, agent, text string, replyTo int, replyText string) string {
	t, _ := json.Marshal(text)
	reply := ""
	if replyTo != 0 {
		rt, _ := json.Marshal(replyText)
		reply = fmt.Sprintf(`,"reply_to_message":{"message_id":%d,"date":1764000000,"chat":{"id":%d,"type":"supergroup","title":"客服组"},"from":{"id":123456,"is_bot":true,"first_name":"posbot","username":"posbot_test_bot"},"text":%s}`,
			replyTo, group, rt)
	}
	return fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"date":1764000000,"chat":{"id":%d,"type":"supergroup","title":"客服组"},"from":{"id":4242,"is_bot":false,"first_name":"Alice","username":%q},"text":%s%s}}`,
		id, msgID, group, agent, t, reply)
}

// agentCallback is an agent pressing a button of the bot's message msgID in
// the agents' group.
func agentCallback(id, group int64, msgID int, agent, data string) string {
	return fmt.Sprintf(`{"update_id":%d,"callback_query":{"id":"cq%d","from":{"id":4242,"is_bot":false,"first_name":"Alice","username":%q},"chat_instance":"ci","data":%q,"message":{"message_id":%d,"date":1764000000,"chat":{"id":%d,"type":"supergroup","title":"客服组"},"text":"…"}}}`,
		id, id, agent, data, msgID, group)
}

// syncBuffer collects log output from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testLogger(buf *syncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

var _ = context.Background
