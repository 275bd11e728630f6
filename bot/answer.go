package bot

import (
	"context"
	"fmt"
	"regexp"
	"slices"
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
	d := Draft{Lang: in.lang, Question: in.all(), Code: st.Facts.Code, Intro: intro}
	if top.Kind == knowledge.KindCode {
		// A code's answer rests on the code alone: the model also gets the
		// passages about that code, so the same code asked in other words
		// makes the same draft (and cache key).
		d.Passages = append(d.Passages, top)
		for _, p := range e.cfg.Base.All() {
			if len(d.Passages) < maxSources && p.ID != top.ID && slices.Contains(p.Codes, top.Code) {
				d.Passages = append(d.Passages, p)
			}
		}
	} else {
		for _, h := range hits[:min(len(hits), maxSources)] {
			d.Passages = append(d.Passages, h.Passage)
		}
	}
	d.Template = Render(d)

	r := Reply{Answer: d.Template, Target: top.Target, Confidence: conf, Writer: "template"}
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

// Render writes the template answer for a draft: what it means, numbered
// steps, whom to call and what to have ready, what not to do, and sources.
func Render(d Draft) string {
	p := d.Passages[0]
	en := d.Lang == "en"
	title, summary, steps := p.Title, p.Summary, p.Steps
	if en && p.EN != nil {
		title, summary, steps = p.EN.Title, p.EN.Summary, p.EN.Steps
	}
	var b strings.Builder
	if d.Intro != "" {
		b.WriteString(d.Intro)
		b.WriteString("\n\n")
	}
	if p.Kind == knowledge.KindCode {
		fmt.Fprintf(&b, pick(en, "【应答码 %s】%s\n", "[Code %s] %s\n"), p.Code, strings.TrimSpace(strings.TrimPrefix(title, p.Code)))
	} else {
		fmt.Fprintf(&b, pick(en, "【%s】\n", "[%s]\n"), title)
	}
	fmt.Fprintf(&b, pick(en, "含义：%s\n\n", "What it means: %s\n\n"), summary)
	b.WriteString(pick(en, "请按顺序试试：\n", "Try these in order:\n"))
	for i, s := range steps {
		fmt.Fprintf(&b, "%d. %s\n", i+1, s)
	}
	b.WriteString("\n")
	b.WriteString(escalation(p, en, d.Code))
	if len(p.Avoid) > 0 && !en {
		b.WriteString("\n注意：")
		b.WriteString(strings.Join(p.Avoid, "；"))
		b.WriteString("\n")
	}
	if en {
		b.WriteString("\nNever ask for, key in or send the customer's PIN.\n")
	}
	if p.Notes != "" && !en {
		b.WriteString("\n说明：")
		b.WriteString(p.Notes)
		b.WriteString("\n")
	}
	if len(d.Passages) > 1 && p.Kind != knowledge.KindCode {
		var others []string
		for _, o := range d.Passages[1:] {
			if en && o.EN != nil {
				others = append(others, o.EN.Title)
			} else {
				others = append(others, o.Title)
			}
		}
		fmt.Fprintf(&b, pick(en, "\n其他可能：%s\n", "\nOther possibilities: %s\n"), strings.Join(others, pick(en, "；", "; ")))
	}
	if len(p.Sources) > 0 {
		fmt.Fprintf(&b, pick(en, "\n来源：%s\n", "\nSources: %s\n"), strings.Join(p.Sources, pick(en, "；", "; ")))
	}
	b.WriteString(pick(en, "\n回复“解决了”或“没解决”；需要真人请回复“转人工”。", "\nReply \"solved\" or \"not solved\"; type \"human\" to talk to a person."))
	return b.String()
}

// standardPrepare is what every call to the provider needs; a passage's own
// prepare list adds to it.
var standardPrepare = []string{"商户号", "终端号", "参考号", "交易时间", "金额", "交易时间和金额"}

func escalation(p knowledge.Passage, en bool, code string) string {
	var extra []string
	for _, item := range p.Prepare {
		if !slices.Contains(standardPrepare, item) && !slices.Contains(extra, item) {
			extra = append(extra, item)
		}
	}
	prepare := strings.Join(extra, pick(en, "、", ", "))
	switch p.Target {
	case knowledge.TargetBank:
		if en {
			s := "This payment did not go through: the customer was not charged and nothing will be paid out.\nWho to contact: this is on the card's side. The cardholder should call their issuing bank on the service number on the back of the card"
			if code != "" {
				s += fmt.Sprintf(" and quote code %s with the time and amount", code)
			}
			return s + ". Meanwhile offer another card or payment method.\n"
		}
		s := "这笔交易没有成功，顾客没有被扣款，这笔钱也不会到账。\n找谁处理：这是卡片/发卡行一侧的问题，请持卡人拨打银行卡背面的客服电话联系发卡银行"
		if code != "" {
			s += fmt.Sprintf("（告知应答码 %s、交易时间和金额）", code)
		}
		return s + "；同时可以请顾客换一张卡或换其他支付方式。\n"
	case knowledge.TargetProvider:
		if en {
			return "Who to contact: if it still fails, call your POS service provider (acquirer) with your merchant ID (商户号), terminal ID (终端号), reference number (参考号), time and amount ready.\n"
		}
		s := "找谁处理：按上面做仍不行，请联系POS服务商（收单机构），提前准备好商户号、终端号、参考号、交易时间和金额"
		if prepare != "" {
			s += "，以及" + prepare
		}
		return s + "。\n"
	default:
		if en {
			return "Who to contact: usually this is fixed at the counter; if it keeps happening, contact your POS service provider with your merchant ID and terminal ID.\n"
		}
		return "找谁处理：一般在柜台就能处理；如果反复出现，再联系POS服务商，准备好商户号和终端号。\n"
	}
}

// targetName says in words who handles a target.
func targetName(target string) string {
	switch target {
	case knowledge.TargetBank:
		return "发卡银行处理"
	case knowledge.TargetProvider:
		return "POS服务商处理"
	}
	return "柜台可处理"
}

func pick(en bool, zh, eng string) string {
	if en {
		return eng
	}
	return zh
}

// Summary is the case summary a human agent sees at handoff: facts,
// diagnosis so far and the last messages, all redacted.
func Summary(base *knowledge.Base, st State) string {
	var b strings.Builder
	if st.Facts.Code != "" {
		fmt.Fprintf(&b, "应答码：%s\n", st.Facts.Code)
	}
	switch st.Facts.Scope {
	case "all":
		b.WriteString("范围：所有卡都失败\n")
	case "one":
		b.WriteString("范围：只有一张卡失败\n")
	}
	if st.Facts.Signal == "none" {
		b.WriteString("网络：没有信号\n")
	}
	if st.Facts.NewTerminal {
		b.WriteString("终端：新机器\n")
	}
	if len(st.LastIDs) > 0 {
		if p, ok := base.ByID(st.LastIDs[0]); ok {
			fmt.Fprintf(&b, "初步判断：%s（%s）\n", p.Title, targetName(p.Target))
		}
	}
	var tried []string
	for _, id := range st.Tried {
		if p, ok := base.ByID(id); ok {
			tried = append(tried, p.Title)
		}
	}
	if len(tried) > 0 {
		fmt.Fprintf(&b, "已给出的排查：%s\n", strings.Join(tried, "；"))
	}
	var said []string
	for _, t := range st.History {
		if t.Role == "merchant" && t.Text != "" {
			said = append(said, t.Text)
		}
	}
	if n := len(said); n > 3 {
		said = said[n-3:]
	}
	if len(said) > 0 {
		fmt.Fprintf(&b, "商户说：%s\n", strings.Join(said, " / "))
	}
	return strings.TrimSpace(b.String())
}
