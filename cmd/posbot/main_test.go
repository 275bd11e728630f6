package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
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
	wantFields := []string{"answer", "clarify", "code", "code_meaning", "escalate", "handoff", "reason", "sources", "target"}
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
	tests := []struct {
		name string
		vars map[string]string
		want []string // in the error, besides the variable
	}{
		{"POSBOT_RETRIEVER", map[string]string{"POSBOT_RETRIEVER": "magic"}, []string{"lexical", "vector", "hybrid"}},
		{"POSBOT_OPENAI_BASE_URL", map[string]string{"POSBOT_CHAT_MODEL": "qwen"}, nil},
		{"POSBOT_LLM_TIMEOUT", map[string]string{"POSBOT_LLM_TIMEOUT": "soon"}, nil},
		{"POSBOT_DRAIN_TIMEOUT", map[string]string{"POSBOT_DRAIN_TIMEOUT": "0s"}, []string{"positive duration"}},
		{"POSBOT_LOG_LEVEL", map[string]string{"POSBOT_LOG_LEVEL": "loud"}, []string{`"loud"`, "debug", "info", "warn", "error"}},
		{"POSBOT_LOG_LEVEL", map[string]string{"POSBOT_LOG_LEVEL": "info+2"}, []string{"debug", "info", "warn", "error"}},
		{"POSBOT_LOG_FORMAT", map[string]string{"POSBOT_LOG_FORMAT": "xml"}, []string{`"xml"`, "json", "text"}},
	}
	for _, tt := range tests {
		err := run(context.Background(), []string{"ask", "51"}, nil, &bytes.Buffer{}, &bytes.Buffer{}, env(tt.vars))
		if err == nil || !strings.HasPrefix(err.Error(), tt.name+":") {
			t.Errorf("%v: error %v does not start with the variable %s", tt.vars, err, tt.name)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: error %q does not say %s", tt.vars, err, w)
			}
		}
	}
}

func TestLogSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		level, format string
		want          slog.Level
		json          bool
	}{
		{"", "", slog.LevelInfo, true},
		{"debug", "json", slog.LevelDebug, true},
		{"WARN", "text", slog.LevelWarn, false},
		{"error", "", slog.LevelError, true},
	}
	for _, tt := range tests {
		c, err := loadConfig(env(map[string]string{"POSBOT_LOG_LEVEL": tt.level, "POSBOT_LOG_FORMAT": tt.format}))
		if err != nil || c.LogLevel != tt.want || c.LogJSON != tt.json {
			t.Errorf("level %q format %q: %v json=%v, %v; want %v json=%v", tt.level, tt.format, c.LogLevel, c.LogJSON, err, tt.want, tt.json)
		}
	}
}

// TestHelp: every way of asking for help succeeds (exit status 0) and shows
// the commands or the command's usage, even with a bad configuration.
func TestHelp(t *testing.T) {
	t.Parallel()
	bad := env(map[string]string{"POSBOT_LOG_FORMAT": "xml", "POSBOT_RETRIEVER": "magic"})
	tests := []struct {
		args   []string
		stdout string // "" when the help goes to stderr
		stderr string
	}{
		{[]string{"help"}, "version", ""},
		{[]string{"-h"}, "migrate", ""},
		{[]string{"--help"}, "knowledge list [--json]", ""},
		{[]string{"ask", "-h"}, "", "usage: posbot ask [--json] [MESSAGE]"},
		{[]string{"ask", "--help"}, "", "-json"},
		{[]string{"serve", "-h"}, "", "usage: posbot serve"},
		{[]string{"chat", "-help"}, "", "usage: posbot chat"},
		{[]string{"migrate", "-h"}, "", "usage: posbot migrate"},
		{[]string{"knowledge", "-h"}, "", "usage: posbot knowledge list [--json]"},
		{[]string{"knowledge", "list", "-h"}, "", "-json"},
		{[]string{"eval", "-h"}, "", "-baseline"},
		{[]string{"version", "-h"}, "", "usage: posbot version"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		err := run(context.Background(), tt.args, nil, &out, &errb, bad)
		if code := exitCode(err); code != 0 {
			t.Errorf("%v: exit status %d (%v)", tt.args, code, err)
		}
		if tt.stdout != "" && !strings.Contains(out.String(), tt.stdout) {
			t.Errorf("%v: stdout lacks %q:\n%s", tt.args, tt.stdout, out.String())
		}
		if tt.stderr != "" && !strings.Contains(errb.String(), tt.stderr) {
			t.Errorf("%v: stderr lacks %q:\n%s", tt.args, tt.stderr, errb.String())
		}
	}
	// Every command is listed.
	var out bytes.Buffer
	run(context.Background(), []string{"help"}, nil, &out, io.Discard, bad)
	for _, c := range commands {
		if !strings.Contains(out.String(), "\n  "+c.name) {
			t.Errorf("help does not list %s:\n%s", c.name, out.String())
		}
	}
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	for err, want := range map[error]int{
		nil:                                   0,
		flag.ErrHelp:                          0,
		fmt.Errorf("eval: %w", flag.ErrHelp):  0,
		errors.New("POSBOT_RETRIEVER: magic"): 1,
	} {
		if got := exitCode(err); got != want {
			t.Errorf("exitCode(%v) = %d, want %d", err, got, want)
		}
	}
}

func TestArguments(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"serve", "now"}, {"migrate", "up"}, {"version", "--json"}, {"knowledge"}, {"knowledge", "show"}, {"ask", "--xml", "51"},
	} {
		err := run(context.Background(), args, nil, io.Discard, io.Discard, env(nil))
		if exitCode(err) != 1 {
			t.Errorf("%v: err %v, want a usage error", args, err)
		}
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

// TestStartupConfigHidesSecrets logs the configuration as serve does at
// start-up: every setting is there, no secret is.
func TestStartupConfigHidesSecrets(t *testing.T) {
	t.Parallel()
	const tok = "123456:AAE-t0ken_value"
	vars := map[string]string{
		"POSBOT_OPENAI_BASE_URL":         "https://dashscope.example.com/compatible-mode/v1?api_key=k3y",
		"POSBOT_OPENAI_API_KEY":          "sk-s3cret",
		"POSBOT_CHAT_MODEL":              "qwen-plus",
		"POSBOT_REDIS_URL":               "redis://:r3dispw@redis:6379/0",
		"POSBOT_POSTGRES_URL":            "postgres://posbot:pgpw@postgres:5432/posbot?sslmode=disable&password=qu3rypw",
		"POSBOT_LOG_FORMAT":              "text",
		"POSBOT_TELEGRAM_TOKEN":          tok,
		"POSBOT_TELEGRAM_WEBHOOK_SECRET": "hooks3cret",
		"POSBOT_TELEGRAM_WEBHOOK_URL":    "https://bot.example.com/tg/" + tok,
		"POSBOT_AGENT_TOKEN":             "ag3nt-t0ken-abcdefgh",
	}
	cfg, err := loadConfig(env(vars))
	if err != nil {
		t.Fatal(err)
	}
	tc, err := loadTelegramConfig(env(vars))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("posbot starting", "config", cfg, "telegram", tc)
	var line struct {
		Config   map[string]any `json:"config"`
		Telegram map[string]any `json:"telegram"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("%s: %v", buf.String(), err)
	}
	for _, secret := range []string{"k3y", "sk-s3cret", "r3dispw", "pgpw", "qu3rypw", "t0ken_value", "hooks3cret", "ag3nt-t0ken"} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("start-up line shows %q: %s", secret, buf.String())
		}
	}
	want := map[string]any{
		"config.http_addr":            "127.0.0.1:8080",
		"config.log_format":           "text",
		"config.log_level":            "info",
		"config.llm_timeout":          "20s",
		"config.chat_model":           "qwen-plus",
		"config.openai_api_key_set":   true,
		"config.openai_base_url":      "https://dashscope.example.com/compatible-mode/v1?api_key=xxxxx",
		"config.redis_url":            "redis://:xxxxx@redis:6379/0",
		"config.postgres_url":         "postgres://posbot:xxxxx@postgres:5432/posbot?password=xxxxx&sslmode=disable",
		"telegram.mode":               "webhook",
		"telegram.token_set":          true,
		"telegram.webhook_secret_set": true,
		"telegram.webhook_url":        "https://bot.example.com/tg/xxxxx",
		"telegram.workers":            float64(32),
		"config.drain_timeout":        "20s",
		"config.agent_token_set":      true,
		"config.support_hours":        "always",
		"config.handoff_lease":        "30m0s",
	}
	for k, v := range want {
		group, key, _ := strings.Cut(k, ".")
		m := line.Config
		if group == "telegram" {
			m = line.Telegram
		}
		if m[key] != v {
			t.Errorf("%s = %v, want %v", k, m[key], v)
		}
	}
}
