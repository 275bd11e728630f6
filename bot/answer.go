package bot

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/retrieval"
)

// maxSources is how many passages a reply cites.
const maxSources = 3

// answer builds a diagnostic reply on hits (best first): a template answer,
// or a model-written one when a Writer is configured and its output is valid.
func (e *Engine) answer(ctx context.Context, st *State, in input, hits []retrieval.Hit, conf float64, intro string) (Reply, error) {
	if len(hits) == 0 {
		return Reply{}, fmt.Errorf("answer: no passages")
	}
	top := hits[0].Passage
	d := Draft{Lang: in.lang, Question: in.all(), Code: st.Facts.Code, Intro: intro, Passages: make([]knowledge.Passage, 0, maxSources)}
	if top.Kind == knowledge.KindCode {
		// A code's answer rests on the code alone: the model also gets the
		// passages about that code, so the same code asked in other words
		// makes the same draft (and cache key).
		d.Passages = append(d.Passages, top)
		all := e.cfg.Base.All()
		for i := range all { // by index: a passage is too large to copy for a look
			if p := &all[i]; len(d.Passages) < maxSources && p.ID != top.ID && slices.Contains(p.Codes, top.Code) {
				d.Passages = append(d.Passages, *p)
			}
		}
	} else {
		for _, h := range hits[:min(len(hits), maxSources)] {
			d.Passages = append(d.Passages, h.Passage)
		}
	}
	d.Template = Render(d, e.texts)

	r := Reply{Answer: d.Template, Target: top.Target, Confidence: conf, Writer: "template", Sections: Layout(d, e.texts),
		Sources: make([]Source, 0, min(len(hits), maxSources))}
	for _, h := range hits[:min(len(hits), maxSources)] {
		r.Sources = append(r.Sources, Source{ID: h.Passage.ID, Title: h.Passage.Title, Score: h.Score})
	}
	if e.cfg.Writer != nil {
		if out, ok := e.modelAnswer(ctx, d); ok {
			r.Answer, r.Writer = out, "model"
		}
	}

	st.LastIDs = st.LastIDs[:0]
	for _, h := range hits {
		st.LastIDs = append(st.LastIDs, h.Passage.ID)
	}
	st.Tried = append(st.Tried, top.ID)
	return r, nil
}

// modelAnswer returns a validated model-written answer for d, from the
// answer cache when it holds one. ok is false when the template must be used.
// Only answers that pass Validate are cached, and only those that repeat
// nothing particular to this merchant's question (an amount, a reference
// number), since the key is shared by every merchant asking the same
// thing; a cached answer is validated again against the new draft before
// it is served.
func (e *Engine) modelAnswer(ctx context.Context, d Draft) (string, bool) {
	key := AnswerKey(d)
	if e.cfg.Answers != nil {
		out, cached, err := e.cfg.Answers.Get(ctx, key)
		switch {
		case err != nil:
			e.log.WarnContext(ctx, "answer cache unavailable", "err", err)
		case cached:
			err := Validate(out, d)
			if err == nil {
				return out, true
			}
			e.log.WarnContext(ctx, "cached model answer rejected", "err", err)
		}
	}
	out, err := e.cfg.Writer.Write(ctx, d)
	if err != nil {
		e.log.WarnContext(ctx, "model answer failed, using template", "err", err)
		return "", false
	}
	if err := Validate(out, d); err != nil {
		e.log.WarnContext(ctx, "model answer rejected, using template", "err", err)
		return "", false
	}
	if e.cfg.Answers != nil && !particular(out, d) {
		if err := e.cfg.Answers.Put(ctx, key, out); err != nil {
			e.log.WarnContext(ctx, "answer not cached", "err", err)
		}
	}
	return out, true
}

// particular reports whether an answer holds something the passages do
// not: a number of three or more digits (an amount, a reference or terminal
// number from the merchant's message, or one the model made up) or a code
// of letters and digits. Such an answer may be right for this merchant but
// not for the next one.
func particular(out string, d Draft) bool {
	var known strings.Builder
	for _, p := range d.Passages {
		known.WriteString(strings.ToLower(p.Text()))
		known.WriteString(strings.ToLower(strings.Join(p.Sources, " ")))
	}
	for _, tok := range specifics.FindAllString(strings.ToLower(out), -1) {
		if !strings.Contains(known.String(), tok) && tok != strings.ToLower(d.Code) {
			return true
		}
	}
	return false
}

// specifics are the tokens of an answer that may be particular to one merchant.
var specifics = regexp.MustCompile(`[0-9]{3,}|[a-z0-9]*[a-z][0-9][a-z0-9]*`)

// Render writes the template answer for a draft in the words of t: what it
// means, numbered steps, whom to call and what to have ready, what not to
// do, and sources. Layout gives the same parts apart.
func Render(d Draft, t knowledge.Texts) string {
	p := d.Passages[0]
	lang := d.Lang
	en := lang == "en"
	summary, steps := p.Summary, p.Steps
	if en && p.EN != nil {
		summary, steps = p.EN.Summary, p.EN.Steps
	}
	var b strings.Builder
	b.Grow(renderSize)
	if d.Intro != "" {
		b.WriteString(d.Intro)
		b.WriteString("\n\n")
	}
	b.WriteString(heading(p, lang, t))
	b.WriteString("\n")
	b.WriteString(t.Get(lang, "answer_meaning", summary))
	b.WriteString("\n\n")
	b.WriteString(t.Get(lang, "answer_steps"))
	b.WriteString("\n")
	for i, s := range steps {
		b.WriteString(strconv.Itoa(i + 1))
		b.WriteString(". ")
		b.WriteString(s)
		b.WriteByte('\n')
	}
	b.WriteString("\n")
	if outcome := outcome(p, lang, t); outcome != "" {
		b.WriteString(outcome + "\n")
	}
	b.WriteString(t.Get(lang, "answer_contact", contact(p, lang, d.Code, t)) + "\n")
	if len(p.Avoid) > 0 && !en {
		b.WriteString("\n")
		b.WriteString(t.Get(lang, "answer_avoid", strings.Join(p.Avoid, t.Get(lang, "list_separator"))))
		b.WriteString("\n")
	}
	if never := t.Get(lang, "answer_never_pin"); never != "" {
		b.WriteString("\n" + never + "\n")
	}
	if p.Notes != "" && !en {
		b.WriteString("\n")
		b.WriteString(t.Get(lang, "answer_notes", p.Notes))
		b.WriteString("\n")
	}
	if others := others(d, lang); len(others) > 0 {
		b.WriteString("\n")
		b.WriteString(t.Get(lang, "answer_others", strings.Join(others, t.Get(lang, "list_separator"))))
		b.WriteString("\n")
	}
	if len(p.Sources) > 0 {
		b.WriteString("\n")
		b.WriteString(t.Get(lang, "answer_sources", strings.Join(p.Sources, t.Get(lang, "list_separator"))))
		b.WriteString("\n")
	}
	b.WriteString("\n")
	b.WriteString(t.Get(lang, "answer_feedback"))
	return b.String()
}

// heading is the first line of an answer about p: the code and its
// meaning, or the passage's title.
func heading(p knowledge.Passage, lang string, t knowledge.Texts) string {
	title := p.Title
	if lang == "en" && p.EN != nil {
		title = p.EN.Title
	}
	if p.Kind == knowledge.KindCode {
		return t.Get(lang, "answer_code_title", p.Code, strings.TrimSpace(strings.TrimPrefix(title, p.Code)))
	}
	return t.Get(lang, "answer_title", title)
}

// others are the titles of the other passages of a draft that is not about
// a code: other possible causes.
func others(d Draft, lang string) []string {
	if len(d.Passages) < 2 || d.Passages[0].Kind == knowledge.KindCode {
		return nil
	}
	var titles []string
	for _, o := range d.Passages[1:] {
		if lang == "en" && o.EN != nil {
			titles = append(titles, o.EN.Title)
		} else {
			titles = append(titles, o.Title)
		}
	}
	return titles
}

// renderSize is room for a template answer (1.3 KB typical, 2.7 KB the
// longest in the evaluation sets), written without growing its buffer.
const renderSize = 3 << 10

// standardPrepare is what every call to the provider needs; a passage's own
// prepare list adds to it.
var standardPrepare = []string{"商户号", "终端号", "参考号", "交易时间", "金额", "交易时间和金额"}

// outcome says what became of a payment the bank declined; "" for a
// passage whose target is not the bank.
func outcome(p knowledge.Passage, lang string, t knowledge.Texts) string {
	if p.Target != knowledge.TargetBank {
		return ""
	}
	return t.Get(lang, "bank_declined")
}

// contact says whom to contact for a passage's target and what to have
// ready (without the "找谁处理：" label).
func contact(p knowledge.Passage, lang, code string, t knowledge.Texts) string {
	var extra []string
	for _, item := range p.Prepare {
		if !slices.Contains(standardPrepare, item) && !slices.Contains(extra, item) {
			extra = append(extra, item)
		}
	}
	switch p.Target {
	case knowledge.TargetBank:
		s := t.Get(lang, "bank_contact")
		if code != "" {
			s += t.Get(lang, "bank_contact_code", code)
		}
		return s + t.Get(lang, "bank_contact_end")
	case knowledge.TargetProvider:
		s := t.Get(lang, "provider_contact")
		if len(extra) > 0 && lang != "en" {
			s += t.Get(lang, "provider_contact_more", strings.Join(extra, t.Get(lang, "item_separator")))
		}
		return s + t.Get(lang, "provider_contact_end")
	default:
		return t.Get(lang, "none_contact")
	}
}

func pick(en bool, zh, eng string) string {
	if en {
		return eng
	}
	return zh
}

// Summary is the case summary a human agent sees at handoff, in lang
// (agents usually read Chinese): facts, diagnosis so far and the last
// messages, all redacted.
func Summary(base *knowledge.Base, st State, lang string) string {
	t := base.Texts()
	var lines []string
	if st.Facts.Code != "" {
		lines = append(lines, t.Get(lang, "summary_code", st.Facts.Code))
	}
	switch st.Facts.Scope {
	case "all":
		lines = append(lines, t.Get(lang, "summary_scope_all"))
	case "one":
		lines = append(lines, t.Get(lang, "summary_scope_one"))
	}
	if st.Facts.Signal == "none" {
		lines = append(lines, t.Get(lang, "summary_no_signal"))
	}
	if st.Facts.NewTerminal {
		lines = append(lines, t.Get(lang, "summary_new_terminal"))
	}
	if len(st.LastIDs) > 0 {
		if p, ok := base.ByID(st.LastIDs[0]); ok {
			lines = append(lines, t.Get(lang, "summary_diagnosis", p.Title, t.Get(lang, "target_"+p.Target)))
		}
	}
	var tried []string
	for _, id := range st.Tried {
		if p, ok := base.ByID(id); ok {
			tried = append(tried, p.Title)
		}
	}
	if len(tried) > 0 {
		lines = append(lines, t.Get(lang, "summary_tried", strings.Join(tried, t.Get(lang, "list_separator"))))
	}
	var said []string
	for _, turn := range st.History {
		if turn.Role == "merchant" && turn.Text != "" {
			said = append(said, turn.Text)
		}
	}
	if n := len(said); n > 3 {
		said = said[n-3:]
	}
	if len(said) > 0 {
		lines = append(lines, t.Get(lang, "summary_said", strings.Join(said, " / ")))
	}
	return strings.Join(lines, "\n")
}
