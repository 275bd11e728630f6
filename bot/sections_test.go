package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/bot/bottest"
)

// TestLayoutMatchesRender lays out every passage in both languages, with
// and without an intro and a code, and checks that each section is the text
// Render writes for it, in the same order: the page that shows sections
// shows what other channels send, no more and no less.
func TestLayoutMatchesRender(t *testing.T) {
	t.Parallel()
	base := bottest.Base(t)
	texts := base.Texts()
	all := base.All()
	for i, p := range all {
		for _, lang := range []string{"zh", "en"} {
			for _, intro := range []string{"", "先说一句"} {
				d := bot.Draft{Lang: lang, Code: p.Code, Intro: intro, Passages: all[i:min(i+3, len(all))]}
				name := fmt.Sprintf("%s/%s/intro=%t", p.ID, lang, intro != "")
				text := bot.Render(d, texts)
				s := bot.Layout(d, texts)

				// Each part, in the answer's order.
				var parts []string
				parts = append(parts, s.Before...)
				parts = append(parts, s.Title, s.Meaning)
				for n, step := range s.Steps {
					parts = append(parts, fmt.Sprintf("%d. %s", n+1, step))
				}
				if s.Outcome != "" {
					parts = append(parts, s.Outcome)
				}
				contact := s.Contact
				if lang == "en" { // "Who to contact: this is…" in the running text
					contact = strings.ToLower(contact[:1]) + contact[1:]
				}
				parts = append(parts, contact)
				parts = append(parts, s.Avoid...)
				if s.Notes != "" {
					parts = append(parts, s.Notes)
				}
				parts = append(parts, s.Others...)
				parts = append(parts, s.Sources...)
				at := 0
				for _, part := range parts {
					j := strings.Index(text[at:], part)
					if part == "" || j < 0 {
						t.Errorf("%s: section part %q not in the answer after byte %d:\n%s", name, part, at, text)
						break
					}
					at += j + len(part)
				}

				// Nothing of the passage is left out.
				if len(s.Steps) == 0 || s.Meaning == "" || s.Contact == "" {
					t.Errorf("%s: empty section in %+v", name, s)
				}
				if lang == "zh" && !slices.Equal(s.Avoid, p.Avoid) {
					t.Errorf("%s: avoid %q, want the passage's %q", name, s.Avoid, p.Avoid)
				}
				if !slices.Equal(s.Sources, p.Sources) {
					t.Errorf("%s: sources %q, want the passage's %q", name, s.Sources, p.Sources)
				}
			}
		}
	}
}

// TestReplySections: a diagnosis carries its sections, steps first among
// the parts a client shows; a card number typed puts the warning before
// them; replies that are not a diagnosis carry none; the JSON shape.
func TestReplySections(t *testing.T) {
	t.Parallel()
	e, base := newEngine(t)
	texts := base.Texts()
	p51, _ := base.ByCode("51")

	r := ask(t, e, "sections-1", "刷卡显示交易失败51")
	if r.Sections == nil {
		t.Fatalf("no sections in the answer to 51: %+v", r)
	}
	want := &bot.Sections{
		Title:   "【应答码 51】余额不足",
		Meaning: p51.Summary,
		Steps:   p51.Steps,
		Outcome: texts.Get("zh", "bank_declined"),
		Contact: texts.Get("zh", "bank_contact") + texts.Get("zh", "bank_contact_code", "51") + texts.Get("zh", "bank_contact_end"),
		Avoid:   p51.Avoid,
		Notes:   p51.Notes,
		Sources: p51.Sources,
	}
	if diff := cmp.Diff(want, r.Sections); diff != "" {
		t.Errorf("sections of 51 (-want +got):\n%s", diff)
	}
	if !strings.Contains(r.Answer, "1. "+p51.Steps[0]) || !strings.Contains(r.Answer, "找谁处理：") {
		t.Errorf("the answer text lost its steps or contact:\n%s", r.Answer)
	}

	// "好的", "嗯", "ok" after the answer: a short acknowledgement, no sections.
	for _, word := range []string{"好的", "嗯", "ok", "OK", "好"} {
		ack := ask(t, e, "sections-1", word)
		if ack.Sections != nil || ack.Answer != texts.Get("zh", "ack") {
			t.Errorf("%q = %q with sections %v, want %q and none", word, ack.Answer, ack.Sections, texts.Get("zh", "ack"))
		}
		if ack.Code != "51" {
			t.Errorf("%q: code %q, want the conversation's 51", word, ack.Code)
		}
	}
	if thanks := ask(t, e, "sections-1", "谢谢"); thanks.Answer != texts.Get("zh", "thanks") || thanks.Code != "51" {
		t.Errorf("thanks = %q with code %q, want %q and the conversation's 51", thanks.Answer, thanks.Code, texts.Get("zh", "thanks"))
	}
	// Once solved, "ok" is a courtesy too, not a question outside what posbot does.
	ask(t, e, "sections-1", "解决了")
	if ok := ask(t, e, "sections-1", "ok"); ok.Answer != texts.Get("zh", "thanks") {
		t.Errorf("ok after solved = %q, want %q", ok.Answer, texts.Get("zh", "thanks"))
	}
	// A question and a handoff carry none either.
	if q := ask(t, e, "sections-2", "刷卡失败了怎么办"); !q.Clarify || q.Sections != nil {
		t.Errorf("triage question: clarify %v, sections %v", q.Clarify, q.Sections)
	}
	if h := ask(t, e, "sections-3", "转人工"); !h.Handoff || h.Sections != nil {
		t.Errorf("handoff: handoff %v, sections %v", h.Handoff, h.Sections)
	}

	// Card data: the warning comes first, and nothing in the sections holds the number.
	c := ask(t, e, "sections-4", "卡号6222021234567890128 刷卡显示51")
	if c.Sections == nil || len(c.Sections.Before) == 0 || c.Sections.Before[0] != texts.Get("zh", "card_warning") {
		t.Fatalf("card warning not first in the sections: %+v", c.Sections)
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "1234567890") {
		t.Errorf("the reply holds the card number: %s", b)
	}

	// 没解决 through the intent: the next cause, said so before its sections.
	r2 := ask(t, e, "sections-5", "机器一直通讯失败")
	next, err := e.Handle(context.Background(), bot.Message{ConversationID: "sections-5", Channel: "test", Intent: bot.IntentUnsolved})
	if err != nil {
		t.Fatal(err)
	}
	if r2.Sections == nil || next.Sections == nil || len(next.Sections.Before) != 1 ||
		next.Sections.Before[0] != texts.Get("zh", "next_cause") || next.Sections.Title == r2.Sections.Title {
		t.Errorf("没解决: sections %+v after %+v, want the next cause with its intro", next.Sections, r2.Sections)
	}
}

// TestSectionsJSON pins the wire shape of sections: the names clients
// read, optional parts omitted, and no "sections" key on other replies.
func TestSectionsJSON(t *testing.T) {
	t.Parallel()
	r := bot.Reply{Answer: "a", Target: "bank", Sources: []bot.Source{}, Sections: &bot.Sections{
		Title: "【应答码 51】余额不足", Meaning: "余额不足", Steps: []string{"换卡"}, Contact: "发卡行",
	}}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"title": "【应答码 51】余额不足", "meaning": "余额不足", "steps": []any{"换卡"}, "contact": "发卡行"}
	if diff := cmp.Diff(want, got["sections"]); diff != "" {
		t.Errorf("sections JSON (-want +got):\n%s", diff)
	}
	full, _ := json.Marshal(bot.Sections{Before: []string{"x"}, Title: "t", Meaning: "m", Steps: []string{"s"}, Outcome: "o",
		Contact: "c", Avoid: []string{"a"}, Notes: "n", Others: []string{"x"}, Sources: []string{"src"}, After: []string{"y"}})
	var keys map[string]any
	_ = json.Unmarshal(full, &keys)
	wantKeys := []string{"after", "avoid", "before", "contact", "meaning", "notes", "others", "outcome", "sources", "steps", "title"}
	var gotKeys []string
	for k := range keys {
		gotKeys = append(gotKeys, k)
	}
	slices.Sort(gotKeys)
	if !slices.Equal(gotKeys, wantKeys) {
		t.Errorf("sections keys %v, want %v", gotKeys, wantKeys)
	}
	plain, _ := json.Marshal(bot.Reply{Answer: "好的", Target: "none", Sources: []bot.Source{}})
	if strings.Contains(string(plain), "sections") {
		t.Errorf("a reply without sections sends the key: %s", plain)
	}
}
