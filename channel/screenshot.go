package channel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/posbot/posbot/bot"
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
// be read, says so and falls back to the caption. Its zero value reads no
// image (no OCR) and is safe for concurrent use.
type Screens struct {
	// OCR reads images; nil means every image is answered with a request to
	// type the code.
	OCR ocr.Reader
	// MaxBytes caps an image's size; 0 means DefaultMaxImageBytes.
	MaxBytes int64
	// Logger gets one line per image; nil means slog.Default().
	Logger *slog.Logger
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
	max := s.max()
	if size > max {
		return Screenshot{Notice: TextImageTooLarge(max)}
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
		return Screenshot{Notice: TextImageTooLarge(max)}
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
// is still answered.
func (s *Screens) unreadable(ctx context.Context, caption string, why error) Screenshot {
	s.log().InfoContext(ctx, "screenshot not readable", "err", why)
	if strings.TrimSpace(caption) == "" {
		return Screenshot{Notice: TextUnreadable}
	}
	return Screenshot{Notice: TextUnreadableCaption, Message: bot.Message{Text: caption}, Answer: true}
}

// Texts about images that every channel sends.
const (
	// TextUnreadable asks for the code when a picture could not be read.
	TextUnreadable = "抱歉，这张图片里的文字我没能看清。请直接输入屏幕上显示的应答码或提示文字（例如“交易失败 51”），或者靠近屏幕、对准焦距再拍一张。"
	// TextUnreadableCaption comes before the answer to a caption whose picture could not be read.
	TextUnreadableCaption = "图片里的文字我没能看清，先按您写的内容回答："
)

// TextImageTooLarge refuses an image over the size limit.
func TextImageTooLarge(maxBytes int64) string {
	return fmt.Sprintf("这张图片太大了（超过 %dMB），我没法读取。请发送一张小一点的屏幕照片，或直接输入屏幕上的代码和文字。", max(maxBytes>>20, 1))
}
