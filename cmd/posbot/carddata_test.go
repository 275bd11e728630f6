package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/redact/redacttest"
)

// recordingModel is an OpenAI-compatible chat server that keeps every
// request body and answers with a fixed text.
type recordingModel struct {
	mu     sync.Mutex
	bodies []string
}

func (m *recordingModel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	m.mu.Lock()
	m.bodies = append(m.bodies, string(b))
	m.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"id": "c1", "object": "chat.completion", "model": "m",
		"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
			"message": map[string]any{"role": "assistant", "content": "请联系发卡行。"}}}})
}

func (m *recordingModel) all() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return strings.Join(m.bodies, "\n")
}

// TestCardDataNeverStored sends generated messages full of card numbers,
// PINs, CVVs, SMS codes and expiry dates through `posbot serve` over HTTP,
// with Redis sessions and a model, then asks for a person, and searches
// every reply, the stored session, every model request and every log line
// for what the merchant typed.
func TestCardDataNeverStored(t *testing.T) {
	t.Parallel()
	redisURL, _ := serviceURLs(t)
	base, err := knowledge.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	var kb strings.Builder
	for _, p := range base.All() {
		kb.WriteString(redacttest.Digits(p.Text() + strings.Join(p.Sources, " ")))
	}
	// Keep messages whose secrets cannot be told from knowledge text that a
	// reply or a model request quotes by right ("583" in "ISO 8583").
	var msgs []redacttest.Generated
	for _, g := range redacttest.Generate(8583, 200) {
		clear := true
		for _, s := range g.Secrets {
			clear = clear && !strings.Contains(kb.String(), redacttest.Digits(s))
		}
		if clear && len(msgs) < 40 {
			msgs = append(msgs, g)
		}
	}

	model := &recordingModel{}
	ms := httptest.NewServer(model)
	defer ms.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var stderr lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, nil, io.Discard, &stderr, env(map[string]string{
			"POSBOT_HTTP_ADDR": "127.0.0.1:0", "POSBOT_REDIS_URL": redisURL, "POSBOT_REDIS_PREFIX": redisPrefix(t), "POSBOT_LOG_LEVEL": "debug",
			"POSBOT_OPENAI_BASE_URL": ms.URL + "/v1", "POSBOT_CHAT_MODEL": "m",
		}))
	}()
	defer func() { cancel(); <-done }()
	addr := regexp.MustCompile(`listening on (http://[0-9.:]+)`)
	var url string
	for deadline := time.Now().Add(10 * time.Second); url == ""; time.Sleep(20 * time.Millisecond) {
		if m := addr.FindStringSubmatch(stderr.String()); m != nil {
			url = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start:\n%s", stderr.String())
		}
	}

	conv := "cards-" + randomID(t)
	var replies strings.Builder
	post := func(text string) {
		resp, err := http.Post(url+"/v1/messages", "application/json",
			strings.NewReader(`{"conversation_id":"`+conv+`","text":`+jsonString(text)+`}`))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST %q: %d %s", text, resp.StatusCode, b)
		}
		var r map[string]any
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		replies.WriteString(stringValues(r))
	}
	cards, secrets := 0, 0
	for _, g := range msgs {
		post(g.Text)
		if g.Card != "" {
			cards++
		}
		secrets += len(g.Secrets)
	}
	post("转人工")
	if !strings.Contains(replies.String(), "摘要") && !strings.Contains(replies.String(), "人工") {
		t.Fatalf("no handoff reply: %s", replies.String())
	}

	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	var session strings.Builder
	keys, err := rdb.Keys(context.Background(), "*"+conv+"*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("no session in Redis for %s: %v", conv, err)
	}
	for _, k := range keys {
		v, _ := rdb.Get(context.Background(), k).Result()
		session.WriteString(v)
	}
	var logs strings.Builder
	for _, line := range strings.Split(stderr.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil {
			// Random ids and times hold digit runs of their own ("…fb315f…").
			for _, k := range []string{"request_id", "update_id", "conversation_id", "time"} {
				delete(m, k)
			}
			logs.WriteString(stringValues(m))
		}
	}

	places := map[string]string{"replies": replies.String(), "session": session.String(),
		"model requests": model.all(), "logs": logs.String()}
	if places["model requests"] == "" {
		t.Fatal("the model was never asked: the test would prove nothing about model requests")
	}
	for name, hay := range places {
		for _, g := range msgs {
			if w := g.Leak(hay); w != "" {
				t.Errorf("%s hold %s from %q", name, w, g.Text)
			}
		}
	}
	t.Logf("%d messages (%d card numbers, %d secrets) through HTTP, a handoff, Redis, %d model requests: searched replies, session, model requests and logs",
		len(msgs), cards, secrets, strings.Count(model.all(), `"messages"`))
}

// stringValues joins every string in a decoded JSON value, one per line.
func stringValues(v any) string {
	var b strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			b.WriteString(x)
			b.WriteByte('\n')
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return b.String()
}
