package ocr_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/posbot/posbot/ocr"
	"github.com/posbot/posbot/ocr/ocrtest"
)

// needOCR skips the test when tesseract or the CJK font is missing, and fails
// it in CI, where both are always installed.
func needOCR(t testing.TB) {
	t.Helper()
	missing := func(what string, err error) {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing in CI: %v", what, err)
		}
		t.Skipf("%s missing: %v", what, err)
	}
	if _, err := exec.LookPath("tesseract"); err != nil {
		missing("tesseract", err)
	}
	if _, err := ocrtest.FontPath(); err != nil {
		missing("CJK font", err)
	}
}

func TestTesseractReadsTerminalScreens(t *testing.T) {
	t.Parallel()
	needOCR(t)
	tests := []struct {
		name  string
		lines []string
		// want are substrings of the OCR text with spaces removed; "a|b"
		// accepts either. Tesseract reads the digit 0 after a capital letter
		// as the letter O in most sans-serif fonts, so "A0" may come back as
		// "AO"; the engine's code reader has to accept both.
		want []string
	}{
		{"code 51", []string{"交易失败 51", "余额不足"}, []string{"交易失败", "51", "余额不足"}},
		{"code A0", []string{"A0 MAC校验错", "请重新签到"}, []string{"A0|AO", "MAC", "校验错", "签到"}},
		{"code 05", []string{"交易失败 05 不予承兑"}, []string{"交易失败", "05", "承兑"}},
	}
	tr := &ocr.Tesseract{Timeout: 30 * time.Second}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			img, err := ocrtest.Screen(tt.lines...)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tr.Read(context.Background(), img)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			flat := strings.ReplaceAll(got, " ", "")
			for _, w := range tt.want {
				if !containsAny(flat, strings.Split(w, "|")) {
					t.Errorf("OCR text %q lacks %q", got, w)
				}
			}
		})
	}
}

func TestTesseractRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		tr   *ocr.Tesseract
		img  []byte
		want error
	}{
		{"text is not an image", &ocr.Tesseract{}, []byte("交易失败 51"), ocr.ErrNotImage},
		{"pdf is not an image", &ocr.Tesseract{}, []byte("%PDF-1.7\n..."), ocr.ErrNotImage},
		{"empty", &ocr.Tesseract{}, nil, ocr.ErrNotImage},
		{"too large", &ocr.Tesseract{MaxBytes: 10}, []byte("\x89PNG\r\n\x1a\n0123456789"), ocr.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Path points nowhere: a rejected image must not start a process.
			tt.tr.Path = "/nonexistent/tesseract"
			_, err := tt.tr.Read(context.Background(), tt.img)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Read error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestTesseractBrokenImage(t *testing.T) {
	t.Parallel()
	needOCR(t)
	// A PNG signature followed by garbage: sniffed as PNG, unreadable.
	img := append([]byte("\x89PNG\r\n\x1a\n"), []byte(strings.Repeat("garbage", 20))...)
	got, err := (&ocr.Tesseract{}).Read(context.Background(), img)
	if err == nil && ocr.Useful(got) {
		t.Fatalf("Read of a broken image = %q, want an error or nothing useful", got)
	}
}

func TestTesseractTimeout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	slow := dir + "/tesseract"
	if err := os.WriteFile(slow, []byte("#!/bin/sh\nexec sleep 10\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	img := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	start := time.Now()
	_, err := (&ocr.Tesseract{Path: slow, Timeout: 200 * time.Millisecond}).Read(context.Background(), img)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Read error = %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Read took %v after a 200ms timeout", d)
	}
}

func TestTidy(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"交 易 失 败  51\n\n 余 额 不 足 \n", "交易失败 51\n余额不足"},
		{"A0 MAC 校 验 错", "A0 MAC 校验错"},
		{"", ""},
		{"Error 4001: please retry", "Error 4001: please retry"},
		{"请 重 新 签 到 。", "请重新签到。"},
	}
	for _, tt := range tests {
		if got := ocr.Tidy(tt.in); got != tt.want {
			t.Errorf("Tidy(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestUseful(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want bool
	}{
		{"", false},
		{" | ~ . ", false},
		{"5", false},
		{"51", true},
		{"交易", true},
	}
	for _, tt := range tests {
		if got := ocr.Useful(tt.in); got != tt.want {
			t.Errorf("Useful(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
