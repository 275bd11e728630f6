// Command bare is the yardstick of scripts/bench-http.sh: a plain net/http
// server that does for POST /v1/messages what any JSON API does, decoding
// {"conversation_id","text"} and answering about 1 KB of JSON in the shape
// of posbot's reply, and nothing else. It is not part of posbot.
package main

import (
	"encoding/json"
	"flag"
	"log"
	"net/http"
	"strings"
	"time"
)

// reply has the fields of posbot's answer (bot.Reply's JSON).
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

type source struct {
	ID    string  `json:"id"`
	Title string  `json:"title"`
	Score float64 `json:"score"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "listen address")
	flag.Parse()
	// About 1 KB of JSON, Chinese as posbot's answers are.
	answer := strings.Repeat("请持卡人联系发卡行，", 29)
	http.HandleFunc("POST /v1/messages", func(w http.ResponseWriter, r *http.Request) {
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
	srv := &http.Server{Addr: *addr, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
