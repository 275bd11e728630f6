package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/metrics"
)

// benchTexts are the merchants' messages the HTTP benchmarks post in turn
// (scripts/bench/messages.lua posts the same).
var benchTexts = []string{
	"刷卡显示交易失败51", "机器一直通讯失败", "错误码：A0", "刷卡失败了怎么办", "插卡没反应读不出来",
	"顾客的卡刷了好几次都提示余额不足", "pos机显示请先签到", "交易失败 应答码05", "终端显示密码错误次数超限",
	"card declined with code 55", "刷卡提示无效商户", "机器打不出小票了", "扫码付款成功但是机器没反应",
	"刷卡失败，显示 96 系统故障", "昨天还好好的，今天所有卡都刷不了",
}

// benchHandler serves h POST /v1/messages requests, each in a conversation
// of its own, and checks each is answered 200.
func benchHandler(b *testing.B, h http.Handler) {
	bodies := make([]string, len(benchTexts))
	for i, t := range benchTexts {
		bodies[i] = `{"conversation_id":"bench-%d","text":` + jsonString(t) + `}`
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		body := fmt.Sprintf(bodies[i%len(bodies)], i)
		r := httptest.NewRequest(http.MethodPost, "/v1/messages", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
		i++
	}
}

// BenchmarkHTTPMessage is one POST /v1/messages through what `posbot serve`
// runs by default (metrics, request ids, access log and engine log as JSON,
// handoff gate, in-memory stores, offline engine), with POSBOT_RATE_GLOBAL=0
// as scripts/bench-http.sh runs it; logs go to io.Discard, formatted all
// the same. Compare it with BenchmarkHTTPBare of the same run.
func BenchmarkHTTPMessage(b *testing.B) {
	ctx := b.Context()
	cfg, err := loadConfig(env(map[string]string{"POSBOT_RATE_GLOBAL": "0"}))
	if err != nil {
		b.Fatal(err)
	}
	log := newLogger(cfg, io.Discard)
	base, err := knowledge.Embedded()
	if err != nil {
		b.Fatal(err)
	}
	m := metrics.New()
	st, err := openStores(ctx, withPrefix(b, cfg), log, m)
	if err != nil {
		b.Fatal(err)
	}
	defer st.close()
	e, err := buildEngine(ctx, cfg, base, cfg.Retriever, log, st.apply)
	if err != nil {
		b.Fatal(err)
	}
	ch, err := startChannels(ctx, channelConfig{}, base, e, st, m, log)
	if err != nil {
		b.Fatal(err)
	}
	benchHandler(b, ch.handler(m))
}

// BenchmarkHTTPBare is the yardstick of BenchmarkHTTPMessage: the handler of
// scripts/bench/bare, which decodes the same JSON and answers 1 KB.
func BenchmarkHTTPBare(b *testing.B) {
	answer := strings.Repeat("请持卡人联系发卡行，", 29)
	type source struct {
		ID    string  `json:"id"`
		Title string  `json:"title"`
		Score float64 `json:"score"`
	}
	type reply struct {
		Answer      string   `json:"answer"`
		Code        string   `json:"code"`
		CodeMeaning string   `json:"code_meaning"`
		Target      string   `json:"target"`
		Clarify     bool     `json:"clarify"`
		Handoff     bool     `json:"handoff"`
		Sources     []source `json:"sources"`
		Confidence  float64  `json:"confidence"`
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/messages", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ConversationID string `json:"conversation_id"`
			Text           string `json:"text"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil || req.Text == "" {
			http.Error(w, `{"error":"bad request"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(reply{Answer: answer, Code: "51", CodeMeaning: "余额不足", Target: "bank",
			Sources: []source{{ID: "code-51", Title: "51 余额不足", Score: 1}}, Confidence: 1})
	})
	benchHandler(b, mux)
}
