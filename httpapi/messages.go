package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/posbot/posbot/bot"
)

// messageRequest is the body of POST /v1/messages.
type messageRequest struct {
	// ConversationID is the client's id from X-Conversation-ID; "" starts a
	// new conversation.
	ConversationID string `json:"conversation_id"`
	// Text is what the merchant typed.
	Text string `json:"text"`
}

// handleMessage answers POST /v1/messages with the Engine's bot.Reply.
func (s *Server) handleMessage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	req, status, msg := s.decode(w, r)
	if status != 0 {
		writeError(w, status, msg)
		return
	}
	if req.ConversationID == "" {
		if !s.allowNew(w, r) {
			return
		}
		req.ConversationID = randomHex()
	}
	w.Header().Set("X-Conversation-ID", req.ConversationID)

	// The "http:" prefix keeps a browser from naming another channel's
	// conversation ("tg:12345") and reading its state.
	m := bot.Message{ConversationID: "http:" + req.ConversationID, Channel: "http", Text: req.Text}
	reply, err := s.engine.Handle(ctx, m)
	if err != nil {
		s.log.ErrorContext(ctx, "engine failed",
			"request_id", RequestID(ctx), "conversation_id", m.ConversationID, "err", err)
		reply = s.failed(req.Text)
	}
	// The engine logs the answer ("answered", with this request's id from
	// the context): one line per message.
	if reply.Sources == nil {
		reply.Sources = []bot.Source{} // clients get [], never null
	}
	writeReply(w, reply)
}

// decode reads and validates the request body. On failure it returns a
// non-zero status and the message for the client.
func (s *Server) decode(w http.ResponseWriter, r *http.Request) (messageRequest, int, string) {
	var req messageRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.maxBody))
	err := dec.Decode(&req)
	if err == nil {
		// A second value or trailing garbage means the body was not one object.
		if extra := dec.Decode(&struct{}{}); extra != io.EOF {
			err = errors.Join(errors.New("body must hold a single JSON object"), extra)
		}
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return req, http.StatusRequestEntityTooLarge, s.tooLong()
	case err != nil:
		return req, http.StatusBadRequest, "请求格式不对，需要 JSON：{\"conversation_id\": \"...\", \"text\": \"...\"}。 " +
			"Invalid JSON body: " + jsonProblem(err) + "."
	}

	if req.ConversationID != "" && !validID(req.ConversationID) {
		return req, http.StatusBadRequest, "conversation_id 格式不对。 " +
			"Invalid conversation_id: use 1-64 characters of letters, digits, '.', '_', ':' or '-'."
	}
	req.Text = strings.TrimSpace(req.Text)
	if req.Text == "" {
		return req, http.StatusBadRequest, "请输入文字，例如“交易失败 51”。 text is required and must not be empty."
	}
	if utf8.RuneCountInString(req.Text) > s.maxText {
		return req, http.StatusRequestEntityTooLarge, s.tooLong()
	}
	return req, 0, ""
}

// tooLong is the 413 message: what to send instead of a long text.
func (s *Server) tooLong() string {
	return s.both("too_long", s.maxText)
}

// jsonProblem describes a decode error without echoing the client's bytes back.
func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return "empty body"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected end of body"
	case errors.As(err, &syntax):
		return fmt.Sprintf("syntax error at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q must be a %s", typ.Field, typ.Type)
	default:
		return "body must hold a single JSON object"
	}
}
