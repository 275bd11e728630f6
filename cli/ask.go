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
)

// Engine is the part of the conversation engine the terminal needs.
type Engine interface {
	Handle(ctx context.Context, m bot.Message) (bot.Reply, error)
	Reset(ctx context.Context, conversationID string) error
}

// askJSON is the exact shape of one `posbot ask --json` result.
type askJSON struct {
	Answer      string       `json:"answer"`
	Code        string       `json:"code"`
	CodeMeaning string       `json:"code_meaning"`
	Target      string       `json:"target"`
	Clarify     bool         `json:"clarify"`
	Handoff     bool         `json:"handoff"`
	Sources     []bot.Source `json:"sources"`
}

// maxLine bounds one stdin message; longer lines are still answered (the
// engine reads the beginning and says so), never dropped.
const maxLine = 1 << 20

// Ask answers messages. With messages given, they form one message (joined by
// spaces); otherwise it reads one message per line from in, each an
// independent conversation, and writes one result per line, in order.
func Ask(ctx context.Context, e Engine, asJSON bool, message []string, in io.Reader, out io.Writer) error {
	w := bufio.NewWriter(out)
	defer w.Flush()
	answer := func(id, text string) error {
		r, err := e.Handle(ctx, bot.Message{ConversationID: id, Channel: "cli", Text: text})
		if err != nil {
			return fmt.Errorf("answer: %w", err)
		}
		return writeResult(w, r, asJSON)
	}
	if len(message) > 0 {
		return answer("ask:0", strings.Join(message, " "))
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
	b, err := json.Marshal(askJSON{r.Answer, r.Code, r.CodeMeaning, r.Target, r.Clarify, r.Handoff, r.Sources})
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
