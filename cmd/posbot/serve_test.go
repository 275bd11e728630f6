package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
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
		done <- run(ctx, nil, nil, io.Discard, &stderr, env(map[string]string{"POSBOT_HTTP_ADDR": "127.0.0.1:0"}))
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
