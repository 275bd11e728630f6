package httpapi

import (
	"net/http"
	"runtime"

	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/knowledge"
)

// webChatRoutes are the routes the chat page needs besides POST
// /v1/messages: its 解决了 / 没解决 buttons and its screenshots.
var webChatRoutes = []string{
	"POST /v1/feedback", "/v1/feedback",
	"POST /v1/messages/image", "/v1/messages/image",
}

// mountWebChat sets up the screenshot intake, saying texts, and mounts
// webChatRoutes.
func (s *Server) mountWebChat(opts Options, texts knowledge.Texts) {
	s.screens = &channel.Screens{OCR: opts.OCR, MaxBytes: opts.MaxImageBytes, Logger: s.log, Texts: texts}
	if s.screens.MaxBytes <= 0 {
		s.screens.MaxBytes = channel.DefaultMaxImageBytes
	}
	n := opts.MaxOCR
	if n <= 0 {
		n = runtime.NumCPU()
	}
	s.ocrSlots = make(chan struct{}, n)

	s.mux.HandleFunc("POST /v1/feedback", s.handleFeedback)
	s.mux.HandleFunc("/v1/feedback", methodNotAllowed(http.MethodPost))
	s.mux.HandleFunc("POST /v1/messages/image", s.handleImage)
	s.mux.HandleFunc("/v1/messages/image", methodNotAllowed(http.MethodPost))
}
