package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/chzyer/readline"
	"golang.org/x/term"
)

// lineReader reads what the merchant types, one line at a time.
type lineReader interface {
	// ReadLine shows prompt and returns the next line without its newline,
	// or io.EOF at the end of the input.
	ReadLine(prompt string) (string, error)
	Close() error
}

// newLineReader returns a line editor with history when in and out are both
// a terminal, and a plain line reader otherwise (a pipe, a file, a test).
func newLineReader(in io.Reader, out io.Writer) (lineReader, error) {
	fin, okIn := terminal(in)
	_, okOut := terminal(out)
	if okIn && okOut {
		return newEditor(fin, out)
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), maxLine)
	return &plainReader{sc: sc, out: out}, nil
}

// terminal returns v as a file when it is a terminal.
func terminal(v any) (*os.File, bool) {
	f, ok := v.(*os.File)
	return f, ok && term.IsTerminal(int(f.Fd()))
}

// plainReader reads lines from a pipe or file, printing the prompt first.
type plainReader struct {
	sc  *bufio.Scanner
	out io.Writer
}

func (p *plainReader) ReadLine(prompt string) (string, error) {
	fmt.Fprint(p.out, prompt)
	if !p.sc.Scan() {
		if err := p.sc.Err(); err != nil {
			return "", err
		}
		return "", io.EOF
	}
	return p.sc.Text(), nil
}

func (p *plainReader) Close() error { return nil }

// historyLines is how many lines the editor keeps for the arrow keys. They
// live in memory only: they hold what the merchant typed before redaction
// (card numbers, PINs), which must not be written to a history file.
const historyLines = 200

// editor reads lines from a terminal with line editing (arrows, Ctrl-A/E/W,
// wide CJK characters) and history (up and down arrows, Ctrl-R).
type editor struct {
	rl      *readline.Instance
	restore func() error // leaves raw mode
}

func newEditor(in *os.File, out io.Writer) (*editor, error) {
	fd := int(in.Fd())
	var (
		mu    sync.Mutex
		saved *readline.State
	)
	// The terminal stays raw from the first prompt until Close, also while
	// an answer is worked out and printed. readline reads the terminal all
	// the time; were it cooked between prompts, a Ctrl-D typed then would
	// reach readline as the end of its input and the next prompt would
	// never return.
	restore := func() error {
		mu.Lock()
		defer mu.Unlock()
		if saved == nil {
			return nil
		}
		s := saved
		saved = nil
		return readline.Restore(fd, s)
	}
	rl, err := readline.NewEx(&readline.Config{
		Stdin:           readline.NewCancelableStdin(in),
		Stdout:          out,
		Stderr:          out,
		HistoryLimit:    historyLines,
		InterruptPrompt: "^C",
		EOFPrompt:       "\n", // readline's way of saying: print nothing extra
		// readline's defaults work on os.Stdin; these work on in. Its raw
		// mode, unlike x/term's, keeps output processing, so "\n" still
		// starts the next line at its left edge.
		FuncIsTerminal: func() bool { return true },
		FuncMakeRaw: func() error {
			mu.Lock()
			defer mu.Unlock()
			if saved != nil {
				return nil
			}
			s, err := readline.MakeRaw(fd)
			if err == nil {
				saved = s
			}
			return err
		},
		FuncExitRaw: func() error { return nil },
		FuncGetWidth: func() int {
			if w, _, err := term.GetSize(fd); err == nil && w > 0 {
				return w
			}
			return 80
		},
	})
	if err != nil {
		return nil, fmt.Errorf("line editor: %w", err)
	}
	return &editor{rl: rl, restore: restore}, nil
}

// ReadLine returns the next line. Ctrl-D on an empty line is io.EOF, and so
// is Ctrl-C on an empty line; Ctrl-C on a line being typed drops it and asks
// again.
func (e *editor) ReadLine(prompt string) (string, error) {
	e.rl.SetPrompt(prompt)
	for {
		line, err := e.rl.Readline()
		if errors.Is(err, readline.ErrInterrupt) {
			if line == "" {
				return "", io.EOF
			}
			continue
		}
		return line, err
	}
}

func (e *editor) Close() error {
	return errors.Join(e.rl.Close(), e.restore())
}
