// Package ocr reads the text on a screenshot or photo of a terminal screen,
// so that a merchant can send a picture instead of typing the code.
package ocr

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"unicode"
)

// Reader reads the text in an image.
type Reader interface {
	// Read returns the text in img, "" if there is none. It returns
	// ErrNotImage when img is not an image in a supported format.
	Read(ctx context.Context, img []byte) (string, error)
}

// ErrNotImage is returned for bytes that are not a PNG, JPEG, GIF, WebP or BMP image.
var ErrNotImage = errors.New("ocr: not a supported image")

// ErrTooLarge is returned for an image over the reader's size limit.
var ErrTooLarge = errors.New("ocr: image too large")

// imageTypes are the formats tesseract (through leptonica) reads.
var imageTypes = map[string]bool{
	"image/png":  true,
	"image/jpeg": true,
	"image/gif":  true,
	"image/webp": true,
	"image/bmp":  true,
}

// Sniff returns the image's MIME type and whether it is one the readers accept,
// judged by its first bytes (never by a file name or a client's claim).
func Sniff(img []byte) (string, bool) {
	ct := http.DetectContentType(img)
	return ct, imageTypes[ct]
}

// Useful reports whether OCR output holds anything worth reading: at least two
// letters, digits or Chinese characters. Noise from a photo of no text is
// usually a few punctuation marks.
func Useful(text string) bool {
	n := 0
	for _, r := range text {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			n++
			if n >= 2 {
				return true
			}
		}
	}
	return false
}

// Tidy cleans OCR output: trims each line, drops empty lines and removes the
// spaces tesseract puts between Chinese characters ("交 易 失 败" → "交易失败"),
// which would otherwise split words the engine looks for.
func Tidy(text string) string {
	var lines []string
	for line := range strings.Lines(text) {
		line = strings.Join(strings.Fields(line), " ")
		if line == "" {
			continue
		}
		lines = append(lines, joinHan(line))
	}
	return strings.Join(lines, "\n")
}

// joinHan removes single spaces that have a Chinese character on both sides.
func joinHan(s string) string {
	rs := []rune(s)
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range rs {
		if r == ' ' && i > 0 && i+1 < len(rs) && han(rs[i-1]) && han(rs[i+1]) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func han(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.In(r, unicode.P) && r > 0x2FFF // full-width punctuation
}
