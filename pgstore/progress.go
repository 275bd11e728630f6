package pgstore

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress reports ingestion on a writer: a progress bar when the writer is a
// terminal, a plain line every tenth of the way otherwise (logs, containers).
// A nil writer reports nothing.
type progress struct {
	w     io.Writer
	tty   bool
	bar   *progressbar.ProgressBar
	total int
	done  int
	shown int // tenths already reported in plain mode
	label string
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
	}
	return p
}

func (p *progress) linef(format string, args ...any) {
	if p.w != nil {
		fmt.Fprintf(p.w, format+"\n", args...)
	}
}

func (p *progress) start(total int, label string) {
	p.total, p.done, p.shown, p.label = total, 0, 0, label
	if p.w == nil || !p.tty {
		return
	}
	p.bar = progressbar.NewOptions(total,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(label),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(p.w) }),
	)
}

func (p *progress) add(n int) {
	p.done += n
	if p.bar != nil {
		_ = p.bar.Add(n) // a failed terminal write must not fail the ingest
		return
	}
	if tenths := p.done * 10 / p.total; tenths > p.shown || p.done == p.total {
		p.shown = tenths
		p.linef("%s: %d/%d", p.label, p.done, p.total)
	}
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil
	}
}
