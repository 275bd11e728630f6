// Package cli is posbot's terminal channel: one-shot questions (ask), an
// interactive conversation (chat) and knowledge-base export.
package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/channel"
)

// Engine is the part of the conversation engine the terminal needs.
type Engine interface {
	channel.Handler
	Reset(ctx context.Context, conversationID string) error
}

// askJSON is the exact shape of one `posbot ask --json` result.
type askJSON struct {
	Answer      string `json:"answer"`
	Code        string `json:"code"`
	CodeMeaning string `json:"code_meaning"`
	Target      string `json:"target"`
	Clarify     bool   `json:"clarify"`
	Handoff     bool   `json:"handoff"`
	// Escalate and Reason say whether a person must also take the case,
	// and why (see bot.Reply).
	Escalate bool         `json:"escalate"`
	Reason   string       `json:"reason"`
	Sources  []bot.Source `json:"sources"`
}

// maxLine bounds one stdin message; longer lines are still answered (the
// engine reads the beginning and says so), never dropped.
const maxLine = 1 << 20

// AskOptions configure Ask; the zero value prints plain answers to the
// messages read from the input.
type AskOptions struct {
	// JSON prints one askJSON object per result instead of the plain answer.
	JSON bool
	// Message, when not empty, is the one message to answer (its words
	// joined by spaces) instead of reading the input.
	Message []string
	// Hint, if set, is told how to type messages when Ask reads them from a
	// terminal: otherwise `posbot ask` would wait silently.
	Hint io.Writer
}

// Ask answers messages. With opts.Message set, they form one message;
// otherwise it reads one message per line from in, each an independent
// conversation, and writes one result per line, in order.
func Ask(ctx context.Context, e Engine, opts AskOptions, in io.Reader, out io.Writer) error {
	w := bufio.NewWriter(out)
	defer w.Flush()
	_, interactive := terminal(out) // someone is waiting for each answer
	answer := func(id, text string) error {
		r, err := e.Handle(ctx, bot.Message{ConversationID: id, Channel: "cli", Text: text})
		if err != nil {
			return fmt.Errorf("answer: %w", err)
		}
		if err := writeResult(w, r, opts.JSON); err != nil {
			return err
		}
		if interactive {
			return w.Flush()
		}
		return nil
	}
	if len(opts.Message) > 0 {
		return answer("ask:0", strings.Join(opts.Message, " "))
	}
	if _, tty := terminal(in); tty && opts.Hint != nil {
		fmt.Fprintln(opts.Hint, "posbot ask: reading messages from stdin, one per line (Ctrl-D to end)")
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), maxLine)
	for n := 0; sc.Scan(); n++ {
		if err := answer("ask:"+strconv.Itoa(n), sc.Text()); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read messages: %w", err)
	}
	return nil
}

func writeResult(w io.Writer, r bot.Reply, asJSON bool) error {
	if !asJSON {
		_, err := fmt.Fprintf(w, "%s\n---\n", r.Answer)
		return err
	}
	b, err := json.Marshal(askJSON{r.Answer, r.Code, r.CodeMeaning, r.Target, r.Clarify, r.Handoff, r.Escalate, r.Reason, r.Sources})
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
