package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer for the server's concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServe runs `posbot serve` on port 0 as main does, talks to it over
// HTTP, and shuts it down with the context.
func TestServe(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	var stderr lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, nil, io.Discard, &stderr, env(map[string]string{"POSBOT_HTTP_ADDR": "127.0.0.1:0",
			// A model server that is configured but never called (no model
			// named): its credentials must not reach the log.
			"POSBOT_OPENAI_BASE_URL": "http://posbot:pa55word@127.0.0.1:1/v1", "POSBOT_OPENAI_API_KEY": "sk-s3cret"}))
	}()
	addr := regexp.MustCompile(`listening on (http://[0-9.:]+)`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == ""; time.Sleep(20 * time.Millisecond) {
		if m := addr.FindStringSubmatch(stderr.String()); m != nil {
			base = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not say where it listens:\n%s", stderr.String())
		}
	}

	post := func(conv, text string) map[string]any {
		t.Helper()
		resp, err := http.Post(base+"/v1/messages", "application/json",
			strings.NewReader(`{"conversation_id":"`+conv+`","text":`+jsonString(text)+`}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || resp.StatusCode != 200 {
			t.Fatalf("POST %q: %d %v", text, resp.StatusCode, err)
		}
		return r
	}
	if r := post("a", "刷卡显示交易失败51"); r["code"] != "51" || r["target"] != "bank" {
		t.Errorf("answer %v", r)
	}
	if r := post("b", "刷卡失败了"); r["clarify"] != true {
		t.Errorf("vague message not clarified: %v", r)
	}
	if r := post("b", "所有卡都不行"); r["clarify"] != false || r["target"] != "provider" {
		t.Errorf("answer to the question not read in context: %v", r)
	}
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(body)
	}
	if code, _ := get("/v1/messages"); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /v1/messages: %d", code)
	}
	if code, _ := get("/no/such/s3cret/path"); code != http.StatusNotFound {
		t.Errorf("GET /no/such/s3cret/path: %d", code)
	}
	for path, want := range map[string]string{
		"/healthz": `"ok"`, "/readyz": `"ready"`, "/metrics": "posbot_messages_total", "/": "posbot",
	} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %d, body lacks %q", path, resp.StatusCode, want)
		}
	}

	// Requests count by route pattern and status, never by raw path.
	_, exposition := get("/metrics")
	for _, want := range []string{
		`posbot_http_requests_total{code="200",route="POST /v1/messages"} 3`,
		`posbot_http_requests_total{code="405",route="/v1/messages"} 1`,
		`posbot_http_requests_total{code="404",route="unmatched"} 1`,
		`posbot_http_requests_total{code="200",route="GET /healthz"} 1`,
		`posbot_http_requests_total{code="200",route="GET /readyz"} 1`,
		`posbot_http_requests_total{code="200",route="GET /{$}"} 1`,
		`posbot_build_info{go_version="` + runtime.Version() + `",revision=`,
	} {
		if !strings.Contains(exposition, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(exposition, "s3cret") {
		t.Error("/metrics shows a raw path")
	}

	// One start-up line in JSON with the version and the configuration,
	// and no secret anywhere in the log.
	var start map[string]any
	for _, line := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(line, `"msg":"posbot starting"`) {
			if err := json.Unmarshal([]byte(line), &start); err != nil {
				t.Fatalf("start-up line %q: %v", line, err)
			}
		}
	}
	cfg, _ := start["config"].(map[string]any)
	if start["level"] != "INFO" || start["version"] == nil || start["go_version"] != runtime.Version() || cfg == nil ||
		cfg["retriever"] != "hybrid" || cfg["openai_api_key_set"] != true || cfg["openai_base_url"] != "http://posbot:xxxxx@127.0.0.1:1/v1" {
		t.Errorf("start-up line: %v", start)
	}
	if tg, _ := start["telegram"].(map[string]any); tg["mode"] != "off" {
		t.Errorf("start-up line telegram: %v", start["telegram"])
	}
	// One line per message, carrying the request's id.
	if n := strings.Count(stderr.String(), `"msg":"answered"`); n != 3 || strings.Contains(stderr.String(), "message answered") {
		t.Errorf("%d \"answered\" lines for 3 messages:\n%s", n, stderr.String())
	}
	if !regexp.MustCompile(`"msg":"answered".*"request_id":"[^"]+"`).MatchString(stderr.String()) {
		t.Errorf("the answered line lacks the request id:\n%s", stderr.String())
	}
	for _, secret := range []string{"sk-s3cret", "pa55word"} {
		if strings.Contains(stderr.String(), secret) {
			t.Errorf("the log shows %s", secret)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve did not shut down cleanly: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
