package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/knowledge"
)

// Chat runs an interactive conversation: each line the merchant types is a
// message of the same conversation. "/reset" starts over, "/quit" leaves.
// On a terminal the line can be edited and earlier lines recalled with the
// arrow keys; from a pipe lines are read as they come.
//
// What it says in its own words (its greeting, "cleared") is texts, the
// knowledge base's channel texts for "cli"; the greeting is in both
// languages, the other in the language of the last answer.
//
// A clarifying question's options are shown once, numbered; a reply that is
// just one of those numbers sends the option's text, so the engine and the
// transcript record the choice, not the digit.
func Chat(ctx context.Context, e Engine, texts knowledge.Texts, in io.Reader, out io.Writer) error {
	const id = "chat:terminal"
	lines, err := newLineReader(in, out)
	if err != nil {
		return err
	}
	defer lines.Close()
	fmt.Fprintln(out, texts.Get("zh", "chat_greeting"))
	fmt.Fprintln(out, texts.Get("en", "chat_greeting"))
	var (
		options []string // the last reply's, for picking by number
		lang    = "zh"   // the last answer's
	)
	for {
		fmt.Fprintln(out)
		line, err := lines.ReadLine("> ")
		if errors.Is(err, io.EOF) {
			fmt.Fprintln(out)
			return nil
		}
		if err != nil {
			return fmt.Errorf("read message: %w", err)
		}
		line = strings.TrimSpace(line)
		switch line {
		case "":
			continue
		case "/quit", "/exit":
			return nil
		case "/reset":
			if err := e.Reset(ctx, id); err != nil {
				return err
			}
			options = nil
			fmt.Fprintln(out, texts.Get(lang, "reset"))
			continue
		}
		if o, ok := pick(line, options); ok {
			line = o
			fmt.Fprintf(out, "→ %s\n", o)
		}
		r, err := e.Handle(ctx, bot.Message{ConversationID: id, Channel: "cli", Text: line})
		if err != nil {
			return fmt.Errorf("answer: %w", err)
		}
		fmt.Fprintln(out, r.Answer)
		lang = channel.AnswerLang(r.Answer)
		for i, o := range r.Options {
			if !listed(r.Answer, i+1, o) {
				fmt.Fprintf(out, "  %d. %s\n", i+1, o)
			}
		}
		options = r.Options
	}
}

// pick returns the option a bare number ("2") chooses, if it is one.
func pick(line string, options []string) (string, bool) {
	n, err := strconv.Atoi(line)
	if err != nil || n < 1 || n > len(options) {
		return "", false
	}
	return options[n-1], true
}

// listed reports whether answer already shows option o as number n: the
// engine's clarifying questions list their options in the text, for
// channels without buttons.
func listed(answer string, n int, o string) bool {
	return strings.Contains(answer, fmt.Sprintf("%d. %s", n, o))
}
