package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestAskJSON(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	in := strings.NewReader("刷卡显示交易失败51\n机器一直通讯失败\n\n卡号6222021234567890123 密码是123456\n转人工\n")
	if err := run(context.Background(), []string{"ask", "--json"}, in, &out, &errb, env(nil)); err != nil {
		t.Fatalf("ask: %v\n%s", err, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d results for 5 messages:\n%s", len(lines), out.String())
	}
	wantFields := []string{"answer", "clarify", "code", "code_meaning", "handoff", "sources", "target"}
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		var keys []string
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, wantFields) {
			t.Errorf("line %d fields %v, want exactly %v", i, keys, wantFields)
		}
	}
	var first, human struct {
		Code, Target string
		Handoff      bool
		Sources      []struct{ ID string }
	}
	json.Unmarshal([]byte(lines[0]), &first)
	json.Unmarshal([]byte(lines[4]), &human)
	if first.Code != "51" || first.Target != "bank" || len(first.Sources) == 0 || first.Sources[0].ID != "code-51" {
		t.Errorf("first result %+v", first)
	}
	if !human.Handoff {
		t.Errorf("转人工 did not hand off: %+v", human)
	}
	if strings.Contains(out.String(), "6222021234567890123") || strings.Contains(out.String(), "123456") {
		t.Error("card data in the output")
	}
}

func TestKnowledgeList(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"knowledge", "list", "--json"}, nil, &out, &bytes.Buffer{}, env(nil)); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		var p struct {
			ID, Family, Title, Text, Target string
			Codes                           []string
		}
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		if p.ID == "" || p.Family == "" || p.Title == "" || p.Text == "" || p.Target == "" || p.Codes == nil {
			t.Errorf("incomplete passage line: %s", sc.Text())
		}
		n++
	}
	if n < 150 {
		t.Errorf("%d passages listed", n)
	}
}

func TestConfigErrorsNameTheVariable(t *testing.T) {
	t.Parallel()
	tests := map[string]map[string]string{
		"POSBOT_RETRIEVER":       {"POSBOT_RETRIEVER": "magic"},
		"POSBOT_OPENAI_BASE_URL": {"POSBOT_CHAT_MODEL": "qwen"},
		"POSBOT_LLM_TIMEOUT":     {"POSBOT_LLM_TIMEOUT": "soon"},
		"POSBOT_LOG_LEVEL":       {"POSBOT_LOG_LEVEL": "loud"},
	}
	for name, vars := range tests {
		err := run(context.Background(), []string{"ask", "51"}, nil, &bytes.Buffer{}, &bytes.Buffer{}, env(vars))
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %v does not name the variable", name, err)
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	t.Parallel()
	if err := run(context.Background(), []string{"frobnicate"}, nil, &bytes.Buffer{}, &bytes.Buffer{}, env(nil)); err == nil {
		t.Fatal("no error for an unknown command")
	}
}

// TestUnreachableStoreNamesTheVariable starts serve with a store on a closed
// port: it must fail at once, naming the variable, never hang or serve.
func TestUnreachableStoreNamesTheVariable(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"POSBOT_REDIS_URL":    "redis://127.0.0.1:1/0",
		"POSBOT_POSTGRES_URL": "postgres://postgres:secret@127.0.0.1:1/posbot?sslmode=disable",
	}
	for name, url := range tests {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := run(ctx, []string{"serve"}, nil, &bytes.Buffer{}, &bytes.Buffer{}, env(map[string]string{name: url, "POSBOT_HTTP_ADDR": "127.0.0.1:0"}))
		timedOut := ctx.Err() != nil
		cancel()
		if err == nil || !strings.Contains(err.Error(), name) || timedOut {
			t.Errorf("%s: err %v (timed out %v), want a prompt error naming the variable", name, err, timedOut)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: error shows the password: %v", name, err)
		}
	}
}
