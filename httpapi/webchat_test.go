package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/bot/bottest"
	"github.com/posbot/posbot/ocr"
	"github.com/posbot/posbot/ocr/ocrtest"
)

// recording is an Engine that records the messages it gets and answers
// each with a fixed diagnosis.
type recording struct {
	mu  sync.Mutex
	got []bot.Message
	err error
}

func (e *recording) Handle(_ context.Context, m bot.Message) (bot.Reply, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, m)
	if e.err != nil {
		return bot.Reply{}, e.err
	}
	return bot.Reply{Answer: "答：" + m.Text + string(m.Intent), Target: "none"}, nil
}

func (e *recording) messages() []bot.Message {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]bot.Message(nil), e.got...)
}

// post sends a request to h and returns the status, the body and the headers.
func post(t *testing.T, h http.Handler, method, path, contentType string, body []byte) (int, []byte, http.Header) {
	t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("%s %s: Content-Type %q, want JSON", method, path, ct)
	}
	return rec.Code, rec.Body.Bytes(), rec.Header()
}

func TestFeedbackEndpoint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		method     string
		body       string
		engineErr  error
		wantStatus int
		wantIntent bot.Intent // the message the engine got, "" for none
		wantError  string     // part of the JSON error
		wantAnswer string
	}{
		{name: "solved", method: "POST", body: `{"conversation_id":"c-1","solved":true}`,
			wantStatus: 200, wantIntent: bot.IntentSolved, wantAnswer: "答：solved"},
		{name: "unsolved", method: "POST", body: `{"conversation_id":"c-1","solved":false}`,
			wantStatus: 200, wantIntent: bot.IntentUnsolved, wantAnswer: "答：unsolved"},
		{name: "engine fails", method: "POST", body: `{"conversation_id":"c-1","solved":false}`, engineErr: errors.New("boom"),
			wantStatus: 200, wantIntent: bot.IntentUnsolved, wantAnswer: channelText("http", "zh", "failed")},
		{name: "no conversation", method: "POST", body: `{"solved":true}`, wantStatus: 400, wantError: "请先发一条消息"},
		{name: "bad conversation", method: "POST", body: `{"conversation_id":"a/b","solved":true}`, wantStatus: 400, wantError: "conversation_id is required"},
		{name: "no verdict", method: "POST", body: `{"conversation_id":"c-1"}`, wantStatus: 400, wantError: "solved is required"},
		{name: "verdict as text", method: "POST", body: `{"conversation_id":"c-1","solved":"没解决"}`, wantStatus: 400, wantError: `field "solved" must be a bool`},
		{name: "two objects", method: "POST", body: `{"conversation_id":"c-1","solved":true}{}`, wantStatus: 400, wantError: "single JSON object"},
		{name: "too large", method: "POST", body: `{"conversation_id":"c-1","solved":true,"x":"` + strings.Repeat("x", 2000) + `"}`,
			wantStatus: 413, wantError: "太大"},
		{name: "wrong method", method: "GET", wantStatus: 405, wantError: "POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := &recording{err: tt.engineErr}
			s := New(e, Options{Logger: slog.New(slog.DiscardHandler)})
			status, body, h := post(t, s, tt.method, "/v1/feedback", "application/json", []byte(tt.body))
			if status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", status, tt.wantStatus, body)
			}
			got := e.messages()
			if tt.wantIntent == "" {
				if len(got) != 0 {
					t.Errorf("the engine got %+v", got)
				}
				var eb errorBody
				if err := json.Unmarshal(body, &eb); err != nil || !strings.Contains(eb.Error, tt.wantError) {
					t.Errorf("error body %s, want one with %q", body, tt.wantError)
				}
				return
			}
			want := []bot.Message{{ConversationID: "http:c-1", Channel: "http", Intent: tt.wantIntent}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("engine got (-want +got):\n%s", diff)
			}
			var r bot.Reply
			if err := json.Unmarshal(body, &r); err != nil || r.Answer != tt.wantAnswer || r.Sources == nil {
				t.Errorf("reply %s (%v), want answer %q and sources []", body, err, tt.wantAnswer)
			}
			if h.Get("X-Conversation-ID") != "c-1" {
				t.Errorf("X-Conversation-ID %q", h.Get("X-Conversation-ID"))
			}
		})
	}
}

// TestFeedbackThroughTheEngine: the buttons' verdicts reach the offline
// engine as Telegram's do: 没解决 is recorded against the passage and gets
// the next cause with a way to a person, then a person; 解决了 is recorded
// and thanked.
func TestFeedbackThroughTheEngine(t *testing.T) {
	t.Parallel()
	outcomes := &bot.MemoryOutcomes{}
	e := bottest.Engine(t, func(c *bot.Config) { c.Outcomes = outcomes })
	ts := httptest.NewServer(New(e, Options{Logger: slog.New(slog.DiscardHandler)}))
	defer ts.Close()
	texts := bottest.Base(t).Texts()
	verdict := func(conv string, solved bool) bot.Reply {
		t.Helper()
		var r bot.Reply
		body, _ := json.Marshal(map[string]any{"conversation_id": conv, "solved": solved})
		if code := call(t, "POST", ts.URL+"/v1/feedback", "", string(body), &r); code != 200 {
			t.Fatalf("POST /v1/feedback: %d", code)
		}
		return r
	}

	first := say(t, ts.URL, "fb-1", "刷卡显示交易失败51")
	next := verdict("fb-1", false)
	if next.Sections == nil || len(next.Sections.Before) == 0 || next.Sections.Before[0] != texts.Get("zh", "next_cause") ||
		!cmp.Equal(next.Options, []string{texts.Get("zh", "human_option")}) {
		t.Errorf("没解决 = %+v; want the next cause and the 转人工 option", next)
	}
	if person := verdict("fb-1", false); !person.Handoff || person.Reason != "not_solved" {
		t.Errorf("second 没解决 = %+v; want a handoff", person)
	}

	say(t, ts.URL, "fb-2", "交易失败55")
	if thanks := verdict("fb-2", true); thanks.Answer != texts.Get("zh", "solved") {
		t.Errorf("解决了 = %q, want %q", thanks.Answer, texts.Get("zh", "solved"))
	}
	var got []string
	for _, o := range outcomes.All() {
		got = append(got, o.ConversationID+" "+o.PassageID+" "+map[bool]string{true: "solved", false: "unsolved"}[o.Solved])
	}
	want := []string{"http:fb-1 " + first.Sources[0].ID + " unsolved", "http:fb-1 msg-one-card-fail unsolved", "http:fb-2 code-55 solved"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
}

// imageBody is a multipart form with the given fields; "image" is a file.
func imageBody(t *testing.T, fields map[string]string, img []byte) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if img != nil {
		fw, err := mw.CreateFormFile("image", "screen.png")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(img)
	}
	mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

// screenshot is a picture of a terminal screen saying 交易失败 51.
func screenshot(t *testing.T) []byte {
	t.Helper()
	ocrtest.Need(t)
	img, err := ocrtest.Screen("交易失败 51")
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// imageReplyJSON is the answer to POST /v1/messages/image as a client reads it.
type imageReplyJSON struct {
	bot.Reply
	Notice string `json:"notice"`
}

// TestImageEndpoint posts screenshots as the chat page does: a picture of
// 51 read by tesseract and answered by the offline engine, a broken picture
// and no OCR answered politely, with or without a caption, and the limits.
func TestImageEndpoint(t *testing.T) {
	t.Parallel()
	png := screenshot(t)
	e := bottest.Engine(t)
	quiet := slog.New(slog.DiscardHandler)
	withOCR := New(e, Options{Logger: quiet, OCR: &ocr.Tesseract{}})

	t.Run("screenshot of 51", func(t *testing.T) {
		t.Parallel()
		body, ct := imageBody(t, nil, png)
		status, b, h := post(t, withOCR, "POST", "/v1/messages/image", ct, body)
		var r imageReplyJSON
		if err := json.Unmarshal(b, &r); status != 200 || err != nil {
			t.Fatalf("status %d: %s", status, b)
		}
		if r.Code != "51" || r.Sections == nil || r.Notice != "" || !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(h.Get("X-Conversation-ID")) {
			t.Errorf("reply %+v, conversation %q; want the 51 answer with sections in a new conversation", r, h.Get("X-Conversation-ID"))
		}
	})
	t.Run("screenshot with a caption in a conversation", func(t *testing.T) {
		t.Parallel()
		body, ct := imageBody(t, map[string]string{"conversation_id": "img-2", "text": "卡号6222021234567890128 又这样了"}, png)
		status, b, h := post(t, withOCR, "POST", "/v1/messages/image", ct, body)
		var r imageReplyJSON
		if err := json.Unmarshal(b, &r); status != 200 || err != nil {
			t.Fatalf("status %d: %s", status, b)
		}
		if r.Code != "51" || h.Get("X-Conversation-ID") != "img-2" || r.TextRedacted != "卡号622202*********0128 又这样了" || !r.CardDataMasked {
			t.Errorf("reply %+v; want 51 in img-2 and the caption masked", r)
		}
		if strings.Contains(string(b), "1234567890") {
			t.Errorf("the reply holds the card number: %s", b)
		}
	})

	polite := []struct {
		name       string
		srv        *Server
		fields     map[string]string
		img        []byte
		wantAnswer string // exactly, or the start of it with wantNotice
		wantNotice string
		wantCode   string
	}{
		{name: "broken image", srv: withOCR, img: []byte("\x89PNG\r\n\x1a\n but not really"), wantAnswer: channelText("screens", "zh", "image_unreadable")},
		{name: "not an image at all", srv: withOCR, img: []byte("%PDF-1.4 hello"), wantAnswer: channelText("screens", "zh", "image_unreadable")},
		{name: "broken image with a caption", srv: withOCR, fields: map[string]string{"text": "交易失败51"}, img: []byte("garbage"),
			wantNotice: channelText("screens", "zh", "image_unreadable_caption"), wantCode: "51"},
		{name: "no OCR", srv: New(e, Options{Logger: quiet}), img: png, wantAnswer: channelText("screens", "zh", "image_unreadable")},
	}
	for _, tt := range polite {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body, ct := imageBody(t, tt.fields, tt.img)
			status, b, _ := post(t, tt.srv, "POST", "/v1/messages/image", ct, body)
			var r imageReplyJSON
			if err := json.Unmarshal(b, &r); status != 200 || err != nil {
				t.Fatalf("status %d: %s", status, b)
			}
			if tt.wantAnswer != "" && (r.Answer != tt.wantAnswer || r.Sources == nil || r.Target != "none") {
				t.Errorf("answer %s; want %q", b, tt.wantAnswer)
			}
			if r.Notice != tt.wantNotice || r.Code != tt.wantCode {
				t.Errorf("notice %q code %q; want %q and %q", r.Notice, r.Code, tt.wantNotice, tt.wantCode)
			}
		})
	}
}

// TestImageLimits: what is refused before any OCR, with a polite JSON error.
func TestImageLimits(t *testing.T) {
	t.Parallel()
	const max = 4 << 10
	tests := []struct {
		name       string
		fields     map[string]string
		img        []byte
		raw        []byte // the body instead of a form, with contentType
		rawType    string
		wantStatus int
		wantError  string
	}{
		{name: "image over the cap", img: bytes.Repeat([]byte{0x89}, max+1), wantStatus: 413, wantError: "这张图片太大了（超过 1MB）"},
		{name: "body over its cap", fields: map[string]string{"junk": strings.Repeat("x", max+imageFormSlack)}, img: []byte("x"),
			wantStatus: 413, wantError: "这张图片太大了"},
		{name: "caption too long", fields: map[string]string{"text": strings.Repeat("长", 30)}, img: []byte("x"), wantStatus: 413, wantError: "消息太长了"},
		{name: "no image", fields: map[string]string{"text": "51"}, wantStatus: 400, wantError: "没有收到图片"},
		{name: "empty image", img: []byte{}, wantStatus: 400, wantError: "没有收到图片"},
		{name: "bad conversation id", fields: map[string]string{"conversation_id": "a b"}, img: []byte("x"), wantStatus: 400, wantError: "Invalid conversation_id"},
		{name: "conversation id too long", fields: map[string]string{"conversation_id": strings.Repeat("a", 100)}, img: []byte("x"), wantStatus: 400, wantError: "Invalid conversation_id"},
		{name: "JSON instead of a form", raw: []byte(`{"image":"aGk="}`), rawType: "application/json", wantStatus: 400, wantError: "multipart/form-data"},
		{name: "truncated form", raw: []byte("--b\r\nContent-Disposition: form-data; name=\"image\"\r\n\r\nabc"), rawType: "multipart/form-data; boundary=b",
			wantStatus: 400, wantError: "没有传完整"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := &recording{}
			reads := 0
			s := New(e, Options{Logger: slog.New(slog.DiscardHandler), MaxImageBytes: max, MaxTextRunes: 20,
				OCR: readerFunc(func(context.Context, []byte) (string, error) { reads++; return "交易失败 51", nil })})
			body, ct := tt.raw, tt.rawType
			if body == nil {
				body, ct = imageBody(t, tt.fields, tt.img)
			}
			status, b, _ := post(t, s, "POST", "/v1/messages/image", ct, body)
			if status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", status, tt.wantStatus, b)
			}
			var eb errorBody
			if err := json.Unmarshal(b, &eb); err != nil || !strings.Contains(eb.Error, tt.wantError) {
				t.Errorf("body %s, want an error with %q", b, tt.wantError)
			}
			if reads != 0 || len(e.messages()) != 0 {
				t.Errorf("refused request reached the OCR (%d) or the engine (%+v)", reads, e.messages())
			}
		})
	}

	// At the cap exactly, the picture is read.
	e := &recording{}
	s := New(e, Options{Logger: slog.New(slog.DiscardHandler), MaxImageBytes: max,
		OCR: readerFunc(func(_ context.Context, img []byte) (string, error) { return "交易失败 51", nil })})
	body, ct := imageBody(t, map[string]string{"conversation_id": "cap"}, bytes.Repeat([]byte{1}, max))
	if status, b, _ := post(t, s, "POST", "/v1/messages/image", ct, body); status != 200 {
		t.Fatalf("an image at the cap: %d %s", status, b)
	}
	want := []bot.Message{{ConversationID: "http:cap", Channel: "http", ImageText: "交易失败 51"}}
	if diff := cmp.Diff(want, e.messages()); diff != "" {
		t.Errorf("engine got (-want +got):\n%s", diff)
	}
	if status, _, _ := post(t, s, "GET", "/v1/messages/image", "", nil); status != 405 {
		t.Errorf("GET = %d, want 405", status)
	}
}

// readerFunc adapts a function to ocr.Reader, for the tests of what happens
// around the OCR (limits, concurrency); the OCR itself is tested with
// tesseract.
type readerFunc func(ctx context.Context, img []byte) (string, error)

func (f readerFunc) Read(ctx context.Context, img []byte) (string, error) { return f(ctx, img) }

// TestImageOCRSlots: with every OCR slot taken, a screenshot waits for one
// within its request's deadline and is then refused with 503, not queued
// without end.
func TestImageOCRSlots(t *testing.T) {
	t.Parallel()
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	s := New(&recording{}, Options{Logger: slog.New(slog.DiscardHandler), MaxOCR: 1, Timeout: 300 * time.Millisecond,
		OCR: readerFunc(func(context.Context, []byte) (string, error) {
			once.Do(func() { close(started) })
			<-release // holds the one slot, past its own deadline
			return "交易失败 51", nil
		})})
	ts := httptest.NewServer(s)
	defer ts.Close()
	body, ct := imageBody(t, map[string]string{"conversation_id": "slot"}, []byte("img"))
	first := make(chan int, 1)
	go func() {
		res, err := http.Post(ts.URL+"/v1/messages/image", ct, bytes.NewReader(body))
		if err != nil {
			first <- 0
			return
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		first <- res.StatusCode
	}()
	<-started
	status, b, h := post(t, s, "POST", "/v1/messages/image", ct, body)
	close(release)
	if status != http.StatusServiceUnavailable || h.Get("Retry-After") == "" || !strings.Contains(string(b), "图片太多") {
		t.Errorf("second screenshot while the slot is taken: %d %s (Retry-After %q)", status, b, h.Get("Retry-After"))
	}
	if code := <-first; code != 200 {
		t.Errorf("first screenshot: %d", code)
	}
}

// TestImageReplyJSON pins the shape: the reply's own fields at the top
// level, and notice only when there is one.
func TestImageReplyJSON(t *testing.T) {
	t.Parallel()
	b, _ := json.Marshal(imageReply{Reply: bot.Reply{Answer: "a", Target: "none", Sources: []bot.Source{}}, Notice: "n"})
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	if m["answer"] != "a" || m["notice"] != "n" || m["target"] != "none" {
		t.Errorf("image reply JSON %s", b)
	}
	b, _ = json.Marshal(imageReply{Reply: bot.Reply{Answer: "a"}})
	if strings.Contains(string(b), "notice") {
		t.Errorf("empty notice sent: %s", b)
	}
}

// TestPageAttachButton: the page offers screenshots only when they are read.
func TestPageAttachButton(t *testing.T) {
	t.Parallel()
	for _, withOCR := range []bool{false, true} {
		opts := Options{Logger: slog.New(slog.DiscardHandler)}
		if withOCR {
			opts.OCR = readerFunc(func(context.Context, []byte) (string, error) { return "", nil })
		}
		rec := httptest.NewRecorder()
		New(&recording{}, opts).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		page := rec.Body.String()
		if has := strings.Contains(page, `id="attach"`) && strings.Contains(page, `accept="image/*"`); has != withOCR {
			t.Errorf("OCR %v: attach button shown %v", withOCR, has)
		}
		if !strings.Contains(page, "var MAX_IMAGE =  10485760 ;") {
			t.Errorf("OCR %v: the page does not know the image cap", withOCR)
		}
	}
}
