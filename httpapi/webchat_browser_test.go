//go:build unix

package httpapi

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/posbot/posbot/bot/bottest"
	"github.com/posbot/posbot/ocr"
	"github.com/posbot/posbot/redact"
)

// viewport sets the page's size before it loads: a phone (touch, mobile
// layout) or a desktop window.
func viewport(width, height int, mobile bool) func(*browserPage) {
	return func(p *browserPage) {
		p.t.Helper()
		scale := 1
		if mobile {
			scale = 3
		}
		err := p.c.call(p.ctx, p.sess, "Emulation.setDeviceMetricsOverride",
			map[string]any{"width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile}, nil)
		if err == nil && mobile {
			err = p.c.call(p.ctx, p.sess, "Emulation.setTouchEmulationEnabled", map[string]any{"enabled": true}, nil)
		}
		if err != nil {
			p.t.Fatal(err)
		}
	}
}

// attachFile chooses path in the page's file input, as a merchant picking
// a picture does; the page sends it at once.
func (p *browserPage) attachFile(path string) {
	p.t.Helper()
	var res struct {
		Result struct {
			ObjectID string `json:"objectId"`
		} `json:"result"`
	}
	if err := p.c.call(p.ctx, p.sess, "Runtime.evaluate", map[string]any{"expression": `document.querySelector("#file")`}, &res); err != nil {
		p.t.Fatal(err)
	}
	if res.Result.ObjectID == "" {
		p.t.Fatal("no file input on the page")
	}
	err := p.c.call(p.ctx, p.sess, "DOM.setFileInputFiles", map[string]any{"files": []string{path}, "objectId": res.Result.ObjectID}, nil)
	if err != nil {
		p.t.Fatal(err)
	}
}

// count is a page expression: how many elements match selector.
func count(selector string) string {
	return `document.querySelectorAll(` + jsString(selector) + `).length`
}

// lastBot is a page expression for the newest bot bubble.
const lastBot = `[...document.querySelectorAll(".msg.bot")].pop()`

// answerView is what the test reads of a sectioned answer.
type answerView struct {
	Title       string
	Steps       []string
	Order       []string // the bubble's parts, in order
	Summaries   []string // the folded sections' labels
	Open        int      // folded sections open
	StepVisible bool     // the first step is within the message list and the window
	All         string   // the bubble's whole text, folded parts included
	Feedback    []string // the verdict buttons, ":off" when disabled
	FitsWidth   bool     // nothing wider than the window
}

// readAnswer reads the newest bot bubble.
func (p *browserPage) readAnswer() answerView {
	p.t.Helper()
	var v answerView
	p.run(`(() => {
		const m = `+lastBot+`;
		const list = document.querySelector("#messages").getBoundingClientRect();
		const li = m.querySelector(".steps li")?.getBoundingClientRect();
		return {
			Title: m.querySelector(".title")?.textContent ?? "",
			Steps: [...m.querySelectorAll(".steps li")].map(x => x.textContent),
			Order: [...m.children].map(c => c.className || c.tagName.toLowerCase()),
			Summaries: [...m.querySelectorAll("details > summary")].map(x => x.textContent),
			Open: [...m.querySelectorAll("details")].filter(d => d.open).length,
			StepVisible: !!li && li.top >= list.top && li.bottom <= list.bottom && li.bottom <= window.innerHeight,
			All: m.textContent,
			Feedback: [...m.querySelectorAll(".feedback button")].map(b => b.textContent + (b.disabled ? ":off" : "")),
			FitsWidth: document.documentElement.scrollWidth <= window.innerWidth,
		};
	})()`, &v)
	return v
}

// TestWebChatInChromium drives the chat page with the offline engine
// behind the handoff gate and tesseract, on a desktop and on a phone:
// a long answer in sections with the steps first and in view; the rest
// folded; sources once; 好的 acknowledged briefly; 没解决 giving the next
// cause with a way to a person, then a person; 解决了 thanked; a screenshot
// read; a broken picture answered politely; a card number masked in the
// merchant's bubble; a reload keeping the conversation; 新对话 starting
// afresh.
func TestWebChatInChromium(t *testing.T) {
	png := screenshot(t) // needs tesseract and a CJK font (fails in CI without)
	dir := t.TempDir()
	shot, broken := filepath.Join(dir, "screen.png"), filepath.Join(dir, "broken.png")
	if err := os.WriteFile(shot, png, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(broken, append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 200)...), 0o600); err != nil {
		t.Fatal(err)
	}
	base := bottest.Base(t)
	texts := base.Texts()
	p51, _ := base.ByCode("51")

	for _, size := range []struct {
		name          string
		width, height int
		mobile        bool
	}{
		{"desktop", 1280, 800, false},
		{"phone", 390, 844, true},
		// A small phone, or a phone with its keyboard up: a long answer is
		// taller than the list, and scrolling to its end would hide the steps.
		{"small phone", 360, 560, true},
	} {
		t.Run(size.name, func(t *testing.T) {
			ts, _ := handoffServer(t, agentToken, func(o *Options) { o.OCR = &ocr.Tesseract{} })
			p := openPage(t, ts.URL+"/", viewport(size.width, size.height, size.mobile))
			bots := func() int {
				var n int
				p.run(count(".msg.bot"), &n)
				return n
			}
			waitBots := func(what string, n int) {
				t.Helper()
				p.waitFor(what, count(".msg.bot")+` >= `+strconv.Itoa(n))
			}

			// 1. Some conversation first, so the list has scrolled, then a
			// long answer: its steps are in view, not its end.
			p.send("你好")
			waitBots("the greeting", 1)
			p.send("刷卡失败了怎么办")
			waitBots("the triage question", 2)
			p.send("顾客的卡刷了显示交易失败51")
			p.waitFor("the answer to 51", says(".msg.bot .title", "【应答码 51】余额不足"))
			a := p.readAnswer()
			if diff := cmp.Diff(p51.Steps, a.Steps); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
			if !a.StepVisible {
				t.Error("the first step is not in view after the answer")
			}
			steps, folded := indexOf(a.Order, "steps"), indexOf(a.Order, "sec meaning")
			if steps < 0 || folded < steps || indexOf(a.Order, "title") > steps {
				t.Errorf("parts %v: want the title, then the steps, then the folded sections", a.Order)
			}
			if want := []string{"这是什么意思", "找谁处理", "不要这样做"}; !cmp.Equal(a.Summaries, want) || a.Open != 0 {
				t.Errorf("folded sections %v (%d open), want %v all closed", a.Summaries, a.Open, want)
			}
			if n := strings.Count(a.All, "来源") + strings.Count(a.All, "参考："); n != 1 || strings.Count(a.All, p51.Sources[0]) != 1 {
				t.Errorf("sources shown %d times (%q %d times), want once:\n%s", n, p51.Sources[0], strings.Count(a.All, p51.Sources[0]), a.All)
			}
			if strings.Contains(a.All, "回复“解决了”") || !cmp.Equal(a.Feedback, []string{"解决了", "没解决"}) {
				t.Errorf("verdict: buttons %v; the text asks to type it: %v", a.Feedback, strings.Contains(a.All, "回复“解决了”"))
			}
			if !a.FitsWidth {
				t.Error("the page is wider than the window")
			}
			// A folded section opens with a tap and holds whom to call.
			var contact string
			p.run(`(() => { const d = `+lastBot+`.querySelector("details.contact"); d.querySelector("summary").click(); return d.open ? d.textContent : ""; })()`, &contact)
			if !strings.Contains(contact, "发卡银行") || !strings.Contains(contact, "51") {
				t.Errorf("whom to call, opened: %q", contact)
			}

			// 2. 好的 after the answer: a short acknowledgement.
			n := bots()
			p.send("好的")
			waitBots("the acknowledgement", n+1)
			var ack string
			p.run(lastBot+`.innerText.trim()`, &ack)
			if ack != texts.Get("zh", "ack") {
				t.Errorf("好的 answered %q, want %q", ack, texts.Get("zh", "ack"))
			}

			// 3. 没解决 under the 51 answer: the next cause and a way to a person.
			p.run(`[...document.querySelectorAll(".msg.bot")].find(m => m.querySelector(".title")?.textContent.includes("51"))
				.querySelector(".fb[data-solved=false]").click(), true`, nil)
			p.waitFor("the next cause", says(".msg.bot .before", texts.Get("zh", "next_cause")))
			// The verdict went as one, not as text to be read again.
			var verdicts, typed int
			p.run(`performance.getEntriesByType("resource").filter(e => e.name.endsWith("/v1/feedback")).length`, &verdicts)
			p.run(`performance.getEntriesByType("resource").filter(e => e.name.endsWith("/v1/messages")).length`, &typed)
			if verdicts != 1 || typed != 4 {
				t.Errorf("requests: %d to /v1/feedback, %d to /v1/messages; want the click as 1 verdict after 4 messages", verdicts, typed)
			}
			var after struct {
				Mine    string
				Old     []string
				Options []string
				Steps   int
			}
			p.run(`(() => ({
				Mine: [...document.querySelectorAll(".msg.user")].pop().textContent,
				Old: [...[...document.querySelectorAll(".msg.bot")].find(m => m.querySelector(".title")?.textContent.includes("51"))
					.querySelectorAll(".fb")].map(b => b.textContent + (b.disabled ? ":off" : "") + (b.classList.contains("chosen") ? ":chosen" : "")),
				Options: [...`+lastBot+`.querySelectorAll(".option")].map(b => b.textContent),
				Steps: `+lastBot+`.querySelectorAll(".steps li").length,
			}))()`, &after)
			want := struct {
				Mine    string
				Old     []string
				Options []string
				Steps   int
			}{"没解决", []string{"解决了:off", "没解决:off:chosen"}, []string{texts.Get("zh", "human_option")}, after.Steps}
			if diff := cmp.Diff(want, after); diff != "" || after.Steps == 0 {
				t.Errorf("after 没解决 (-want +got):\n%s", diff)
			}
			// …and 没解决 again: a person.
			p.run(lastBot+`.querySelector(".fb[data-solved=false]").click(), true`, nil)
			p.waitFor("the handoff", says(".msg.bot", "工单 #1"))
			var handoffFeedback int
			p.run(lastBot+`.querySelectorAll(".fb").length`, &handoffFeedback)
			if handoffFeedback != 0 {
				t.Error("the handoff asks whether it helped")
			}

			// 4. 新对话: a fresh page and a fresh conversation.
			var first string
			p.run(`localStorage.getItem("posbot.conversation_id")`, &first)
			p.run(`document.querySelector("#new").click(), true`, nil)
			var fresh struct {
				Msgs    int
				Empty   bool
				ID, Log any
			}
			p.run(`({Msgs: document.querySelectorAll(".msg").length, Empty: !!document.querySelector("#empty"),
				ID: localStorage.getItem("posbot.conversation_id"), Log: localStorage.getItem("posbot.history")})`, &fresh)
			if fresh.Msgs != 0 || !fresh.Empty || fresh.ID != nil || fresh.Log != nil {
				t.Errorf("after 新对话: %+v", fresh)
			}

			// 5. A card number typed: the merchant's bubble never shows it.
			const card = "卡号 6222 0212 3456 7890 128 刷不了"
			p.run(`(() => {
				window.sawCard = false;
				new MutationObserver(() => {
					const mine = [...document.querySelectorAll(".msg.user")].map(e => e.textContent).join("").replace(/\s/g, "");
					if (/62220212|02123456|34567890/.test(mine)) { window.sawCard = true; }
				}).observe(document.body, {subtree: true, childList: true, characterData: true});
				return true;
			})()`, nil)
			p.send(card)
			waitBots("the answer to the card message", 1)
			var mine string
			var saw bool
			p.run(`[...document.querySelectorAll(".msg.user")].pop().textContent`, &mine)
			p.run(`window.sawCard`, &saw)
			if want := redact.Redact(card).Text; mine != want || saw {
				t.Errorf("merchant's bubble %q (card seen: %v), want %q", mine, saw, want)
			}
			var second string
			p.run(`localStorage.getItem("posbot.conversation_id")`, &second)
			if second == "" || second == first {
				t.Errorf("新对话 kept conversation %q", first)
			}

			// 6. A screenshot of the screen: read, and answered as 51.
			n = bots()
			p.attachFile(shot)
			waitBots("the answer to the screenshot", n+1)
			p.waitFor("the 51 answer to the screenshot", lastBot+`.querySelector(".title")?.textContent === "【应答码 51】余额不足"`)
			var photo string
			p.run(`[...document.querySelectorAll(".msg.user")].pop().textContent`, &photo)
			if photo != "📷 截图" {
				t.Errorf("the screenshot's bubble says %q", photo)
			}
			if !p.readAnswer().StepVisible {
				t.Error("the screenshot answer's first step is not in view")
			}

			// 7. A reload keeps the conversation, with its last answer's buttons.
			var before string
			var msgs int
			p.run(`window.beforeReload = true, document.querySelector("#messages").innerText`, &before)
			p.run(count(".msg"), &msgs)
			if err := p.c.call(p.ctx, p.sess, "Page.reload", nil, nil); err != nil {
				t.Fatal(err)
			}
			p.waitFor("the reloaded page", `!window.beforeReload && document.readyState === "complete" && `+count(".msg")+` === `+strconv.Itoa(msgs))
			var reloaded, id string
			p.run(`document.querySelector("#messages").innerText`, &reloaded)
			p.run(`localStorage.getItem("posbot.conversation_id")`, &id)
			if reloaded != before || id != second {
				t.Errorf("after reload, conversation %q (was %q) shows:\n%s\nwas:\n%s", id, second, reloaded, before)
			}
			if got := p.readAnswer().Feedback; !cmp.Equal(got, []string{"解决了", "没解决"}) {
				t.Errorf("the last answer's buttons after reload: %v", got)
			}

			// 8. The same conversation goes on: 嗯 is acknowledged (it
			// needs the answer this conversation holds), 解决了 thanked.
			n = bots()
			p.send("嗯")
			waitBots("the acknowledgement after reload", n+1)
			p.run(lastBot+`.innerText.trim()`, &ack)
			if ack != texts.Get("zh", "ack") {
				t.Errorf("嗯 after reload answered %q: the conversation was not kept", ack)
			}
			p.run(`[...document.querySelectorAll(".msg.bot")].filter(m => m.querySelector(".fb:not(:disabled)")).pop()
				.querySelector(".fb[data-solved=true]").click(), true`, nil)
			p.waitFor("thanks for 解决了", says(".msg.bot", texts.Get("zh", "solved")))
			p.run(`[...document.querySelectorAll(".msg.user")].pop().textContent`, &mine)
			if mine != "解决了" {
				t.Errorf("the verdict's bubble says %q", mine)
			}

			// 9. A broken picture: a polite answer.
			n = bots()
			p.attachFile(broken)
			waitBots("the answer to the broken picture", n+1)
			var polite string
			p.run(lastBot+`.innerText.trim()`, &polite)
			if want := channelText("screens", "zh", "image_unreadable"); polite != want {
				t.Errorf("broken picture answered %q, want %q", polite, want)
			}
		})
	}
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}
