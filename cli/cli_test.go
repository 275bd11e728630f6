package cli

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/bot/bottest"
)

// recorder is an Engine that records the texts it was sent.
type recorder struct {
	Engine
	mu    sync.Mutex
	texts []string
	hold  chan struct{} // when set, Handle waits for it to close before answering
}

func (r *recorder) Handle(ctx context.Context, m bot.Message) (bot.Reply, error) {
	r.mu.Lock()
	r.texts = append(r.texts, m.Text)
	hold := r.hold
	r.mu.Unlock()
	if hold != nil {
		<-hold
	}
	return r.Engine.Handle(ctx, m)
}

func (r *recorder) sent() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.texts)
}

// TestChat holds one conversation across lines: the question, the answer to
// it by number, /reset that forgets it, /quit.
func TestChat(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	e := &recorder{Engine: bottest.Engine(t)}
	in := strings.NewReader("刷卡失败了\n2\n/reset\n2\n/quit\n刷卡显示51\n")
	texts := bottest.Base(t).ChannelTexts().For("cli")
	if err := Chat(context.Background(), e, texts, in, &out); err != nil {
		t.Fatal(err)
	}
	o := out.String()
	if !strings.HasPrefix(o, texts.Get("zh", "chat_greeting")+"\n"+texts.Get("en", "chat_greeting")+"\n") {
		t.Errorf("no greeting in both languages:\n%s", o)
	}
	if n := strings.Count(o, "只有这一张卡不行"); n != 2 { // the option, then "→ 只有这一张卡不行"
		t.Errorf("option 2 shown %d times, want once in the question and once as the choice:\n%s", n, o)
	}
	if !strings.Contains(o, "2. 只有这一张卡不行") || !strings.Contains(o, "→ 只有这一张卡不行") {
		t.Errorf("options or the choice not shown:\n%s", o)
	}
	// The choice goes to the engine as the option's text; after /reset there
	// are no options, so "2" is sent as typed.
	if want := []string{"刷卡失败了", "只有这一张卡不行", "2"}; !slices.Equal(e.sent(), want) {
		t.Errorf("engine got %q, want %q", e.sent(), want)
	}
	parts := strings.Split(o, texts.Get("zh", "reset"))
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

// TestChatEnglishReset: /reset after an English answer says so in English.
func TestChatEnglishReset(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	texts := bottest.Base(t).ChannelTexts().For("cli")
	in := strings.NewReader("the terminal says declined 51\n/reset\n")
	if err := Chat(context.Background(), bottest.Engine(t), texts, in, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), texts.Get("en", "reset")) {
		t.Errorf("reset after an English answer not in English:\n%s", out.String())
	}
}

func TestPick(t *testing.T) {
	t.Parallel()
	opts := []string{"所有卡都刷不了", "只有这一张卡不行", "机器没信号/连不上网", "新机器第一次用"}
	tests := []struct {
		line    string
		options []string
		want    string
		ok      bool
	}{
		{"1", opts, "所有卡都刷不了", true},
		{"4", opts, "新机器第一次用", true},
		{"0", opts, "", false},
		{"5", opts, "", false},
		{"-1", opts, "", false},
		{"51", opts, "", false}, // a code, not a pick
		{"2", nil, "", false},
		{"第二个", opts, "", false}, // the engine reads those itself
	}
	for _, tt := range tests {
		if got, ok := pick(tt.line, tt.options); got != tt.want || ok != tt.ok {
			t.Errorf("pick(%q, %d options) = %q, %v; want %q, %v", tt.line, len(tt.options), got, ok, tt.want, tt.ok)
		}
	}
}

// TestChatTerminal types into a pseudo-terminal: the line editor echoes what
// is typed, the up arrow brings back the previous line, and Ctrl-D ends, also
// when it is typed while an answer is still being worked out. The terminal is
// cooked again afterwards.
func TestChatTerminal(t *testing.T) {
	t.Parallel()
	pty, tty := openPTY(t)
	screen := readScreen(t, pty)
	e := &recorder{Engine: bottest.Engine(t)}
	done := make(chan error, 1)
	go func() { done <- Chat(context.Background(), e, bottest.Base(t).ChannelTexts().For("cli"), tty, tty) }()

	send := func(keys string) {
		t.Helper()
		if _, err := pty.Write([]byte(keys)); err != nil {
			t.Fatal(err)
		}
	}
	sentN := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); len(e.sent()) < n; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("message %d was not sent; screen:\n%s", n, screen)
			}
		}
	}
	screen.waitFor(t, "> ")
	send("刷卡显示交易失败51\r")
	screen.waitFor(t, "余额")

	// The up arrow recalls the same message; Ctrl-D comes while the engine
	// is still answering it.
	hold := make(chan struct{})
	e.mu.Lock()
	e.hold = hold
	e.mu.Unlock()
	send("\x1b[A\r")
	sentN(2)
	send("\x04")
	time.Sleep(50 * time.Millisecond) // let the terminal take the key before the answer comes
	close(hold)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("Ctrl-D did not end the chat; screen:\n%s", screen)
	}
	if want := []string{"刷卡显示交易失败51", "刷卡显示交易失败51"}; !slices.Equal(e.sent(), want) {
		t.Errorf("engine got %q, want %q", e.sent(), want)
	}
	screen.waitForN(t, "【应答码 51】", 2)
	if !cooked(t, tty) {
		t.Error("the terminal was left raw")
	}
}

// screen collects what a program writes to a terminal.
type screen struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func readScreen(t *testing.T, pty io.Reader) *screen {
	s := &screen{}
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := pty.Read(b)
			s.mu.Lock()
			s.buf.Write(b[:n])
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return s
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// waitFor waits until the screen shows want.
func (s *screen) waitFor(t *testing.T, want string) {
	t.Helper()
	s.waitForN(t, want, 1)
}

// waitForN waits until the screen shows want n times.
func (s *screen) waitForN(t *testing.T, want string, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); strings.Count(s.String(), want) < n; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("screen never showed %q %d times:\n%s", want, n, s)
		}
	}
}

func TestAskPlain(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := Ask(context.Background(), bottest.Engine(t), AskOptions{}, strings.NewReader("错误码A0\n机器一直通讯失败\n"), &out); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "\n---\n"); n != 2 {
		t.Fatalf("%d results for 2 lines:\n%s", n, out.String())
	}
}

// TestAskHint: reading a terminal, ask says how to type messages; reading a
// pipe or answering an argument, it says nothing.
func TestAskHint(t *testing.T) {
	t.Parallel()
	const hint = "one per line (Ctrl-D to end)"
	e := bottest.Engine(t)

	var hintOut bytes.Buffer
	if err := Ask(context.Background(), e, AskOptions{Hint: &hintOut}, strings.NewReader("51\n"), io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := Ask(context.Background(), e, AskOptions{Hint: &hintOut, Message: []string{"51"}}, nil, io.Discard); err != nil {
		t.Fatal(err)
	}
	if hintOut.Len() != 0 {
		t.Errorf("hint without a terminal: %q", hintOut.String())
	}

	pty, tty := openPTY(t)
	readScreen(t, pty)
	pty.Write([]byte{4}) // Ctrl-D: no messages
	if err := Ask(context.Background(), e, AskOptions{Hint: &hintOut}, tty, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(hintOut.String(), hint) {
		t.Errorf("hint on a terminal = %q, want it to say %q", hintOut.String(), hint)
	}
}
