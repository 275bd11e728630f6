package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/posbot/posbot/bot"
)

// Chat runs an interactive conversation: each line the merchant types is a
// message of the same conversation. "/reset" starts over, "/quit" leaves.
func Chat(ctx context.Context, e Engine, in io.Reader, out io.Writer) error {
	const id = "chat:terminal"
	fmt.Fprintln(out, "posbot 对话模式：输入屏幕上的代码或提示文字，例如“刷卡显示交易失败51”。/reset 重新开始，/quit 退出。")
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), maxLine)
	for {
		fmt.Fprint(out, "\n> ")
		if !sc.Scan() {
			fmt.Fprintln(out)
			return sc.Err()
		}
		line := strings.TrimSpace(sc.Text())
		switch line {
		case "":
			continue
		case "/quit", "/exit":
			return nil
		case "/reset":
			if err := e.Reset(ctx, id); err != nil {
				return err
			}
			fmt.Fprintln(out, "已重新开始。")
			continue
		}
		r, err := e.Handle(ctx, bot.Message{ConversationID: id, Channel: "cli", Text: line})
		if err != nil {
			return fmt.Errorf("answer: %w", err)
		}
		fmt.Fprintln(out, r.Answer)
		for i, o := range r.Options {
			fmt.Fprintf(out, "  [%d] %s\n", i+1, o)
		}
	}
}
