package channel

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/ocr"
)

func screenTexts(t *testing.T) knowledge.Texts {
	t.Helper()
	base, err := knowledge.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	return base.ChannelTexts().For("screens")
}

// readerFunc adapts a function to ocr.Reader.
type readerFunc func(ctx context.Context, img []byte) (string, error)

func (f readerFunc) Read(ctx context.Context, img []byte) (string, error) { return f(ctx, img) }

func TestScreensRead(t *testing.T) {
	t.Parallel()
	reads := readerFunc(func(_ context.Context, img []byte) (string, error) {
		switch string(img) {
		case "blank":
			return " .. ", nil
		case "huge":
			return "", ocr.ErrTooLarge
		case "broken":
			return "", ocr.ErrNotImage
		}
		return "交易失败 51", nil
	})
	texts := screenTexts(t)
	fetch := func(b string, err error) Fetch {
		return func(context.Context, int64) ([]byte, error) { return []byte(b), err }
	}
	tests := []struct {
		name       string
		ocr        ocr.Reader
		size       int64
		caption    string
		fetch      Fetch
		wantNotice string // a part of it; "" for none
		wantAnswer bool
		wantText   string // Message.Text + "|" + Message.ImageText
	}{
		{"read", reads, 100, "", fetch("screen", nil), "", true, "|交易失败 51"},
		{"read with caption", reads, 100, "这是什么", fetch("screen", nil), "", true, "这是什么|交易失败 51"},
		{"declared too large", reads, 11 << 20, "", fetch("screen", nil), "太大", false, "|"},
		{"download too large", reads, 0, "", fetch("", ErrTooLarge), "太大", false, "|"},
		{"reader refuses size", reads, 0, "", fetch("huge", nil), "太大", false, "|"},
		{"nothing readable", reads, 100, "", fetch("blank", nil), "没能看清", false, "|"},
		{"not an image", reads, 100, "", fetch("broken", nil), "没能看清", false, "|"},
		{"download fails, caption answered", reads, 100, "刷卡51", fetch("", errors.New("404")), "先按您写的内容回答", true, "刷卡51|"},
		{"no OCR", nil, 100, "", fetch("screen", nil), "没能看清", false, "|"},
		// An English caption is told in English.
		{"English caption, nothing readable", reads, 100, "what does this mean", fetch("blank", nil), "so here is my answer to what you wrote", true, "what does this mean|"},
		{"English caption, too large", reads, 11 << 20, "terminal says this", fetch("screen", nil), "too large (over 10 MB)", false, "|"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := &Screens{OCR: tt.ocr, Texts: texts}
			got := s.Read(context.Background(), tt.size, tt.caption, tt.fetch)
			if tt.wantNotice == "" && got.Notice != "" || !strings.Contains(got.Notice, tt.wantNotice) {
				t.Errorf("Notice = %q, want one with %q", got.Notice, tt.wantNotice)
			}
			if got.Answer != tt.wantAnswer {
				t.Errorf("Answer = %v, want %v", got.Answer, tt.wantAnswer)
			}
			if text := got.Message.Text + "|" + got.Message.ImageText; text != tt.wantText {
				t.Errorf("Message = %q, want %q", text, tt.wantText)
			}
		})
	}
}
