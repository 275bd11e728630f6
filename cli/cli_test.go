package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/posbot/posbot/bot/bottest"
)

// TestChat holds one conversation across lines: the question, the answer to
// it, /reset that forgets it, /quit.
func TestChat(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	in := strings.NewReader("刷卡失败了\n2\n/reset\n2\n/quit\n刷卡显示51\n")
	if err := Chat(context.Background(), bottest.Engine(t), in, &out); err != nil {
		t.Fatal(err)
	}
	o := out.String()
	if !strings.Contains(o, "[2] 只有这一张卡不行") {
		t.Errorf("options not shown:\n%s", o)
	}
	parts := strings.Split(o, "已重新开始。")
	if len(parts) != 2 {
		t.Fatalf("no reset:\n%s", o)
	}
	if !strings.Contains(parts[0], "背面") {
		t.Errorf("\"2\" was not read as the answer to the question:\n%s", parts[0])
	}
	if strings.Contains(parts[1], "背面") {
		t.Errorf("\"2\" after /reset was read in the old context:\n%s", parts[1])
	}
	if strings.Contains(o, "应答码 51") {
		t.Errorf("read past /quit:\n%s", o)
	}
}

func TestAskPlain(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := Ask(context.Background(), bottest.Engine(t), false, nil, strings.NewReader("错误码A0\n机器一直通讯失败\n"), &out); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "\n---\n"); n != 2 {
		t.Fatalf("%d results for 2 lines:\n%s", n, out.String())
	}
}
