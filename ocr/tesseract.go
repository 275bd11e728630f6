package ocr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

var _ Reader = (*Tesseract)(nil)

// Defaults used for zero Tesseract fields.
const (
	DefaultLangs    = "chi_sim+eng"
	DefaultPSM      = 6
	DefaultTimeout  = 20 * time.Second
	DefaultMaxBytes = 10 << 20
)

// Tesseract reads images with the tesseract command-line program: the image
// goes in on stdin, the text comes out on stdout, nothing touches the disk.
// The zero value runs "tesseract" from PATH with the defaults. It is safe for
// concurrent use; each Read runs its own process.
type Tesseract struct {
	// Path is the tesseract binary; "" means "tesseract" looked up in PATH.
	Path string
	// Langs are the traineddata languages; "" means DefaultLangs.
	Langs string
	// PSM is the page segmentation mode; 0 means DefaultPSM (one uniform
	// block of text, which suits a terminal screen).
	PSM int
	// Timeout bounds one Read; 0 means DefaultTimeout.
	Timeout time.Duration
	// MaxBytes bounds the image size; 0 means DefaultMaxBytes.
	MaxBytes int
}

// Check reports whether the tesseract binary can be found.
func (t *Tesseract) Check() error {
	if _, err := exec.LookPath(t.path()); err != nil {
		return fmt.Errorf("ocr: tesseract not found: %w", err)
	}
	return nil
}

// Read implements Reader. The output is cleaned with Tidy. It returns
// ErrNotImage or ErrTooLarge before starting a process, and an error wrapping
// context.DeadlineExceeded when tesseract runs past the timeout.
func (t *Tesseract) Read(ctx context.Context, img []byte) (string, error) {
	if len(img) > t.maxBytes() {
		return "", ErrTooLarge
	}
	if _, ok := Sniff(img); !ok {
		return "", ErrNotImage
	}
	ctx, cancel := context.WithTimeout(ctx, t.timeout())
	defer cancel()

	langs := t.Langs
	if langs == "" {
		langs = DefaultLangs
	}
	psm := t.PSM
	if psm == 0 {
		psm = DefaultPSM
	}
	cmd := exec.CommandContext(ctx, t.path(), "stdin", "stdout", "-l", langs, "--psm", strconv.Itoa(psm))
	// One thread per process: several OCR runs share the machine, and
	// OpenMP's thread pool makes each of them slower, not faster.
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	cmd.Stdin = bytes.NewReader(img)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &limitedBuffer{max: 2048, buf: &stderr}
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("ocr: tesseract: %w", ctx.Err())
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("ocr: tesseract exited %d: %s", ee.ExitCode(), strings.TrimSpace(stderr.String()))
		}
		return "", fmt.Errorf("ocr: tesseract: %w", err)
	}
	return Tidy(stdout.String()), nil
}

func (t *Tesseract) path() string {
	if t.Path != "" {
		return t.Path
	}
	return "tesseract"
}

func (t *Tesseract) timeout() time.Duration {
	if t.Timeout > 0 {
		return t.Timeout
	}
	return DefaultTimeout
}

func (t *Tesseract) maxBytes() int {
	if t.MaxBytes > 0 {
		return t.MaxBytes
	}
	return DefaultMaxBytes
}

// limitedBuffer keeps the first max bytes written to it and drops the rest,
// so a chatty failure cannot fill memory.
type limitedBuffer struct {
	max int
	buf *bytes.Buffer
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}
