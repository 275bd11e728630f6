package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
)

// countingModel is an OpenAI-compatible chat server (POST
// /v1/chat/completions, as go-openai calls it) that answers every request
// with answer and counts the requests.
type countingModel struct {
	answer string
	calls  atomic.Int32
}

func (m *countingModel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model    string `json:"model"`
		Messages []struct {
			Role, Content string
		} `json:"messages"`
	}
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" || json.NewDecoder(r.Body).Decode(&req) != nil || len(req.Messages) == 0 {
		http.Error(w, `{"error":{"message":"bad request","type":"invalid_request_error"}}`, http.StatusBadRequest)
		return
	}
	m.calls.Add(1)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"id": "chatcmpl-1", "object": "chat.completion", "model": req.Model,
		"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
			"message": map[string]any{"role": "assistant", "content": m.answer}}}})
}

// TestAskCachesModelAnswers: `posbot ask` with a chat model keeps the
// model's answer on disk, so the same code asked again in other words, by
// a new process, does not call the model; so does `posbot chat`. A question
// that decides another answer calls it, a rejected answer is not kept, the
// files hold no merchant text, and POSBOT_CACHE_DIR=off keeps nothing.
func TestAskCachesModelAnswers(t *testing.T) {
	t.Parallel()
	const answer = "应答码 51：余额不足，卡内可用余额或额度不够。\n1. 请顾客换卡或用其他方式付款。\n2. 不要反复重刷。\n" +
		"如有疑问，请持卡人拨打银行卡背面的客服电话联系发卡银行。"
	model := &countingModel{answer: answer}
	srv := httptest.NewServer(model)
	defer srv.Close()
	dir := t.TempDir()
	vars := map[string]string{"POSBOT_OPENAI_BASE_URL": srv.URL + "/v1", "POSBOT_CHAT_MODEL": "qwen-test", "POSBOT_CACHE_DIR": dir}
	ask := func(text string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if err := run(context.Background(), []string{"ask", "--json", text}, nil, &out, &errb, env(vars)); err != nil {
			t.Fatalf("ask %q: %v\n%s", text, err, errb.String())
		}
		var r struct{ Answer, Code string }
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			t.Fatalf("ask %q: %v\n%s", text, err, out.String())
		}
		return r.Answer
	}
	if a := ask("刷卡显示交易失败51"); a != answer || model.calls.Load() != 1 {
		t.Fatalf("first ask: %d model calls, answer:\n%s", model.calls.Load(), a)
	}
	if a := ask("又是51了，顾客说卡里有钱"); a != answer || model.calls.Load() != 1 {
		t.Fatalf("the same code in other words: %d model calls (want 1: cached), answer:\n%s", model.calls.Load(), a)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"chat"}, strings.NewReader("错误码51是什么意思\n"), &out, &bytes.Buffer{}, env(vars)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "卡内可用余额或额度不够") || model.calls.Load() != 1 {
		t.Fatalf("chat: %d model calls (want 1: cached), output:\n%s", model.calls.Load(), out.String())
	}
	// Code 05 decides another answer: the model is called, and its answer
	// (about 51) is rejected, so nothing more is kept.
	if a := ask("交易失败05"); a == answer || model.calls.Load() != 2 {
		t.Fatalf("another code: %d model calls (want 2), answer:\n%s", model.calls.Load(), a)
	}
	files, err := os.ReadDir(filepath.Join(dir, "answers"))
	if err != nil || len(files) != 1 {
		t.Fatalf("%d cached answers, %v; want 1", len(files), err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "answers", files[0].Name()))
	if !regexp.MustCompile(`^v2-[0-9a-f]{32}\.txt$`).MatchString(files[0].Name()) || !strings.HasSuffix(string(b), "\n"+answer) ||
		strings.Contains(string(b), "刷卡显示") || strings.Contains(string(b), "卡里有钱") {
		t.Errorf("cache file %s:\n%s", files[0].Name(), b)
	}

	vars["POSBOT_CACHE_DIR"] = "off"
	ask("刷卡显示交易失败51")
	ask("刷卡显示交易失败51")
	if n := model.calls.Load(); n != 4 {
		t.Fatalf("POSBOT_CACHE_DIR=off: %d model calls, want 4", n)
	}
}
