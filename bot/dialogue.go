package bot

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/retrieval"
	"github.com/posbot/posbot/understand"
)

// questionCandidates is the kind of an "is it A or B?" question.
const questionCandidates = "candidates"

// questionTriage is the kind of the triage question: one question whose
// options (knowledge/data/dialogue) split the likely causes when there is
// no code. Option order is part of the contract: "第二个" means option 2.
const questionTriage = "triage"

// weakConfidence is the floor of the weak-hit band: below MinConfidence but
// at or above it, the answer says it is not sure; below it (a message of
// generic failure words only scores 0) the engine asks. The eval set shows
// the gap: vague reports score 0, general questions 0.19–0.31.
const weakConfidence = 0.15

// Handoff triggers.
const (
	// maxUnsolved is how many 没解决 hand the conversation to a person.
	maxUnsolved = 2
	// maxUnsure is how many turns in a row without a confident diagnosis
	// hand the conversation to a person.
	maxUnsure = 3
)

// respond decides the reply to one message; a second question in it
// ("另外…", "顺便问下…") is named after the answer to the first.
func (e *Engine) respond(ctx context.Context, st *State, in input) (Reply, error) {
	r, err := e.respondOne(ctx, st, in)
	if err == nil {
		e.escalate(&r, in.rd)
	}
	if err != nil || in.rd.AlsoAt == 0 || r.Clarify || r.Handoff || len(r.Sources) == 0 {
		return r, err
	}
	second := in.rd.Text[in.rd.AlsoAt:]
	hits, conf, err := e.search(ctx, second, "", knowledge.Scan{})
	if err != nil || len(hits) == 0 || conf < e.cfg.MinConfidence || slices.ContainsFunc(r.Sources[:1], func(s Source) bool { return s.ID == hits[0].Passage.ID }) {
		return r, nil
	}
	p := hits[0].Passage
	title, summary := p.Title, p.Summary
	if in.lang == "en" && p.EN != nil {
		title, summary = p.EN.Title, p.EN.Summary
	}
	also := e.texts.Get(in.lang, "also", title, summary, title)
	r.Answer += "\n\n" + also
	if r.Sections != nil {
		r.Sections.After = append(r.Sections.After, also)
	}
	r.Options = append(r.Options, title)
	return r, nil
}

// escalate marks a diagnostic answer a person must also take: signs of
// fraud or a scam, the merchant's own account frozen, a customer charged
// although the sale failed. The bot still answers; a channel opens a ticket.
func (e *Engine) escalate(r *Reply, rd understand.Reading) {
	if r.Handoff || r.Clarify || len(r.Sources) == 0 {
		return
	}
	switch {
	case e.fraud(rd) && !rd.Prevention:
		// "客人问在我这刷卡会不会被盗刷": how to keep fraud away is answered,
		// with nothing for a person to follow up.
		r.Escalate, r.Reason = true, "fraud"
	case rd.FrozenAccount:
		r.Escalate, r.Reason = true, "frozen"
	case rd.Debited:
		r.Escalate, r.Reason = true, "debited"
	}
}

// respondOne decides the reply to one question. It is a switch over what
// the reader found in the message (in.rd) and what the conversation holds
// (st).
func (e *Engine) respondOne(ctx context.Context, st *State, in input) (r Reply, err error) {
	var ev retrieval.Evidence
	defer func() { r.Evidence = ev }()
	rd, lang := in.rd, in.lang
	all := rd.All()
	switch in.intent {
	case IntentSolved:
		if len(st.LastIDs) == 0 {
			return e.simple(lang, "thanks"), nil
		}
		return e.solved(ctx, st, in), nil
	case IntentUnsolved:
		if len(st.LastIDs) == 0 {
			return e.simple(lang, "thanks"), nil
		}
		return e.nextCause(ctx, st, in)
	case IntentHuman:
		return e.wantsHuman(ctx, st, in), nil
	}
	if rd.Switch && !rd.HasCode && len(st.LastIDs) > 0 {
		// "还有个事，昨天的钱没到账": another question. The last diagnosis,
		// and its code, do not carry over; what the merchant told stays.
		st.Facts.Code = ""
		st.LastIDs, st.Tried, st.Unsolved, st.Unsure = nil, nil, 0, 0
	}
	switch {
	case all == "":
		return e.clarify(st, lang, e.texts.Get(lang, "empty"), nil), nil
	case rd.Human:
		return e.wantsHuman(ctx, st, in), nil
	case !rd.HasCode && len(st.LastIDs) > 0 && rd.Unsolved:
		return e.nextCause(ctx, st, in)
	case rd.HasCode && rd.Code == st.Facts.Code && len(st.LastIDs) > 0 && (rd.Unsolved || rd.Still):
		// "还是96", "still getting 99": the code of the last answer again,
		// so its steps did not help. The code still decides the answer.
		return e.stillCode(ctx, st, in)
	case !rd.HasCode && len(st.LastIDs) > 0 && rd.Solved:
		return e.solved(ctx, st, in), nil
	case !rd.HasCode && rd.Ack && len(st.LastIDs) > 0:
		// "好的", "嗯", "ok" after an answer: not the answer again. The
		// reply is still about the conversation's code, as a handoff's is.
		r := e.simple(lang, "ack")
		r.Code = st.Facts.Code
		return r, nil
	case !rd.HasCode && rd.Ack && len(st.History) > 0:
		// "ok 👌" once the problem is over: a courtesy, not a question
		// outside what posbot does.
		return e.simple(lang, "thanks"), nil
	case !rd.HasCode && utf8.RuneCountInString(rd.Text) <= 12 && len(st.History) > 0 && (rd.Thanks || rd.Greeting):
		// Courtesies after an answer are not a new question.
		r := e.courtesy(rd, lang)
		r.Code = st.Facts.Code
		return r, nil
	case !rd.HasCode && utf8.RuneCountInString(rd.Text) <= 16 && rd.Solved && rd.Thanks:
		// "哈哈谢谢啊，问题解决了" even without an answer to attach it to.
		return e.simple(lang, "solved"), nil
	}

	if rd.CantDescribe && !rd.HasCode && rd.Image == "" && !e.quotes(rd) {
		// "说不清楚": a turn without a diagnosis; after a few a person takes over.
		return e.cantDescribe(st, lang), nil
	}
	if rd.OutOfScope && !rd.HasCode && rd.AlsoAt == 0 && st.Pending == nil {
		// 花呗, 外卖平台, 报税: another service; say what posbot helps with.
		return e.simple(lang, "out_of_scope"), nil
	}
	pending := st.Pending
	st.Pending = nil
	if !rd.HasCode && len(st.History) > 0 {
		// "他又仔细看了一下，是96": in a conversation, the code looked up.
		if code, ok := e.reader.Codes().Trailing(rd.Text); ok {
			rd.Code, rd.HasCode = code, true
		}
	}
	if rd.HasCode {
		if rd.Code != st.Facts.Code {
			st.Unsolved = 0 // a new diagnosis
		}
		st.Facts.Code = rd.Code
		return e.answerCode(ctx, st, in, rd.Code)
	}
	if st.Facts.Code != "" && pending == nil {
		// A follow-up in a conversation about a code ("那让顾客打哪个电话",
		// "签到了还是不行") is still about that code.
		return e.answerCode(ctx, st, in, st.Facts.Code)
	}
	if pending != nil {
		if ids := e.applyAnswer(st, pending, in); ids != nil {
			var hits []retrieval.Hit
			for _, id := range ids {
				if p, ok := e.cfg.Base.ByID(id); ok {
					hits = append(hits, retrieval.Hit{Passage: p, Score: 1})
				}
			}
			return e.answer(ctx, st, in, hits, 0.8, "")
		}
	}
	res, err := e.searchFull(ctx, all, "", rd.Scan)
	if err != nil {
		return Reply{}, err
	}
	hits, conf := res.Hits, res.Confidence
	ev = res.Evidence
	if rd.Image != "" && rd.Text != "" {
		// A question typed under a picture ("只退一半钱怎么操作" under a
		// sales slip): the picture's words may say nothing of it (a slip's
		// merchant name and numbers). When the typed words alone say more,
		// their best passage leads, before what the picture and the words
		// found together ("这是真的还是骗子" under a fee notice: the scam
		// passage, then the fee's).
		if tres, err := e.searchFull(ctx, rd.Text, "", rd.TextScan); err == nil && tres.Confidence > conf && len(tres.Hits) > 0 {
			top := tres.Hits[0]
			hits = append([]retrieval.Hit{top}, without(hits, top.Passage.ID)...)
			conf, ev = tres.Confidence, tres.Evidence
		}
	}
	if conf < e.cfg.MinConfidence && len(st.LastIDs) > 0 {
		// A follow-up ("刚查了明细，里面没有这笔") says little on its own:
		// read it together with what the merchant said before.
		if prev := lastMerchantText(st); prev != "" {
			h2, c2, err := e.search(ctx, prev+" "+all, "", knowledge.Scan{})
			if err != nil {
				return Reply{}, err
			}
			if c2 > conf {
				hits, conf = h2, c2
			}
		}
	}
	// The screen's own words, quoted, are the strongest evidence there is.
	var quoted []string
	if ids, _ := e.wordings.find(rd.Scan); len(ids) > 0 {
		quoted = ids
		hits = e.promote(hits, ids)
		conf = max(conf, quotedConfidence)
	}
	scope := rd.Scope
	if rd.Damaged {
		scope = "one" // a worn or demagnetised card is that card's problem
	}
	if !rd.Card {
		scope = "" // "别的行业都正常" is not about cards
	}
	hits = specificFirst(hits)
	hits = e.scopeFirst(hits, scope)
	if e.fraud(rd) {
		hits = e.safetyFirst(hits)
	}
	ongoing := len(st.LastIDs) > 0 && conf >= weakConfidence
	if rd.Still && len(hits) > 0 && slices.Contains(st.Tried, hits[0].Passage.ID) {
		// "还是通讯失败" after the answer about 通讯失败: its steps did not help.
		return e.nextCause(ctx, st, in)
	}
	if !rd.InDomain && !rd.Failure && !ongoing && pending == nil {
		if rd.ImageUnread && informativeRunes(e.generic(rd.Text)) < 3 {
			// A photo nothing could be read from, with "这个怎么弄" or
			// nothing: a question about the terminal; ask what the screen
			// says. ("帮我算算这桌多少钱" under a menu is not one.)
			return e.triage(st, lang), nil
		}
		if rd.Thanks || rd.Greeting {
			return e.courtesy(rd, lang), nil
		}
		return e.simple(lang, "out_of_scope"), nil
	}
	if len(quoted) == 2 && len(hits) > 1 && hits[0].Passage.ID == quoted[0] {
		// The wording belongs to two passages (38 and 75 both say 密码错误次数超限):
		// answer the first, name both, let the merchant pick.
		return e.candidates(ctx, st, in, hits, quoted, conf)
	}
	if st.Asked && pending != nil && len(quoted) == 0 && ev.Concepts == 0 && !ev.Display {
		// The answer to the triage question names nothing ("就是刷不了啊"):
		// words it shares with a passage are chance, so do not guess.
		hits, conf = nil, 0
	}
	// Evidence decides between answering and asking; the calibrated
	// probability that the answer is on the merchant's topic decides
	// between saying it plainly and saying it is not sure.
	sure := len(quoted) > 0 || retrieval.Calibrate(ev) >= e.cfg.SureAt
	if len(hits) > 0 && conf >= e.cfg.MinConfidence && sure {
		st.Unsure = 0
		return e.answer(ctx, st, in, hits, conf, "")
	}
	if len(hits) > 0 && conf >= e.cfg.MinConfidence {
		// Evidence, but not enough to be sure: the closest match, said so.
		// It is a turn without a confident diagnosis all the same.
		if st.Unsure++; st.Unsure >= maxUnsure {
			return e.handoff(st, lang, "", "unsure"), nil
		}
		return e.answer(ctx, st, in, hits, e.unsure(ev), e.texts.Get(lang, "uncertain"))
	}
	// Not sure: after a few such turns in a row a person takes over.
	if st.Unsure++; st.Unsure >= maxUnsure {
		return e.handoff(st, lang, "", "unsure"), nil
	}
	if len(hits) > 0 && conf >= weakConfidence {
		// Some evidence, not enough to be sure: say plainly what is known
		// rather than ask a triage question that does not fit a question
		// like "怀疑是网络问题的话该找谁".
		return e.answer(ctx, st, in, hits, conf, e.texts.Get(lang, "uncertain"))
	}
	if pending == nil && !st.Asked {
		return e.triage(st, lang), nil
	}
	// Asked already and still vague: say plainly what is known rather than ask again.
	if len(hits) == 0 {
		p, _ := e.cfg.Base.ByID(e.cfg.Base.Role("all_cards"))
		hits = []retrieval.Hit{{Passage: p}}
	}
	return e.answer(ctx, st, in, hits, conf, e.texts.Get(lang, "uncertain"))
}

// quotes reports whether the message quotes a screen wording ("看不懂，
// 显示DECLINED"): something to go on, though the merchant cannot explain it.
func (e *Engine) quotes(rd understand.Reading) bool {
	ids, _ := e.wordings.find(rd.Scan)
	return len(ids) > 0
}

// cantDescribe answers a merchant who cannot describe the problem: the
// triage question again, introduced as help, until a person takes over.
func (e *Engine) cantDescribe(st *State, lang string) Reply {
	if st.Unsure++; st.Unsure >= maxUnsure {
		return e.handoff(st, lang, "", "unsure")
	}
	r := e.triage(st, lang)
	r.Answer = e.texts.Get(lang, "cant_describe") + strings.TrimPrefix(r.Answer, e.texts.Get(lang, "triage_question"))
	return r
}

// wantsHuman hands the conversation to a person. "A0 签到了也不行 转人工":
// the agent gets the code too, and a complaint ("钱三天没到账，找你们负责人")
// its escalation target.
func (e *Engine) wantsHuman(ctx context.Context, st *State, in input) Reply {
	rd := in.rd
	if _, known := e.cfg.Base.ByCode(rd.Code); rd.HasCode && known {
		st.Facts.Code = rd.Code
	} else if len(st.LastIDs) == 0 && rd.All() != "" {
		if hits, conf, err := e.search(ctx, rd.All(), "", rd.Scan); err == nil && len(hits) > 0 && conf >= e.cfg.MinConfidence {
			st.LastIDs = []string{hits[0].Passage.ID}
		}
	}
	return e.handoff(st, in.lang, "", "asked")
}

// fraud reports signs of fraud or a scam in a message: cards tried one
// after another, a caller posing as the bank, a cash-out request.
func (e *Engine) fraud(rd understand.Reading) bool { return rd.Fraud || rd.Scam || rd.Insider }

// solved records that the steps worked and closes the diagnosis.
func (e *Engine) solved(ctx context.Context, st *State, in input) Reply {
	e.record(ctx, st, in.conv, true)
	r := e.simple(in.lang, "solved")
	r.Code = st.Facts.Code
	// The problem is over: a new message starts a new diagnosis.
	st.LastIDs, st.Tried, st.Unsolved, st.Unsure = nil, nil, 0, 0
	st.Facts = Facts{Language: st.Facts.Language}
	return r
}

// quotedConfidence is the confidence of an answer whose screen wording the
// merchant quoted.
const quotedConfidence = 0.8

// unsure is the confidence reported with an answer that says it is not
// sure: the calibrated probability scaled below the bar of a sure answer,
// so that clients and the evaluation see it as hedged.
func (e *Engine) unsure(ev retrieval.Evidence) float64 {
	p := retrieval.Calibrate(ev)
	return math.Round(p/e.cfg.SureAt*(e.cfg.MinConfidence-0.01)*1e4) / 1e4
}

// promote moves the passages ids to the front of hits, in order, adding
// them when search did not find them.
func (e *Engine) promote(hits []retrieval.Hit, ids []string) []retrieval.Hit {
	out := make([]retrieval.Hit, 0, len(ids)+len(hits))
	for _, id := range ids {
		i := slices.IndexFunc(hits, func(h retrieval.Hit) bool { return h.Passage.ID == id })
		if i >= 0 {
			out = append(out, hits[i])
			continue
		}
		if p, ok := e.cfg.Base.ByID(id); ok {
			out = append(out, retrieval.Hit{Passage: p, Score: 1})
		}
	}
	for i := range hits { // the rest, in order (by index: a hit is too large to copy for a look)
		if !slices.Contains(ids, hits[i].Passage.ID) {
			out = append(out, hits[i])
		}
	}
	return out
}

// candidates answers with the first of two passages the message fits
// equally, names both and offers them as options; the merchant's pick is
// read in context.
func (e *Engine) candidates(ctx context.Context, st *State, in input, hits []retrieval.Hit, ids []string, conf float64) (Reply, error) {
	var titles []string
	for _, id := range ids {
		if p, ok := e.cfg.Base.ByID(id); ok {
			title := p.Title
			if in.lang == "en" && p.EN != nil {
				title = p.EN.Title
			}
			titles = append(titles, title)
		}
	}
	intro := e.texts.Get(in.lang, "two_candidates")
	for i, t := range titles {
		intro += fmt.Sprintf("\n%d. %s", i+1, t)
	}
	intro += "\n" + e.texts.Get(in.lang, "two_candidates_pick")
	r, err := e.answer(ctx, st, in, hits, min(conf, e.cfg.MinConfidence-0.01), intro)
	r.Options = titles
	st.Pending = &Question{Kind: questionCandidates, Options: titles, IDs: ids}
	return r, err
}

// scopeFirst lets "only this card fails" overrule a terminal-side top answer
// (one the provider fixes): "就这一张卡读不出来，别的卡都好好的" is the card,
// not the terminal. An answer about the card or the counter already fits
// ("就她的卡碰一下不行，卡上没有闪付的标").
func (e *Engine) scopeFirst(hits []retrieval.Hit, scope string) []retrieval.Hit {
	if len(hits) == 0 {
		return hits
	}
	// A symptom with two sides: the side the scope says leads.
	for _, sp := range e.cfg.Base.ScopePairs() {
		from, to := sp.Card, sp.Terminal
		if scope == "one" {
			from, to = sp.Terminal, sp.Card
		}
		if scope == "" || hits[0].Passage.ID != from {
			continue
		}
		if p, ok := e.cfg.Base.ByID(to); ok {
			return append([]retrieval.Hit{{Passage: p, Score: hits[0].Score}}, without(hits, to)...)
		}
	}
	// Otherwise only "one card" overrules: "every card" is often said next
	// to the one-card facts ("别的顾客刷都没问题，就他的卡怎么刷都失败").
	id := e.cfg.Base.Role("one_card")
	if scope != "one" || hits[0].Passage.Target != knowledge.TargetProvider {
		return hits
	}
	p, ok := e.cfg.Base.ByID(id)
	if !ok {
		return hits
	}
	return append([]retrieval.Hit{{Passage: p, Score: hits[0].Score}}, without(hits, id)...)
}

// specificFirst puts a cause before the family overview that leads it by
// a hair: "月底最后一天刷卡特别慢，好多超时" is the bank's peak hours, which
// the overview of external causes only lists.
func specificFirst(hits []retrieval.Hit) []retrieval.Hit {
	if len(hits) < 2 || hits[0].Passage.Kind != knowledge.KindFamily || hits[0].Exact {
		return hits
	}
	for i, h := range hits[1:min(len(hits), 3)] {
		if h.Passage.Kind == knowledge.KindCause && h.Passage.Family == hits[0].Passage.Family && h.Score >= 0.95*hits[0].Score {
			out := append([]retrieval.Hit{h}, hits[:i+1]...)
			return append(out, hits[i+2:]...)
		}
	}
	return hits
}

// safetyFirst moves the best security or scam passage to the front: when a
// message carries signs of fraud, what to do about the fraud comes first and
// the rest stays as other possibilities.
func (e *Engine) safetyFirst(hits []retrieval.Hit) []retrieval.Hit {
	family, scam := e.cfg.Base.Role("security_family"), e.cfg.Base.Role("scam")
	return first(hits, func(p knowledge.Passage) bool { return p.Family == family || p.ID == scam })
}

// first moves the best hit matching ok to the front, keeping the others in order.
func first(hits []retrieval.Hit, ok func(knowledge.Passage) bool) []retrieval.Hit {
	for i, h := range hits {
		if ok(h.Passage) {
			if i == 0 {
				return hits
			}
			out := append([]retrieval.Hit{h}, hits[:i]...)
			return append(out, hits[i+1:]...)
		}
	}
	return hits
}

// lastMerchantText is the merchant's previous message, "" if none.
func lastMerchantText(st *State) string {
	for i := len(st.History) - 1; i >= 0; i-- {
		if st.History[i].Role == "merchant" {
			return st.History[i].Text
		}
	}
	return ""
}

// courtesy answers thanks and greetings.
func (e *Engine) courtesy(rd understand.Reading, lang string) Reply {
	if rd.Thanks {
		return e.simple(lang, "thanks")
	}
	return e.simple(lang, "greeting")
}

func (e *Engine) search(ctx context.Context, text, code string, sc knowledge.Scan) ([]retrieval.Hit, float64, error) {
	res, err := e.searchFull(ctx, text, code, sc)
	return res.Hits, res.Confidence, err
}

// searchFull searches for text, with the code if any; sc is the lexicon's
// reading of text when the engine has it (the zero Scan otherwise), so that
// the searcher need not read it again.
func (e *Engine) searchFull(ctx context.Context, text, code string, sc knowledge.Scan) (retrieval.Result, error) {
	res, err := e.cfg.Searcher.Search(ctx, retrieval.Query{Text: text, Code: code, K: 5, Scan: sc})
	if err != nil {
		return retrieval.Result{}, fmt.Errorf("search: %w", err)
	}
	return res, nil
}

// applyAnswer reads a reply to a clarifying question and returns the passages
// it points to, best first, or nil when the message is not an answer.
func (e *Engine) applyAnswer(st *State, q *Question, in input) []string {
	rd := in.rd
	if q.Kind == questionCandidates {
		idx := slices.Index(q.Options, rd.Text)
		if idx < 0 {
			idx = e.reader.OptionIndex(rd.Text) - 1
		}
		if idx < 0 || idx >= len(q.IDs) {
			return nil
		}
		return append([]string{q.IDs[idx]}, without2(q.IDs, q.IDs[idx])...)
	}
	if q.Kind != questionTriage {
		return nil
	}
	options := e.cfg.Base.Triage()
	idx := slices.Index(q.Options, rd.Text)
	if idx < 0 {
		idx = e.reader.OptionIndex(rd.Text) - 1
	}
	if idx < 0 {
		fact := ""
		switch {
		case rd.Signal == "none":
			fact = "signal_none"
		case rd.Scope == "all":
			fact = "scope_all"
		case rd.Scope == "one":
			fact = "scope_one"
		case rd.TerminalKnown && rd.NewTerminal:
			fact = "terminal_new"
		}
		idx = slices.IndexFunc(options, func(o knowledge.TriageOption) bool { return fact != "" && o.Fact == fact })
	}
	if idx < 0 || idx >= len(options) {
		return nil
	}
	st.Facts.apply(options[idx].Fact)
	return options[idx].Passages
}

// apply records the fact a triage option stands for.
func (f *Facts) apply(fact string) {
	switch fact {
	case "scope_all":
		f.Scope = "all"
	case "scope_one":
		f.Scope = "one"
	case "signal_none":
		f.Signal = "none"
	case "terminal_new":
		f.NewTerminal = true
	}
}

// triage asks the triage question, once per conversation.
func (e *Engine) triage(st *State, lang string) Reply {
	var opts []string
	for _, o := range e.cfg.Base.Triage() {
		opts = append(opts, o.Text[lang])
	}
	st.Asked = true
	return e.clarify(st, lang, e.texts.Get(lang, "triage_question"), opts)
}

// clarify asks a question; with options, they are numbered and remembered
// so that the answer ("2", "第二个", the option's words) is read in context.
func (e *Engine) clarify(st *State, lang, question string, options []string) Reply {
	if options != nil {
		st.Pending = &Question{Kind: questionTriage, Options: options}
	}
	text := question
	for i, o := range options {
		text += fmt.Sprintf("\n%d. %s", i+1, o)
	}
	return Reply{Answer: text, Target: knowledge.TargetNone, Clarify: true, Options: options, Writer: "template"}
}

// answerCode answers a message that carries a response code.
func (e *Engine) answerCode(ctx context.Context, st *State, in input, code string) (Reply, error) {
	hits, _, err := e.search(ctx, in.all(), code, in.rd.Scan)
	if err != nil {
		return Reply{}, err
	}
	if p, ok := e.cfg.Base.ByCode(code); ok {
		if e.fraud(in.rd) {
			// "好几张卡轮着刷，前面几张都报51": the fraud comes first, the code stays.
			hits = e.safetyFirst(hits)
		}
		r, err := e.answer(ctx, st, in, hits, 1, "")
		r.Code = code
		r.CodeMeaning = meaning(p, in.lang)
		return r, err
	}
	// Not a UnionPay code: the brand's own, or a number we do not know.
	p, _ := e.cfg.Base.ByID(e.cfg.Base.Role("private_code"))
	hits = append([]retrieval.Hit{{Passage: p, Score: 1}}, without(hits, p.ID)...)
	// UnionPay's field-39 codes we do not know are two digits; anything else
	// (E102, C0, 1001) is the POS brand's own.
	private := len(code) != 2 || code[0] < '0' || code[0] > '9'
	key := "unknown_code"
	if private {
		key = "unknown_code_private"
	}
	r, err := e.answer(ctx, st, in, hits, 0.5, e.texts.Get(in.lang, key, code))
	if private {
		// Not a response code: the field carries UnionPay codes only; the
		// answer names the brand code.
		st.Facts.Code = ""
		return r, err
	}
	r.Code = code
	r.CodeMeaning = e.texts.Get(in.lang, "unknown_code_meaning")
	return r, err
}

// nextCause handles 没解决: record it and offer the next most likely cause,
// or hand over to a person after the second 没解决 or when no cause is left.
func (e *Engine) nextCause(ctx context.Context, st *State, in input) (Reply, error) {
	e.record(ctx, st, in.conv, false)
	st.Unsolved++
	if st.Unsolved >= maxUnsolved {
		return e.handoff(st, in.lang, e.texts.Get(in.lang, "steps_did_not_help"), "not_solved"), nil
	}
	for _, id := range st.LastIDs {
		if slices.Contains(st.Tried, id) {
			continue
		}
		p, ok := e.cfg.Base.ByID(id)
		if !ok {
			continue
		}
		hits := []retrieval.Hit{{Passage: p, Score: 1}}
		r, err := e.answerNext(ctx, st, in, hits)
		r.Options = []string{e.texts.Get(in.lang, "human_option")}
		r.Code = st.Facts.Code
		return r, err
	}
	return e.handoff(st, in.lang, e.texts.Get(in.lang, "steps_did_not_help"), "not_solved"), nil
}

// stillCode answers the code of the last answer sent again: the steps did
// not help; the second time a person takes over.
func (e *Engine) stillCode(ctx context.Context, st *State, in input) (Reply, error) {
	e.record(ctx, st, in.conv, false)
	if st.Unsolved++; st.Unsolved >= maxUnsolved {
		return e.handoff(st, in.lang, e.texts.Get(in.lang, "steps_did_not_help"), "not_solved"), nil
	}
	r, err := e.answerCode(ctx, st, in, st.Facts.Code)
	if err != nil {
		return r, err
	}
	still := e.texts.Get(in.lang, "still_code", st.Facts.Code)
	r.Answer = still + "\n\n" + r.Answer
	if r.Sections != nil {
		r.Sections.Before = append([]string{still}, r.Sections.Before...)
	}
	r.Options = append(r.Options, e.texts.Get(in.lang, "human_option"))
	return r, nil
}

func (e *Engine) answerNext(ctx context.Context, st *State, in input, hits []retrieval.Hit) (Reply, error) {
	last := st.LastIDs
	r, err := e.answer(ctx, st, in, hits, 0.6, e.texts.Get(in.lang, "next_cause"))
	st.LastIDs = last // keep the ranking of the original diagnosis
	return r, err
}

func (e *Engine) record(ctx context.Context, st *State, conv string, solved bool) {
	if len(st.Tried) == 0 {
		return
	}
	o := Outcome{ConversationID: conv, PassageID: st.Tried[len(st.Tried)-1], Solved: solved, At: e.cfg.Now()}
	if err := e.cfg.Outcomes.Record(ctx, o); err != nil {
		e.log.WarnContext(ctx, "outcome not recorded", "passage_id", o.PassageID, "err", err)
	}
}

// handoff acknowledges that a person takes over. The case summary for the
// agent (Summary) is not part of the merchant's reply: channels open a
// ticket with it.
func (e *Engine) handoff(st *State, lang, why, reason string) Reply {
	st.Handoff = true
	st.Pending = nil
	target := knowledge.TargetNone
	diagnosis := ""
	p, ok := e.cfg.Base.ByCode(st.Facts.Code)
	if !ok && len(st.LastIDs) > 0 {
		p, ok = e.cfg.Base.ByID(st.LastIDs[0])
	}
	if ok {
		target = p.Target
		title := p.Title
		if lang == "en" && p.EN != nil {
			title = p.EN.Title
		}
		diagnosis = e.texts.Get(lang, "handoff_diagnosis", title, e.texts.Get(lang, "target_"+p.Target))
	}
	sep := pick(lang == "en", "", " ")
	text := e.texts.Get(lang, "handoff")
	if why != "" {
		text = why + sep + text
	}
	if diagnosis != "" {
		text += "\n" + diagnosis
	}
	return Reply{Answer: strings.TrimSpace(text), Target: target, Handoff: true, Reason: reason, Code: st.Facts.Code, Writer: "template"}
}

func without2(ids []string, id string) []string {
	out := make([]string, 0, len(ids))
	for _, x := range ids {
		if x != id {
			out = append(out, x)
		}
	}
	return out
}

func without(hits []retrieval.Hit, id string) []retrieval.Hit {
	out := make([]retrieval.Hit, 0, len(hits))
	for i := range hits {
		if hits[i].Passage.ID != id {
			out = append(out, hits[i])
		}
	}
	return out
}

func meaning(p knowledge.Passage, lang string) string {
	if lang == "en" && p.EN != nil {
		return p.EN.Summary
	}
	return p.Summary
}
