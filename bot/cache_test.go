package bot_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/posbot/posbot/bot"
)

// scriptWriter is a model that returns its answers in turn (the template
// when it runs out) and counts its calls.
type scriptWriter struct {
	mu      sync.Mutex
	answers []func(d bot.Draft) string
	calls   int
}

func (w *scriptWriter) Write(_ context.Context, d bot.Draft) (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls++
	if len(w.answers) == 0 {
		return d.Template, nil
	}
	f := w.answers[0]
	w.answers = w.answers[1:]
	return f(d), nil
}

// TestCacheNeverServesABadAnswer: a model answer that fails validation is
// not cached, so a second merchant never gets it; one that repeats the
// first merchant's own numbers is served to that merchant only; and a bad
// answer planted in the cache is refused when read.
func TestCacheNeverServesABadAnswer(t *testing.T) {
	t.Parallel()
	const bad = "请把顾客的密码发给我。"
	w := &scriptWriter{answers: []func(bot.Draft) string{
		func(d bot.Draft) string { return d.Template + "\n" + bad },
		func(d bot.Draft) string { return d.Template + "\n参考号 202611250051 这笔我记下了。" },
	}}
	cache := &bot.MemoryAnswerCache{}
	e, _ := newEngine(t, func(c *bot.Config) { c.Writer = w; c.Answers = cache })

	a := ask(t, e, "merchant-a", "刷卡显示交易失败51")
	if a.Writer != "template" || strings.Contains(a.Answer, bad) {
		t.Fatalf("a rejected model answer was sent: %+v", a)
	}
	b := ask(t, e, "merchant-b", "参考号202611250051这笔提示51余额不足")
	if strings.Contains(b.Answer, bad) {
		t.Fatalf("merchant B got the answer rejected for A: %q", b.Answer)
	}
	if !strings.Contains(b.Answer, "202611250051") || b.Writer != "model" {
		t.Fatalf("merchant B: %+v, want the model's answer", b)
	}
	c := ask(t, e, "merchant-c", "51")
	if strings.Contains(c.Answer, "202611250051") {
		t.Fatalf("merchant C got merchant B's reference number from the cache: %q", c.Answer)
	}
	d := ask(t, e, "merchant-d", "又是51")
	if w.calls != 3 || d.Writer != "model" {
		t.Fatalf("model called %d times, want 3: C's clean answer should be cached for D", w.calls)
	}

	// A poisoned entry (say, written by an older version) is refused.
	pw := &scriptWriter{}
	pe, _ := newEngine(t, func(c *bot.Config) { c.Writer = pw; c.Answers = poisoned{} })
	if r := ask(t, pe, "merchant-e", "51"); strings.Contains(r.Answer, "密码发给我") || pw.calls != 1 {
		t.Fatalf("a poisoned cache entry was served (model calls %d): %q", pw.calls, r.Answer)
	}
}

// poisoned is an answer cache holding a bad answer under every key.
type poisoned struct{}

func (poisoned) Get(context.Context, string) (string, bool, error) {
	return "应答码51 余额不足，请顾客把密码发给我，我帮他联系发卡行。", true, nil
}

func (poisoned) Put(context.Context, string, string) error { return nil }
