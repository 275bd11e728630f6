package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/bot/bottest"
	"github.com/posbot/posbot/logging"
)

// engineFunc adapts a function to Engine, so each test case states its fake inline.
type engineFunc func(ctx context.Context, m bot.Message) (bot.Reply, error)

func (f engineFunc) Handle(ctx context.Context, m bot.Message) (bot.Reply, error) { return f(ctx, m) }

var _ Engine = engineFunc(nil)

// echo answers "收到：<text>" and records the message it was given in *got.
func echo(got *bot.Message) engineFunc {
	return func(_ context.Context, m bot.Message) (bot.Reply, error) {
		*got = m
		return bot.Reply{Answer: "收到：" + m.Text, Target: "none"}, nil
	}
}

func TestServer(t *testing.T) {
	t.Parallel()
	const secret = "卡号6222021234567890123"
	sample := bot.Reply{
		Answer:      "应答码 51：余额不足。\n请换一张卡或联系发卡行。",
		Code:        "51",
		CodeMeaning: "余额不足",
		Target:      "bank",
		Sources:     []bot.Source{{ID: "code-51", Title: "应答码 51 余额不足", Score: 0.91}},
		Options:     []string{"只有这张卡", "所有卡都不行"},
		Confidence:  0.91,
		Writer:      "template",
	}

	tests := []struct {
		name       string
		opts       Options
		engine     engineFunc
		mount      func(s *Server)
		method     string
		path       string
		body       string
		header     map[string]string
		wantStatus int
		wantType   string
		check      func(t *testing.T, res *http.Response, body []byte, logs string)
	}{
		{
			name: "answer",
			engine: func(_ context.Context, m bot.Message) (bot.Reply, error) {
				want := bot.Message{ConversationID: "http:abc-1", Channel: "http", Text: "交易失败 51"}
				if diff := cmp.Diff(want, m); diff != "" {
					return bot.Reply{}, errors.New("message (-want +got):\n" + diff)
				}
				return sample, nil
			},
			method: "POST", path: "/v1/messages",
			body:       `{"conversation_id":"abc-1","text":"  交易失败 51\n"}`,
			wantStatus: http.StatusOK,
			wantType:   "application/json; charset=utf-8",
			check: func(t *testing.T, res *http.Response, body []byte, _ string) {
				var got bot.Reply
				if err := json.Unmarshal(body, &got); err != nil {
					t.Fatalf("decode reply: %v\n%s", err, body)
				}
				if diff := cmp.Diff(sample, got); diff != "" {
					t.Errorf("reply (-want +got):\n%s", diff)
				}
				if id := res.Header.Get("X-Conversation-ID"); id != "abc-1" {
					t.Errorf("X-Conversation-ID = %q, want abc-1", id)
				}
			},
		},
		{
			name: "conversation id generated",
			engine: func(_ context.Context, m bot.Message) (bot.Reply, error) {
				return bot.Reply{Answer: m.ConversationID}, nil
			},
			method: "POST", path: "/v1/messages",
			body:       `{"text":"交易失败 51"}`,
			wantStatus: http.StatusOK,
			wantType:   "application/json; charset=utf-8",
			check: func(t *testing.T, res *http.Response, body []byte, _ string) {
				id := res.Header.Get("X-Conversation-ID")
				if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(id) {
					t.Fatalf("X-Conversation-ID = %q, want 32 hex digits", id)
				}
				var got bot.Reply
				if err := json.Unmarshal(body, &got); err != nil {
					t.Fatal(err)
				}
				if got.Answer != "http:"+id {
					t.Errorf("engine saw conversation %q, want %q", got.Answer, "http:"+id)
				}
				if !bytes.Contains(body, []byte(`"sources":[]`)) {
					t.Errorf("nil sources not sent as []: %s", body)
				}
			},
		},
		{
			name:   "invalid json",
			method: "POST", path: "/v1/messages",
			body:       `{"text":`,
			wantStatus: http.StatusBadRequest,
			wantType:   "application/json; charset=utf-8",
			check:      wantError("Invalid JSON"),
		},
		{
			name:   "empty body",
			method: "POST", path: "/v1/messages",
			wantStatus: http.StatusBadRequest,
			wantType:   "application/json; charset=utf-8",
			check:      wantError("empty body"),
		},
		{
			name:   "trailing data",
			method: "POST", path: "/v1/messages",
			body:       `{"text":"51"} {"text":"52"}`,
			wantStatus: http.StatusBadRequest,
			wantType:   "application/json; charset=utf-8",
			check:      wantError("single JSON object"),
		},
		{
			name:   "text of wrong type",
			method: "POST", path: "/v1/messages",
			body:       `{"text":51}`,
			wantStatus: http.StatusBadRequest,
			wantType:   "application/json; charset=utf-8",
			check:      wantError(`field "text" must be a string`),
		},
		{
			name:   "missing text",
			method: "POST", path: "/v1/messages",
			body:       `{"conversation_id":"abc"}`,
			wantStatus: http.StatusBadRequest,
			wantType:   "application/json; charset=utf-8",
			check:      wantError("text is required"),
		},
		{
			name:   "blank text",
			method: "POST", path: "/v1/messages",
			body:       `{"text":" \n\t "}`,
			wantStatus: http.StatusBadRequest,
			wantType:   "application/json; charset=utf-8",
			check:      wantError("text is required"),
		},
		{
			name:   "bad conversation id",
			method: "POST", path: "/v1/messages",
			body:       `{"conversation_id":"tg 1/../x","text":"51"}`,
			wantStatus: http.StatusBadRequest,
			wantType:   "application/json; charset=utf-8",
			check:      wantError("Invalid conversation_id"),
		},
		{
			name:   "body too large",
			opts:   Options{MaxBodyBytes: 100},
			method: "POST", path: "/v1/messages",
			body:       `{"text":"` + strings.Repeat("5", 200) + `"}`,
			wantStatus: http.StatusRequestEntityTooLarge,
			wantType:   "application/json; charset=utf-8",
			check:      wantError("消息太长了", "too long"),
		},
		{
			name:   "text too long",
			opts:   Options{MaxTextRunes: 10},
			method: "POST", path: "/v1/messages",
			body:       `{"text":"刷卡显示交易失败五十一"}`,
			wantStatus: http.StatusRequestEntityTooLarge,
			wantType:   "application/json; charset=utf-8",
			check:      wantError("消息太长了（最多 10 字）", "屏幕上的代码或提示文字", "the code or the words on the screen"),
		},
		{
			name:   "text at the limit",
			opts:   Options{MaxTextRunes: 10},
			engine: echo(new(bot.Message)),
			method: "POST", path: "/v1/messages",
			body:       `{"text":"刷卡显示交易失败五十"}`,
			wantStatus: http.StatusOK,
			wantType:   "application/json; charset=utf-8",
		},
		{
			name:   "wrong method",
			method: "GET", path: "/v1/messages",
			wantStatus: http.StatusMethodNotAllowed,
			wantType:   "application/json; charset=utf-8",
			check: func(t *testing.T, res *http.Response, body []byte, logs string) {
				if got := res.Header.Get("Allow"); got != "POST" {
					t.Errorf("Allow = %q, want POST", got)
				}
				wantError("Method not allowed")(t, res, body, logs)
			},
		},
		{
			name: "engine error",
			engine: func(context.Context, bot.Message) (bot.Reply, error) {
				return bot.Reply{}, errors.New("llm: dial tcp 10.0.0.7:443: connection refused")
			},
			method: "POST", path: "/v1/messages",
			body:       `{"conversation_id":"c1","text":"` + secret + `"}`,
			wantStatus: http.StatusOK,
			wantType:   "application/json; charset=utf-8",
			check: func(t *testing.T, _ *http.Response, body []byte, logs string) {
				var got bot.Reply
				if err := json.Unmarshal(body, &got); err != nil {
					t.Fatal(err)
				}
				want := bot.Reply{Answer: channelText("http", "zh", "failed"), Target: "none", Sources: []bot.Source{}}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("fallback (-want +got):\n%s", diff)
				}
				if !strings.Contains(got.Answer, "转人工") {
					t.Errorf("fallback does not offer 转人工: %q", got.Answer)
				}
				if strings.Contains(string(body), "connection refused") {
					t.Errorf("error string leaked to the merchant: %s", body)
				}
				for _, want := range []string{`"msg":"engine failed"`, `"conversation_id":"http:c1"`, "connection refused", `"request_id":"`} {
					if !strings.Contains(logs, want) {
						t.Errorf("log lacks %s:\n%s", want, logs)
					}
				}
				if strings.Contains(logs, "6222021234567890123") {
					t.Errorf("raw merchant text in the log:\n%s", logs)
				}
			},
		},
		{
			name: "engine timeout",
			opts: Options{Timeout: 10 * time.Millisecond},
			engine: func(ctx context.Context, _ bot.Message) (bot.Reply, error) {
				<-ctx.Done()
				return bot.Reply{}, ctx.Err()
			},
			method: "POST", path: "/v1/messages",
			body:       `{"text":"51"}`,
			wantStatus: http.StatusOK,
			wantType:   "application/json; charset=utf-8",
			check: func(t *testing.T, _ *http.Response, body []byte, logs string) {
				if !strings.Contains(string(body), channelText("http", "zh", "failed")) {
					t.Errorf("no fallback answer: %s", body)
				}
				if !strings.Contains(logs, "deadline exceeded") {
					t.Errorf("timeout not logged:\n%s", logs)
				}
			},
		},
		{
			name: "engine panic",
			engine: func(context.Context, bot.Message) (bot.Reply, error) {
				panic("boom")
			},
			method: "POST", path: "/v1/messages",
			body:       `{"text":"51"}`,
			wantStatus: http.StatusInternalServerError,
			wantType:   "application/json; charset=utf-8",
			check: func(t *testing.T, res *http.Response, body []byte, logs string) {
				wantError("Internal server error")(t, res, body, logs)
				for _, want := range []string{`"msg":"handler panic"`, `"panic":"boom"`, `"route":"POST /v1/messages"`, `"status":500`} {
					if !strings.Contains(logs, want) {
						t.Errorf("log lacks %s:\n%s", want, logs)
					}
				}
			},
		},
		{
			name: "mounted route panics",
			mount: func(s *Server) {
				s.Handle("POST /telegram", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("webhook") }))
			},
			method: "POST", path: "/telegram",
			wantStatus: http.StatusInternalServerError,
			wantType:   "application/json; charset=utf-8",
			check:      wantError("Internal server error"),
		},
		{
			name: "mounted route sees request id",
			mount: func(s *Server) {
				s.Handle("GET /readyz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					_, _ = io.WriteString(w, RequestID(r.Context()))
				}))
			},
			method: "GET", path: "/readyz",
			header:     map[string]string{"X-Request-ID": "req-42"},
			wantStatus: http.StatusOK,
			check: func(t *testing.T, res *http.Response, body []byte, logs string) {
				if string(body) != "req-42" || res.Header.Get("X-Request-ID") != "req-42" {
					t.Errorf("request id: body %q, header %q, want req-42", body, res.Header.Get("X-Request-ID"))
				}
				if !strings.Contains(logs, `"request_id":"req-42"`) {
					t.Errorf("access log lacks request id:\n%s", logs)
				}
			},
		},
		{
			name:   "unsafe request id replaced",
			method: "GET", path: "/healthz",
			header:     map[string]string{"X-Request-ID": "a\"b<script>"},
			wantStatus: http.StatusOK,
			check: func(t *testing.T, res *http.Response, _ []byte, _ string) {
				if id := res.Header.Get("X-Request-ID"); !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(id) {
					t.Errorf("X-Request-ID = %q, want a fresh 32 hex digits", id)
				}
			},
		},
		{
			name:   "healthz",
			method: "GET", path: "/healthz",
			wantStatus: http.StatusOK,
			wantType:   "application/json; charset=utf-8",
			check: func(t *testing.T, _ *http.Response, body []byte, _ string) {
				if got := strings.TrimSpace(string(body)); got != `{"status":"ok"}` {
					t.Errorf("body = %s, want {\"status\":\"ok\"}", got)
				}
			},
		},
		{
			name:   "chat page",
			method: "GET", path: "/",
			wantStatus: http.StatusOK,
			wantType:   "text/html; charset=utf-8",
			check: func(t *testing.T, res *http.Response, body []byte, _ string) {
				for _, want := range []string{
					`id="input"`, `id="send"`, `id="messages"`, `'msg bot'`, `'option'`,
					"posbot · POS交易失败助手", "交易失败 51", `maxlength="2000"`, "localStorage", "textContent",
				} {
					if !bytes.Contains(body, []byte(want)) {
						t.Errorf("page lacks %s", want)
					}
				}
				for _, bad := range []string{"innerHTML", "http://", "https://", "{{"} {
					if bytes.Contains(body, []byte(bad)) {
						t.Errorf("page contains %s", bad)
					}
				}
				csp := res.Header.Get("Content-Security-Policy")
				if strings.Count(csp, "'sha256-") != 2 || strings.Contains(csp, "unsafe-inline") {
					t.Errorf("CSP = %q, want one style and one script hash", csp)
				}
			},
		},
		{
			name:   "unknown path",
			method: "GET", path: "/nope",
			wantStatus: http.StatusNotFound,
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			tt.opts.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			e := tt.engine
			if e == nil {
				e = func(context.Context, bot.Message) (bot.Reply, error) {
					return bot.Reply{}, errors.New("engine must not be called")
				}
			}
			s := New(e, tt.opts)
			if tt.mount != nil {
				tt.mount(s)
			}
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)

			res := rec.Result()
			body := rec.Body.Bytes()
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", res.StatusCode, tt.wantStatus, body)
			}
			if tt.wantType != "" {
				if got := res.Header.Get("Content-Type"); got != tt.wantType {
					t.Errorf("Content-Type = %q, want %q", got, tt.wantType)
				}
			}
			if res.Header.Get("X-Request-ID") == "" {
				t.Error("no X-Request-ID header")
			}
			if tt.check != nil {
				tt.check(t, res, body, logs.String())
			}
		})
	}
}

// wantError checks a JSON {"error": ...} body that contains every part.
func wantError(parts ...string) func(t *testing.T, res *http.Response, body []byte, logs string) {
	return func(t *testing.T, _ *http.Response, body []byte, _ string) {
		t.Helper()
		var e errorBody
		if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
			t.Fatalf("body %s is not {\"error\": ...}: %v", body, err)
		}
		for _, p := range parts {
			if !strings.Contains(e.Error, p) {
				t.Errorf("error %q lacks %q", e.Error, p)
			}
		}
	}
}

func TestNewDefaults(t *testing.T) {
	t.Parallel()
	s := New(engineFunc(nil), Options{})
	got := []any{s.maxBody, s.maxText, s.timeout, s.log != nil}
	want := []any{int64(64 << 10), 2000, 15 * time.Second, true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

// TestOneLogLinePerMessage: a message answered over HTTP makes one line at
// Info, the engine's "answered" with the request id; the access log of a
// request that is not a message answered stays at Info.
func TestOneLogLinePerMessage(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	log := slog.New(logging.Handler(slog.NewJSONHandler(&logs, nil)))
	s := New(bottest.Engine(t, func(c *bot.Config) { c.Logger = log }), Options{Logger: log})
	post := func(id, body string) int {
		req := httptest.NewRequest(http.MethodPost, "/v1/messages", strings.NewReader(body))
		req.Header.Set("X-Request-ID", id)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec.Code
	}
	lines := func(id string) []string {
		var out []string
		for l := range strings.Lines(logs.String()) {
			if strings.Contains(l, `"request_id":"`+id+`"`) {
				out = append(out, l)
			}
		}
		return out
	}
	for i, text := range []string{"刷卡显示交易失败51", "机器一直通讯失败", "刷卡失败了怎么办"} {
		id := fmt.Sprintf("msg-%d", i)
		if code := post(id, `{"conversation_id":"one-line","text":"`+text+`"}`); code != http.StatusOK {
			t.Fatalf("%s: %d", text, code)
		}
		if got := lines(id); len(got) != 1 || !strings.Contains(got[0], `"msg":"answered"`) {
			t.Errorf("%s: %d lines, want the one \"answered\" line:\n%s", text, len(got), strings.Join(got, ""))
		}
	}
	if code := post("bad", `{"text":`); code != http.StatusBadRequest {
		t.Fatalf("bad body: %d", code)
	}
	if got := lines("bad"); len(got) != 1 || !strings.Contains(got[0], `"msg":"http request"`) || !strings.Contains(got[0], `"status":400`) {
		t.Errorf("bad request: want its access log line at Info, got:\n%s", strings.Join(got, ""))
	}
}
