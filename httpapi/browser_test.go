//go:build unix

package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/redact"
)

// scriptedEngine answers "收到：<text>"; its first answer also carries a code,
// a target, a source and one clarify option. It records what it was sent.
type scriptedEngine struct {
	mu  sync.Mutex
	got []bot.Message
}

func (e *scriptedEngine) Handle(_ context.Context, m bot.Message) (bot.Reply, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, m)
	r := bot.Reply{Answer: "收到：" + m.Text, Target: "none", TextRedacted: redact.Redact(m.Text).Text}
	if len(e.got) == 1 {
		r.Answer += "\n请问是所有卡都不行，还是只有这张卡？"
		r.Code, r.Target, r.Clarify = "51", "bank", true
		r.Options = []string{"所有卡都不行"}
		r.Sources = []bot.Source{{ID: "code-51", Title: "应答码 51 余额不足", Score: 0.9}}
	}
	return r, nil
}

func (e *scriptedEngine) messages() []bot.Message {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]bot.Message(nil), e.got...)
}

// browserPage is the chat page in a headless Chromium driven over the DevTools
// protocol.
type browserPage struct {
	t    *testing.T
	ctx  context.Context
	c    *cdp
	sess string
}

// openPage starts Chromium on url, or skips without it (fails in CI). The
// browser stops when the test ends; the whole test is bounded by a minute.
// Each of before runs on the blank page first (to set a viewport).
func openPage(t *testing.T, url string, before ...func(*browserPage)) *browserPage {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium is required in CI: %v", err)
		}
		t.Skipf("chromium not installed: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	wsURL := startChromium(ctx, t, bin)
	c, err := dialCDP(ctx, wsURL, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Closing the browser lets it flush its profile before it is killed.
		_ = c.call(ctx, "", "Browser.close", nil, nil)
		c.Close()
	})
	p := &browserPage{t: t, ctx: ctx, c: c, sess: attachPage(ctx, t, c)}
	if err := c.call(ctx, p.sess, "Runtime.enable", nil, nil); err != nil {
		t.Fatal(err)
	}
	for _, f := range before {
		f(p)
	}
	var nav struct {
		ErrorText string `json:"errorText"`
	}
	if err := c.call(ctx, p.sess, "Page.navigate", map[string]string{"url": url}, &nav); err != nil || nav.ErrorText != "" {
		t.Fatalf("navigate to %s: %v %s", url, err, nav.ErrorText)
	}
	p.waitFor("the page", `document.readyState === "complete" && !!document.querySelector("#input")`)
	return p
}

// navigate loads url in the page and waits until it has loaded.
func (p *browserPage) navigate(url string) {
	p.t.Helper()
	var nav struct {
		ErrorText string `json:"errorText"`
	}
	if err := p.c.call(p.ctx, p.sess, "Page.navigate", map[string]string{"url": url}, &nav); err != nil || nav.ErrorText != "" {
		p.t.Fatalf("navigate to %s: %v %s", url, err, nav.ErrorText)
	}
	p.waitFor(url, `location.href.startsWith(`+jsString(url)+`) && document.readyState === "complete"`)
}

// run evaluates a page expression into out (if not nil).
func (p *browserPage) run(expr string, out any) {
	p.t.Helper()
	if err := p.c.eval(p.ctx, p.sess, expr, out); err != nil {
		p.t.Fatal(err)
	}
}

// waitFor polls until the page expression is true; the minute bounds it.
func (p *browserPage) waitFor(what, expr string) {
	p.t.Helper()
	for {
		var ok bool
		if err := p.c.eval(p.ctx, p.sess, expr, &ok); err == nil && ok {
			return
		}
		select {
		case <-p.ctx.Done():
			var text string
			_ = p.c.eval(context.Background(), p.sess, `document.querySelector("#messages")?.innerText ?? ""`, &text)
			p.t.Fatalf("waiting for %s: %v; messages:\n%s", what, p.ctx.Err(), text)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// send types text into the input and clicks 发送.
func (p *browserPage) send(text string) {
	p.t.Helper()
	p.run(`(() => {
		document.querySelector("#input").value = `+jsString(text)+`;
		document.querySelector("#send").click();
		return true;
	})()`, nil)
}

// says is a page expression: some element matching selector contains s.
func says(selector, s string) string {
	return `[...document.querySelectorAll(` + jsString(selector) + `)].some(e => e.textContent.includes(` + jsString(s) + `))`
}

// TestChatPageInChromium drives the chat page in headless Chromium over the
// DevTools protocol: type and send, click a clarify option, press Enter.
func TestChatPageInChromium(t *testing.T) {
	engine := &scriptedEngine{}
	srv := httptest.NewServer(New(engine, Options{Logger: slog.New(slog.DiscardHandler)}))
	defer srv.Close()
	p := openPage(t, srv.URL+"/")
	ctx, c, page, run, waitFor := p.ctx, p.c, p.sess, p.run, p.waitFor
	botSays := func(s string) string { return says(".msg.bot", s) }

	// 1. Type a message and click 发送.
	p.send("刷卡显示交易失败51")
	waitFor("the first answer", botSays("收到：刷卡显示交易失败51"))

	var first struct {
		Text, Meta, Sources string
		Options             []string
		Input               string
	}
	run(`(() => {
		const m = document.querySelector(".msg.bot");
		return {
			Text: m.querySelector(".text").innerText,
			Meta: m.querySelector(".meta")?.textContent ?? "",
			Sources: m.querySelector(".sources")?.textContent ?? "",
			Options: [...m.querySelectorAll(".option")].map(o => o.textContent),
			Input: document.querySelector("#input").value,
		};
	})()`, &first)
	wantFirst := struct {
		Text, Meta, Sources string
		Options             []string
		Input               string
	}{
		Text:    "收到：刷卡显示交易失败51\n请问是所有卡都不行，还是只有这张卡？",
		Meta:    "应答码 51 · 找发卡行",
		Sources: "参考：应答码 51 余额不足",
		Options: []string{"所有卡都不行"},
		Input:   "",
	}
	if diff := cmp.Diff(wantFirst, first); diff != "" {
		t.Errorf("first answer on the page (-want +got):\n%s", diff)
	}

	// 2. Click the clarify option.
	run(`document.querySelector(".option").click(), true`, nil)
	waitFor("the answer to the option", botSays("收到：所有卡都不行"))
	var stale bool
	run(`document.querySelector(".option").disabled`, &stale)
	if !stale {
		t.Error("an answered option is still clickable")
	}

	// 3. Type real keystrokes and press Enter; bot text is never parsed as HTML.
	run(`document.querySelector("#input").focus(), true`, nil)
	if err := c.call(ctx, page, "Input.insertText", map[string]string{"text": "<b>转人工</b>"}, nil); err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"keyDown", "keyUp"} {
		key := map[string]any{"type": typ, "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13}
		if typ == "keyDown" {
			key["text"] = "\r"
		}
		if err := c.call(ctx, page, "Input.dispatchKeyEvent", key, nil); err != nil {
			t.Fatal(err)
		}
	}
	waitFor("the answer sent with Enter", botSays("收到：<b>转人工</b>"))
	var injected bool
	run(`!!document.querySelector("#messages b")`, &injected)
	if injected {
		t.Error("bot text was rendered as HTML")
	}

	// 3b. A card number typed with line breaks never shows in the
	// merchant's bubble, not even for a moment: a MutationObserver watches
	// every change. (This scripted engine echoes raw text in its answers;
	// the real one never does.)
	run(`(() => {
		window.sawCard = false;
		new MutationObserver(() => {
			const mine = [...document.querySelectorAll(".msg.user")].map(e => e.textContent).join("").replace(/\s/g, "");
			if (/62220212|02123456/.test(mine)) { window.sawCard = true; }
		}).observe(document.body, {subtree: true, childList: true, characterData: true});
		document.querySelector("#input").value = "卡号 6222\n0212 3456\n7890 128 刷不了";
		document.querySelector("#send").click();
		return true;
	})()`, nil)
	waitFor("the answer to the card message", `document.querySelectorAll(".msg.bot").length === 4`)
	var mine string
	var saw bool
	run(`[...document.querySelectorAll(".msg.user")].pop().textContent`, &mine)
	run(`window.sawCard`, &saw)
	if mine != "卡号 622202*********0128 刷不了" || saw {
		t.Errorf("merchant's bubble %q (card seen on the page: %v), want the redacted text only", mine, saw)
	}

	// All four went to one conversation: the page kept X-Conversation-ID.
	got := engine.messages()
	if len(got) != 4 {
		t.Fatalf("engine got %d messages, want 4: %+v", len(got), got)
	}
	var stored string
	run(`localStorage.getItem("posbot.conversation_id")`, &stored)
	for _, m := range got {
		if m.ConversationID != "http:"+stored || m.Channel != "http" {
			t.Errorf("message %+v, want conversation http:%s on channel http", m, stored)
		}
	}

	// 4. 新对话 forgets the conversation and clears the list.
	var after struct {
		Stored any
		Msgs   int
	}
	run(`(() => {
		document.querySelector("#new").click();
		return {Stored: localStorage.getItem("posbot.conversation_id"), Msgs: document.querySelectorAll(".msg").length};
	})()`, &after)
	if after.Stored != nil || after.Msgs != 0 {
		t.Errorf("after 新对话: stored id %v, %d messages; want none", after.Stored, after.Msgs)
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// startChromium launches headless Chromium with a throwaway profile and
// returns its DevTools websocket URL. The browser and everything it spawned
// are killed when ctx ends or the test finishes.
func startChromium(ctx context.Context, t *testing.T, bin string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--remote-debugging-port=0", "about:blank")
	// Its own process group, so the renderer and zygote die with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromium: %v", err)
	}

	var (
		mu   sync.Mutex
		tail []string // last stderr lines, for failure messages
	)
	found := make(chan string, 1)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		listening := regexp.MustCompile(`DevTools listening on (ws://\S+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			if m := listening.FindStringSubmatch(line); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
			mu.Lock()
			tail = append(tail[max(0, len(tail)-19):], line)
			mu.Unlock()
		}
		_, _ = io.Copy(io.Discard, stderr) // keep Chromium from blocking on a full pipe
	}()
	t.Cleanup(func() {
		// Give Browser.close a moment, then kill whatever is left of the group.
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
		}
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		<-drained
	})

	select {
	case u := <-found:
		return u
	case <-ctx.Done():
	case <-drained:
	}
	mu.Lock()
	defer mu.Unlock()
	t.Fatalf("chromium printed no DevTools URL (%v); stderr:\n%s", ctx.Err(), strings.Join(tail, "\n"))
	return ""
}

// attachPage attaches to the browser's first page and returns the session id.
func attachPage(ctx context.Context, t *testing.T, c *cdp) string {
	t.Helper()
	var targets struct {
		TargetInfos []struct {
			TargetID string `json:"targetId"`
			Type     string `json:"type"`
		} `json:"targetInfos"`
	}
	if err := c.call(ctx, "", "Target.getTargets", nil, &targets); err != nil {
		t.Fatal(err)
	}
	id := ""
	for _, ti := range targets.TargetInfos {
		if ti.Type == "page" {
			id = ti.TargetID
			break
		}
	}
	if id == "" {
		var created struct {
			TargetID string `json:"targetId"`
		}
		if err := c.call(ctx, "", "Target.createTarget", map[string]string{"url": "about:blank"}, &created); err != nil {
			t.Fatal(err)
		}
		id = created.TargetID
	}
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	err := c.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": id, "flatten": true}, &attached)
	if err != nil {
		t.Fatal(err)
	}
	return attached.SessionID
}

// TestChatPageHandoffInChromium: the merchant asks for a person on the
// page; an agent claims, replies and closes over the agent API; the page
// shows the agent's message live, a status line while a person has the
// chat, and the bot's answers again after the close.
func TestChatPageHandoffInChromium(t *testing.T) {
	ts, _ := handoffServer(t, agentToken)
	p := openPage(t, ts.URL+"/")

	p.send("刷卡显示交易失败51")
	p.waitFor("the bot's answer", says(".msg.bot", "余额"))
	p.send("转人工")
	p.waitFor("the queue position", says(".msg.bot", "工单 #1"))
	var summary bool
	p.run(`document.querySelector("#messages").innerText.includes("摘要")`, &summary)
	if summary {
		t.Error("the page shows the agents' summary")
	}

	// The agent claims while the page is closed: the page opened again
	// shows it (it had seen no event yet, so it reads them from the first).
	p.navigate("about:blank")
	if code := call(t, "POST", ts.URL+"/v1/tickets/1/claim", agentToken, `{"agent":"alice"}`, nil); code != 200 {
		t.Fatalf("claim = %d", code)
	}
	p.navigate(ts.URL + "/")
	p.waitFor("the taken notice", says(".msg.status", "人工客服已接手"))
	bots := 0
	p.run(`document.querySelectorAll(".msg.bot").length`, &bots)
	p.send("参考号 123456789012")
	p.waitFor("the status line for a silent reply", says(".msg.status", "已转给人工客服"))
	if code := call(t, "POST", ts.URL+"/v1/tickets/1/reply", agentToken, `{"text":"收到，正在帮你查"}`, nil); code != 200 {
		t.Fatalf("reply = %d", code)
	}
	p.waitFor("the agent's message", says(".msg.agent", "人工客服：收到，正在帮你查"))

	// The page closed and opened again: it shows what it showed, and what
	// the agent wrote meanwhile, once each.
	p.navigate("about:blank")
	if code := call(t, "POST", ts.URL+"/v1/tickets/1/reply", agentToken, `{"text":"还在吗？"}`, nil); code != 200 {
		t.Fatalf("reply = %d", code)
	}
	p.navigate(ts.URL + "/")
	p.waitFor("the message written while the page was closed", says(".msg.agent", "人工客服：还在吗？"))
	var agents []string
	p.run(`[...document.querySelectorAll(".msg.agent")].map(e => e.textContent)`, &agents)
	if want := []string{"人工客服：收到，正在帮你查", "人工客服：还在吗？"}; !cmp.Equal(agents, want) {
		t.Errorf("agent messages after reopening: %q, want %q", agents, want)
	}
	var now int
	p.run(`document.querySelectorAll(".msg.bot").length`, &now)
	if now != bots {
		t.Errorf("the bot answered while a person had the chat (%d bot bubbles, was %d)", now, bots)
	}
	if code := call(t, "POST", ts.URL+"/v1/tickets/1/close", agentToken, "", nil); code != 200 {
		t.Fatalf("close = %d", code)
	}
	p.waitFor("the closed notice", says(".msg.status", "人工客服已结束本次服务"))
	p.send("交易失败55")
	p.waitFor("the bot again", says(".msg.bot", "55"))
}
