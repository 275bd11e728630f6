package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/posbot/posbot/bot"
)

// feedbackRequest is the body of POST /v1/feedback: the merchant's verdict
// on the conversation's last answer, from the page's 解决了 / 没解决 buttons.
type feedbackRequest struct {
	// ConversationID names the conversation; required.
	ConversationID string `json:"conversation_id"`
	// Solved is true for 解决了, false for 没解决; required.
	Solved *bool `json:"solved"`
}

// maxFeedbackBytes bounds a POST /v1/feedback body.
const maxFeedbackBytes = 1 << 10

// handleFeedback answers POST /v1/feedback as Telegram's buttons are
// answered: the verdict goes to the engine as the message's intent, never
// as text to be read again, and is recorded per conversation and passage;
// 没解决 gets the next cause or a person, 解决了 thanks.
func (s *Server) handleFeedback(w http.ResponseWriter, r *http.Request) {
	var req feedbackRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxFeedbackBytes))
	err := dec.Decode(&req)
	if err == nil {
		if extra := dec.Decode(&struct{}{}); extra != io.EOF {
			err = errors.New("body must hold a single JSON object")
		}
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, "请求太大了。 Request body too large.")
		return
	case err != nil:
		writeError(w, http.StatusBadRequest, `请求格式不对，需要 JSON：{"conversation_id": "...", "solved": true}。 `+
			"Invalid JSON body: "+jsonProblem(err)+".")
		return
	case !validID(req.ConversationID):
		writeError(w, http.StatusBadRequest, "请先发一条消息再评价。 "+
			"conversation_id is required: 1-64 characters of letters, digits, '.', '_', ':' or '-'.")
		return
	case req.Solved == nil:
		writeError(w, http.StatusBadRequest, `缺少 "solved"（true 表示解决了，false 表示没解决）。 solved is required: true or false.`)
		return
	}
	intent := bot.IntentUnsolved
	if *req.Solved {
		intent = bot.IntentSolved
	}
	w.Header().Set("X-Conversation-ID", req.ConversationID)
	m := bot.Message{ConversationID: "http:" + req.ConversationID, Channel: "http", Intent: intent}
	writeJSON(w, http.StatusOK, s.reply(r.Context(), m))
}

// reply hands m to the Engine; an engine failure becomes the polite
// fallback answer. Sources are never null. (POST /v1/messages does the same
// inline.)
func (s *Server) reply(ctx context.Context, m bot.Message) bot.Reply {
	r, err := s.engine.Handle(ctx, m)
	if err != nil {
		s.log.ErrorContext(ctx, "engine failed",
			"request_id", RequestID(ctx), "conversation_id", m.ConversationID, "err", err)
		r = s.failed(m.Text)
	}
	if r.Sources == nil {
		r.Sources = []bot.Source{}
	}
	return r
}
