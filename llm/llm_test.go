package llm_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/bot/bottest"
	"github.com/posbot/posbot/llm"
)

// fakeOpenAI speaks the OpenAI-compatible chat and embeddings protocol.
type fakeOpenAI struct {
	reply   func(req map[string]any) (status int, content string)
	delay   time.Duration
	calls   atomic.Int32
	lastReq atomic.Value
}

func (f *fakeOpenAI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	if r.Header.Get("Authorization") != "Bearer test-key" {
		http.Error(w, `{"error":{"message":"bad key","type":"invalid_request_error"}}`, http.StatusUnauthorized)
		return
	}
	var req map[string]any
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	f.lastReq.Store(req)
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/v1/chat/completions":
		status, content := f.reply(req)
		if status != http.StatusOK {
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": content, "type": "server_error"}})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-1", "object": "chat.completion", "model": req["model"],
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": content}}},
		})
	case "/v1/embeddings":
		inputs, _ := req["input"].([]any)
		data := make([]any, len(inputs))
		for i, in := range inputs {
			s, _ := in.(string)
			v := []float64{float64(len(s)%7) + 1, float64(strings.Count(s, "卡")) + 1, 1}
			data[len(inputs)-1-i] = map[string]any{"object": "embedding", "index": i, "embedding": v}
		}
		json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "model": req["model"]})
	default:
		http.NotFound(w, r)
	}
}

func newEngine(t *testing.T, f *fakeOpenAI, timeout time.Duration) *bot.Engine {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	model := llm.New(llm.Config{BaseURL: srv.URL + "/v1", APIKey: "test-key", ChatModel: "qwen-test", Timeout: timeout})
	return bottest.Engine(t, func(c *bot.Config) { c.Writer = model })
}

const goodAnswer = "应答码 51：余额不足，卡内可用余额或额度不够。\n1. 请顾客换卡或用其他方式付款。\n2. 不要反复重刷。\n如有疑问，请持卡人拨打银行卡背面的客服电话联系发卡银行。"

func TestModelAnswerAndFallback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		reply      func(map[string]any) (int, string)
		delay      time.Duration
		wantWriter string
	}{
		{"valid answer is used", func(map[string]any) (int, string) { return 200, goodAnswer }, 0, "model"},
		{"server error falls back", func(map[string]any) (int, string) { return 500, "boom" }, 0, "template"},
		{"rate limited falls back", func(map[string]any) (int, string) { return 429, "slow down" }, 0, "template"},
		{"timeout falls back", func(map[string]any) (int, string) { return 200, goodAnswer }, 2 * time.Second, "template"},
		{"nonsense falls back", func(map[string]any) (int, string) { return 200, "今天天气不错，适合出去玩。" }, 0, "template"},
		{"lost target falls back", func(map[string]any) (int, string) { return 200, "应答码 51 余额不足，请换卡。" }, 0, "template"},
		{"card data falls back", func(map[string]any) (int, string) {
			return 200, goodAnswer + "\n卡号 6222021234567890123"
		}, 0, "template"},
		{"too long falls back", func(map[string]any) (int, string) {
			return 200, goodAnswer + strings.Repeat("余额", bot.MaxAnswerRunes)
		}, 0, "template"},
		{"empty falls back", func(map[string]any) (int, string) { return 200, "  " }, 0, "template"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeOpenAI{reply: tt.reply, delay: tt.delay}
			e := newEngine(t, f, 300*time.Millisecond)
			r, err := e.Handle(context.Background(), bot.Message{ConversationID: "m", Text: "刷卡显示交易失败51"})
			if err != nil {
				t.Fatal(err)
			}
			if r.Writer != tt.wantWriter {
				t.Fatalf("writer %q, want %q; answer:\n%s", r.Writer, tt.wantWriter, r.Answer)
			}
			if r.Code != "51" || r.Target != "bank" || !strings.Contains(r.Answer, "余额") {
				t.Fatalf("reply lost its facts: %+v", r)
			}
			if strings.Contains(r.Answer, "6222021234567890123") {
				t.Fatal("card number reached the reply")
			}
			if f.calls.Load() == 0 {
				t.Fatal("the model was never called")
			}
		})
	}
}

func TestPromptIsGroundedAndRedacted(t *testing.T) {
	t.Parallel()
	f := &fakeOpenAI{reply: func(map[string]any) (int, string) { return 200, goodAnswer }}
	e := newEngine(t, f, time.Second)
	if _, err := e.Handle(context.Background(), bot.Message{ConversationID: "p", Text: "卡号6222021234567890123 密码123456 显示51"}); err != nil {
		t.Fatal(err)
	}
	req, _ := f.lastReq.Load().(map[string]any)
	b, _ := json.Marshal(req)
	body := string(b)
	for _, bad := range []string{"6222021234567890123", "123456"} {
		if strings.Contains(body, bad) {
			t.Fatalf("card data %q reached the model", bad)
		}
	}
	for _, want := range []string{"qwen-test", "余额", "背面", "temperature"} {
		if !strings.Contains(body, want) {
			t.Errorf("request lacks %q: %s", want, body)
		}
	}
}

func TestEmbeddings(t *testing.T) {
	t.Parallel()
	f := &fakeOpenAI{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := llm.New(llm.Config{BaseURL: srv.URL + "/v1", APIKey: "test-key", EmbedModel: "bge-m3", Timeout: time.Second})
	texts := []string{"读卡失败", "通讯失败了", "卡卡卡"}
	vecs, err := c.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if len(vecs) != 3 {
		t.Fatalf("%d vectors", len(vecs))
	}
	// The fake returns data in reverse order: vectors must follow the index.
	if vecs[2][1] <= vecs[0][1] {
		t.Errorf("vectors not ordered by index: %v", vecs)
	}
	var norm float32
	for _, x := range vecs[0] {
		norm += x * x
	}
	if norm < 0.99 || norm > 1.01 {
		t.Errorf("vector not normalised: %v", norm)
	}
	if c.Name() != "openai:bge-m3" {
		t.Errorf("Name() = %q", c.Name())
	}
}
