package bot

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/retrieval"
	"github.com/posbot/posbot/understand"
)

// The triage question: one question whose options split the likely causes —
// the card, the terminal's line, a new terminal — when there is no code.
// Option order is part of the contract: "第二个" means option 2.
const questionTriage = "triage"

var triageOptions = map[string][]string{
	"zh": {"所有卡都刷不了", "只有这一张卡不行", "机器没信号/连不上网", "新机器第一次用"},
	"en": {"Every card fails", "Only this one card fails", "No signal / cannot connect", "New terminal, first use"},
}

// triageFacts are the facts each triage option stands for, in option order,
// and the passage that answers it.
var triageFacts = []struct {
	apply func(*Facts)
	// passages answer the option, best first; 没解决 walks down the list.
	passages []string
}{
	{func(f *Facts) { f.Scope = "all" }, []string{"msg-all-cards-fail", "msg-comm-fail", "msg-signin-fail", "msg-mac-key", "hw-card-reader", "msg-terminal-unregistered"}},
	{func(f *Facts) { f.Scope = "one" }, []string{"msg-one-card-fail", "code-51", "msg-card-read-fail", "msg-expired-card", "msg-over-limit"}},
	{func(f *Facts) { f.Signal = "none" }, []string{"msg-comm-fail", "ext-weak-signal", "tech-bandwidth", "msg-signin-fail"}},
	{func(f *Facts) { f.NewTerminal = true }, []string{"msg-new-terminal", "msg-terminal-unregistered", "msg-signin-fail", "msg-param-download"}},
}

// weakConfidence is the floor of the weak-hit band: below MinConfidence but
// at or above it, the answer says it is not sure; below it (a message of
// generic failure words only scores 0) the engine asks. The eval set shows
// the gap: vague reports score 0, general questions 0.19–0.31.
const weakConfidence = 0.15

// ordinal matches a bare pick of an option: "2", "第二个", "选2", "2."
var ordinal = regexp.MustCompile(`^(选|选择)?(第)?([1-9]|[一二三四五])(个|项|种)?[.、。)]?$|^the (first|second|third|fourth)( one)?$`)

// damagedCard are signs of a physically damaged card.
var damagedCard = regexp.MustCompile(`磨花|磨损|芯片坏|卡坏了|卡片坏|消磁|磁条坏|卡折了|卡裂了|worn|scratched|demagneti`)

// failureWords are words that make a message a failure report even without
// any POS vocabulary ("怎么又失败了").
var failureWords = regexp.MustCompile(`失败|不行|不成功|没成功|没通过|投诉|没到账|又这样|怎么又|报错|咋回事|怎么回事|咋整|咋办|怎么办|唔得|搞唔掂|搞不定|整不明白|没反应|不好使|就没了|刷不|收不|付不|用不了|不能用|坏了|出错|报错|故障|按错|输错|点错|选错|弄错|搞错|收银|店员|问题|影响|异常|不稳|太慢|中断|没人|应急|怎么办|规范|竞争|政策|法规|市场|(?i)declined|failed|not working|printer|receipt|paper|swipe|chip|signal|terminal|card|pos\b`)

func (e *Engine) respond(ctx context.Context, st *State, in input) (Reply, error) {
	text, all, lang := in.text, in.all(), in.lang
	switch in.intent {
	case IntentSolved, IntentUnsolved:
		if len(st.LastIDs) == 0 {
			return simpleReply(thanksText(lang)), nil
		}
		if in.intent == IntentUnsolved {
			return e.nextCause(ctx, st, in)
		}
		return e.solved(ctx, st, in), nil
	}
	if all == "" && in.intent != IntentHuman {
		return e.clarify(st, lang, emptyQuestion(lang)), nil
	}
	code, hasCode := e.codes.Extract(all)
	if in.intent == IntentHuman || understand.WantsHuman(text) {
		// "A0 签到了也不行 转人工": the agent gets the code too, and a
		// complaint ("钱三天没到账，找你们负责人") its escalation target.
		if _, known := e.cfg.Base.ByCode(code); hasCode && known {
			st.Facts.Code = code
		} else if len(st.LastIDs) == 0 {
			if hits, conf, err := e.search(ctx, all, ""); err == nil && len(hits) > 0 && conf >= e.cfg.MinConfidence {
				st.LastIDs = []string{hits[0].Passage.ID}
			}
		}
		return e.handoff(st, lang, ""), nil
	}

	if !hasCode && len(st.LastIDs) > 0 {
		switch {
		case understand.Unsolved(text):
			return e.nextCause(ctx, st, in)
		case understand.Solved(text):
			return e.solved(ctx, st, in), nil
		}
	}

	if !hasCode && utf8.RuneCountInString(text) <= 12 && len(st.History) > 0 {
		// Courtesies after an answer are not a new question.
		if r, ok := courtesy(text, lang); ok {
			return r, nil
		}
	}
	if !hasCode && utf8.RuneCountInString(text) <= 16 && understand.Solved(text) && understand.Thanks(text) {
		// "哈哈谢谢啊，问题解决了" even without an answer to attach it to.
		return simpleReply(solvedText(lang)), nil
	}
	pending := st.Pending
	st.Pending = nil
	if hasCode {
		st.Facts.Code = code
		return e.answerCode(ctx, st, in, code)
	}
	if st.Facts.Code != "" && pending == nil {
		// A follow-up in a conversation about a code ("那让顾客打哪个电话",
		// "签到了还是不行") is still about that code.
		return e.answerCode(ctx, st, in, st.Facts.Code)
	}
	if pending != nil {
		if ids := e.applyAnswer(st, pending, text); ids != nil {
			var hits []retrieval.Hit
			for _, id := range ids {
				if p, ok := e.cfg.Base.ByID(id); ok {
					hits = append(hits, retrieval.Hit{Passage: p, Score: 1})
				}
			}
			return e.answer(ctx, st, in, hits, 0.8, "")
		}
	}
	hits, conf, err := e.search(ctx, all, "")
	if err != nil {
		return Reply{}, err
	}
	if conf < e.cfg.MinConfidence && len(st.LastIDs) > 0 {
		// A follow-up ("刚查了明细，里面没有这笔") says little on its own:
		// read it together with what the merchant said before.
		if prev := lastMerchantText(st); prev != "" {
			h2, c2, err := e.search(ctx, prev+" "+all, "")
			if err != nil {
				return Reply{}, err
			}
			if c2 > conf {
				hits, conf = h2, c2
			}
		}
	}
	hits = displayFirst(hits, all)
	scope := understand.ScopeAnswer(all)
	if damagedCard.MatchString(all) {
		scope = "one" // a worn or demagnetised card is that card's problem
	}
	if !strings.Contains(all, "卡") && !strings.Contains(all, "card") {
		scope = "" // "别的行业都正常" is not about cards
	}
	hits = e.scopeFirst(hits, scope)
	if retrieval.FraudCue(all) {
		hits = safetyFirst(hits)
	}
	ongoing := len(st.LastIDs) > 0 && conf >= weakConfidence
	if !understand.InDomain(all) && !failureWords.MatchString(all) && !ongoing {
		if r, ok := courtesy(text, lang); ok {
			return r, nil
		}
		return simpleReply(outOfScopeText(lang)), nil
	}
	if len(hits) > 0 && conf >= e.cfg.MinConfidence {
		return e.answer(ctx, st, in, hits, conf, "")
	}
	if len(hits) > 0 && conf >= weakConfidence {
		// Some evidence, not enough to be sure: say plainly what is known
		// rather than ask a triage question that does not fit a question
		// like "怀疑是网络问题的话该找谁".
		return e.answer(ctx, st, in, hits, conf, uncertainText(lang))
	}
	if pending == nil && !st.Asked {
		return e.clarify(st, lang, triageQuestion(lang)), nil
	}
	// Asked already and still vague: say plainly what is known rather than ask again.
	if len(hits) == 0 {
		p, _ := e.cfg.Base.ByID("msg-all-cards-fail")
		hits = []retrieval.Hit{{Passage: p}}
	}
	return e.answer(ctx, st, in, hits, conf, uncertainText(lang))
}

// solved records that the steps worked and closes the diagnosis.
func (e *Engine) solved(ctx context.Context, st *State, in input) Reply {
	e.record(ctx, st, in.conv, true)
	r := simpleReply(solvedText(in.lang))
	r.Code = st.Facts.Code
	// The problem is over: a new message starts a new diagnosis.
	st.LastIDs, st.Tried = nil, nil
	st.Facts = Facts{Language: st.Facts.Language}
	return r
}

// displayFirst moves to the front the best hit whose screen wording the
// merchant quoted ("屏幕一直提示请插卡"): the screen's own words are the
// strongest evidence there is.
func displayFirst(hits []retrieval.Hit, text string) []retrieval.Hit {
	return first(hits, func(p knowledge.Passage) bool {
		for _, d := range p.Display {
			if utf8.RuneCountInString(d) >= 3 && strings.Contains(text, strings.ToLower(d)) {
				return true
			}
		}
		return false
	})
}

// scopeFirst lets "only this card fails" overrule a terminal-side top answer:
// "就这一张卡读不出来，别的卡都好好的" is the card, not the terminal.
func (e *Engine) scopeFirst(hits []retrieval.Hit, scope string) []retrieval.Hit {
	if len(hits) == 0 {
		return hits
	}
	// Only "one card" overrules: "every card" is often said next to the
	// one-card facts ("别的顾客刷都没问题，就他的卡怎么刷都失败").
	const id = "msg-one-card-fail"
	if scope != "one" || hits[0].Passage.Target == knowledge.TargetBank {
		return hits
	}
	p, ok := e.cfg.Base.ByID(id)
	if !ok {
		return hits
	}
	return append([]retrieval.Hit{{Passage: p, Score: hits[0].Score}}, without(hits, id)...)
}

// safetyFirst moves the best security or scam passage to the front: when a
// message carries signs of fraud, what to do about the fraud comes first and
// the rest stays as other possibilities.
func safetyFirst(hits []retrieval.Hit) []retrieval.Hit {
	return first(hits, func(p knowledge.Passage) bool { return p.Family == "security" || p.ID == "msg-scam" })
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
func courtesy(text, lang string) (Reply, bool) {
	switch {
	case understand.Thanks(text):
		return simpleReply(thanksText(lang)), true
	case understand.Greeting(text):
		return simpleReply(greetingText(lang).text), true
	}
	return Reply{}, false
}

func (e *Engine) search(ctx context.Context, text, code string) ([]retrieval.Hit, float64, error) {
	res, err := e.cfg.Searcher.Search(ctx, retrieval.Query{Text: text, Code: code, K: 5})
	if err != nil {
		return nil, 0, fmt.Errorf("search: %w", err)
	}
	return res.Hits, res.Confidence, nil
}

// applyAnswer reads a reply to a clarifying question and returns the passages
// it points to, best first, or nil when the message is not an answer.
func (e *Engine) applyAnswer(st *State, q *Question, text string) []string {
	if q.Kind != questionTriage {
		return nil
	}
	idx := slices.Index(q.Options, text)
	if idx < 0 && ordinal.MatchString(text) {
		idx = understand.OptionIndex(text) - 1
	}
	if idx < 0 {
		switch {
		case understand.SignalAnswer(text) == "none":
			idx = 2
		case understand.ScopeAnswer(text) == "all":
			idx = 0
		case understand.ScopeAnswer(text) == "one":
			idx = 1
		default:
			if isNew, known := understand.NewTerminalAnswer(text); known && isNew {
				idx = 3
			}
		}
	}
	if idx < 0 || idx >= len(triageFacts) {
		return nil
	}
	triageFacts[idx].apply(&st.Facts)
	return triageFacts[idx].passages
}

func (e *Engine) clarify(st *State, lang string, q clarifyText) Reply {
	if q.options != nil {
		st.Pending = &Question{Kind: questionTriage, Options: q.options}
		st.Asked = true
	}
	text := q.text
	for i, o := range q.options {
		text += fmt.Sprintf("\n%d. %s", i+1, o)
	}
	return Reply{Answer: text, Target: knowledge.TargetNone, Clarify: true, Options: q.options, Writer: "template"}
}

// answerCode answers a message that carries a response code.
func (e *Engine) answerCode(ctx context.Context, st *State, in input, code string) (Reply, error) {
	hits, _, err := e.search(ctx, in.all(), code)
	if err != nil {
		return Reply{}, err
	}
	if p, ok := e.cfg.Base.ByCode(code); ok {
		if retrieval.FraudCue(in.all()) {
			// "好几张卡轮着刷，前面几张都报51": the fraud comes first, the code stays.
			hits = safetyFirst(hits)
		}
		r, err := e.answer(ctx, st, in, hits, 1, "")
		r.Code = code
		r.CodeMeaning = meaning(p, in.lang)
		return r, err
	}
	// Not a UnionPay code: the brand's own, or a number we do not know.
	p, _ := e.cfg.Base.ByID("msg-private-code")
	hits = append([]retrieval.Hit{{Passage: p, Score: 1}}, without(hits, p.ID)...)
	// UnionPay's field-39 codes we do not know are two digits; anything else
	// (E102, C0, 1001) is the POS brand's own.
	private := len(code) != 2 || code[0] < '0' || code[0] > '9'
	intro := unknownCodeText(in.lang, code, private)
	r, err := e.answer(ctx, st, in, hits, 0.5, intro)
	if private {
		// Not a response code: the field carries UnionPay codes only; the
		// answer names the brand code.
		st.Facts.Code = ""
		return r, err
	}
	r.Code = code
	r.CodeMeaning = unknownCodeMeaning(in.lang)
	return r, err
}

// nextCause handles 没解决: record it and offer the next most likely cause,
// or hand over to a person when there is none left.
func (e *Engine) nextCause(ctx context.Context, st *State, in input) (Reply, error) {
	e.record(ctx, st, in.conv, false)
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
		r.Options = []string{humanOption(in.lang)}
		r.Code = st.Facts.Code
		return r, err
	}
	return e.handoff(st, in.lang, stepsDidNotHelp(in.lang)), nil
}

func (e *Engine) answerNext(ctx context.Context, st *State, in input, hits []retrieval.Hit) (Reply, error) {
	last := st.LastIDs
	r, err := e.answer(ctx, st, in, hits, 0.6, nextCauseText(in.lang))
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

// handoff acknowledges a request for a person and summarises the case for the agent.
func (e *Engine) handoff(st *State, lang, why string) Reply {
	st.Handoff = true
	st.Pending = nil
	target := knowledge.TargetNone
	if p, ok := e.cfg.Base.ByCode(st.Facts.Code); ok {
		target = p.Target
	} else if len(st.LastIDs) > 0 {
		if p, ok := e.cfg.Base.ByID(st.LastIDs[0]); ok {
			target = p.Target
		}
	}
	return Reply{Answer: handoffText(lang, why, Summary(e.cfg.Base, *st)), Target: target, Handoff: true, Code: st.Facts.Code, Writer: "template"}
}

func without(hits []retrieval.Hit, id string) []retrieval.Hit {
	out := make([]retrieval.Hit, 0, len(hits))
	for _, h := range hits {
		if h.Passage.ID != id {
			out = append(out, h)
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
