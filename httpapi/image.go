package httpapi

import (
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/posbot/posbot/bot"
)

// imageFormSlack is what a POST /v1/messages/image body may hold besides
// the image: the form's boundaries and headers, the conversation id and a
// caption.
const imageFormSlack = 64 << 10

// imageReply is the answer to POST /v1/messages/image: the engine's reply
// to the text read from the screenshot and the caption, and a notice to
// show before it.
type imageReply struct {
	bot.Reply
	// Notice comes before the answer when the picture could not be read and
	// the caption was answered instead; "" otherwise. When there was no
	// caption either, Answer itself asks for the code and nothing reached
	// the engine.
	Notice string `json:"notice,omitempty"`
}

// imageForm is what a POST /v1/messages/image form holds.
type imageForm struct {
	conversationID string
	text           string
	image          []byte
	hasImage       bool
}

// handleImage answers POST /v1/messages/image, a multipart/form-data form
// with "image" (a screenshot or photo of the terminal's screen), and
// optionally "conversation_id" and "text" (a caption). The image is read by
// the OCR every channel uses (channel.Screens), at most MaxOCR at once; its
// text and the caption go to the engine as one message. An image over
// MaxImageBytes gets 413 and a picture that cannot be read a polite answer
// asking for the code.
func (s *Server) handleImage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, s.screens.MaxBytes+imageFormSlack)
	f, status, msg := s.readImageForm(r)
	if status != 0 {
		writeError(w, status, msg)
		return
	}
	if f.conversationID == "" {
		if !s.allowNew(w, r) {
			return
		}
		f.conversationID = randomHex()
	}
	w.Header().Set("X-Conversation-ID", f.conversationID)

	select {
	case s.ocrSlots <- struct{}{}:
	case <-ctx.Done():
		s.log.WarnContext(ctx, "screenshot not read: every OCR slot busy", "request_id", RequestID(ctx))
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, s.both("ocr_busy"))
		return
	}
	sc := s.screens.Read(ctx, int64(len(f.image)), f.text, func(context.Context, int64) ([]byte, error) { return f.image, nil })
	<-s.ocrSlots

	if !sc.Answer {
		writeJSON(w, http.StatusOK, imageReply{Reply: bot.Reply{Answer: sc.Notice, Target: "none", Sources: []bot.Source{}}})
		return
	}
	m := sc.Message
	m.ConversationID, m.Channel = "http:"+f.conversationID, "http"
	writeJSON(w, http.StatusOK, imageReply{Reply: s.reply(ctx, m), Notice: sc.Notice})
}

// readImageForm reads and checks the form. On failure it returns a
// non-zero status and the message for the client.
func (s *Server) readImageForm(r *http.Request) (imageForm, int, string) {
	var f imageForm
	mr, err := r.MultipartReader()
	if err != nil {
		return f, http.StatusBadRequest, "请用 multipart/form-data 上传图片（字段 image）。 " +
			"Send a multipart/form-data form with the picture in the field \"image\"."
	}
	tooLarge := s.screens.TooLarge("zh") + " " + s.screens.TooLarge("en")
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			st, msg := s.formError(err, tooLarge)
			return f, st, msg
		}
		switch part.FormName() {
		case "image":
			f.hasImage = true
			f.image, err = readAtMost(part, s.screens.MaxBytes)
			if errors.Is(err, errFieldTooLong) {
				return f, http.StatusRequestEntityTooLarge, tooLarge
			}
		case "conversation_id":
			var b []byte
			b, err = readAtMost(part, 64)
			f.conversationID = strings.TrimSpace(string(b))
			if errors.Is(err, errFieldTooLong) {
				return f, http.StatusBadRequest, badConversationID
			}
		case "text":
			var b []byte
			b, err = readAtMost(part, int64(s.maxText)*utf8.UTFMax)
			f.text = strings.TrimSpace(string(b))
			if errors.Is(err, errFieldTooLong) {
				return f, http.StatusRequestEntityTooLarge, s.tooLong()
			}
		default:
			_, err = io.Copy(io.Discard, part)
		}
		if err != nil {
			st, msg := s.formError(err, tooLarge)
			return f, st, msg
		}
	}
	switch {
	case f.conversationID != "" && !validID(f.conversationID):
		return f, http.StatusBadRequest, badConversationID
	case !f.hasImage || len(f.image) == 0:
		return f, http.StatusBadRequest, s.both("no_image")
	case utf8.RuneCountInString(f.text) > s.maxText:
		return f, http.StatusRequestEntityTooLarge, s.tooLong()
	}
	return f, 0, ""
}

// badConversationID refuses a conversation id that is not one.
const badConversationID = "conversation_id 格式不对。 " +
	"Invalid conversation_id: use 1-64 characters of letters, digits, '.', '_', ':' or '-'."

// errFieldTooLong is returned by readAtMost for a form field over its limit.
var errFieldTooLong = errors.New("form field too long")

// readAtMost reads a form field of at most max bytes.
func readAtMost(p *multipart.Part, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(p, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, errFieldTooLong
	}
	return b, nil
}

// formError is the status and message for an error reading the form: 413
// with tooLarge when the body went over its limit, 400 for a broken form
// (without the error, which may quote the client's bytes).
func (s *Server) formError(err error, tooLarge string) (int, string) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return http.StatusRequestEntityTooLarge, tooLarge
	}
	return http.StatusBadRequest, s.both("image_incomplete")
}
