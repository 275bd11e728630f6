package channel

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/ocr"
)

// DefaultMaxImageBytes caps a screenshot when Screens.MaxBytes is zero.
const DefaultMaxImageBytes = 10 << 20

// ErrTooLarge is returned by a Fetch for an image over the limit it was given.
var ErrTooLarge = errors.New("channel: image too large")

// Fetch downloads an image through the channel's protocol, reading at most
// max bytes; it returns ErrTooLarge for a larger one.
type Fetch func(ctx context.Context, max int64) ([]byte, error)

// Screens turns a photo of a terminal screen into a message for the engine:
// it enforces the size cap, reads the image with OCR and, when nothing can
// be read, says so (in the caption's language, else Chinese) and falls back
// to the caption. Texts is required; with no OCR every image is answered
// with a request to type the code. It is safe for concurrent use.
type Screens struct {
	// OCR reads images; nil means every image is answered with a request to
	// type the code.
	OCR ocr.Reader
	// MaxBytes caps an image's size; 0 means DefaultMaxImageBytes.
	MaxBytes int64
	// Logger gets one line per image; nil means slog.Default().
	Logger *slog.Logger
	// Texts are what Screens tells the merchant: the knowledge base's
	// channel texts for "screens" (knowledge.ChannelTexts.For).
	Texts knowledge.Texts
}

// Screenshot is what became of an image.
type Screenshot struct {
	// Notice is to be sent to the merchant first; "" for none.
	Notice string
	// Message is to be handed to the engine when Answer is true: the
	// caption, and the text read from the image if any. ConversationID and
	// Channel are left for the channel to fill in.
	Message bot.Message
	Answer  bool
}

func (s *Screens) max() int64 {
	if s.MaxBytes > 0 {
		return s.MaxBytes
	}
	return DefaultMaxImageBytes
}

func (s *Screens) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// Read reads the image whose declared size is size (0 if unknown), with its
// caption, downloading it with fetch.
func (s *Screens) Read(ctx context.Context, size int64, caption string, fetch Fetch) Screenshot {
	max, lang := s.max(), Lang(caption)
	if size > max {
		return Screenshot{Notice: s.TooLarge(lang)}
	}
	if s.OCR == nil {
		return s.unreadable(ctx, caption, errors.New("no OCR configured"))
	}
	img, err := fetch(ctx, max)
	var text string
	if err == nil {
		text, err = s.OCR.Read(ctx, img)
	}
	switch {
	case errors.Is(err, ErrTooLarge), errors.Is(err, ocr.ErrTooLarge):
		return Screenshot{Notice: s.TooLarge(lang)}
	case err == nil && !ocr.Useful(text):
		err = errors.New("no text found")
	}
	if err != nil {
		return s.unreadable(ctx, caption, err)
	}
	s.log().InfoContext(ctx, "screenshot read", "ocr_chars", len([]rune(text)))
	return Screenshot{Message: bot.Message{Text: caption, ImageText: text}, Answer: true}
}

// unreadable tells the merchant the picture could not be read; a caption
// is still answered, and told so in its language.
func (s *Screens) unreadable(ctx context.Context, caption string, why error) Screenshot {
	s.log().InfoContext(ctx, "screenshot not readable", "err", why)
	lang := Lang(caption)
	if strings.TrimSpace(caption) == "" {
		return Screenshot{Notice: s.text(lang, "image_unreadable")}
	}
	return Screenshot{Notice: s.text(lang, "image_unreadable_caption"), Message: bot.Message{Text: caption}, Answer: true}
}

// TooLarge refuses an image over the size limit, in lang.
func (s *Screens) TooLarge(lang string) string {
	return s.text(lang, "image_too_large", max(s.max()>>20, 1))
}

// text is text key in lang, formatted with args.
func (s *Screens) text(lang, key string, args ...any) string {
	return s.Texts.Get(lang, key, args...)
}
