package eval

import (
	"context"
	"fmt"
	"github.com/posbot/posbot/retrieval"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/posbot/posbot/bot"
)

// Answerer is what the harness drives: the conversation engine, or a fake.
type Answerer interface {
	// Handle answers one message of a conversation.
	Handle(ctx context.Context, m bot.Message) (bot.Reply, error)
}

// Check names, as they appear in CaseResult.Checks and Failure.Check.
const (
	CheckCode    = "code"
	CheckTarget  = "target"
	CheckClarify = "clarify"
	CheckHandoff = "handoff"
	// CheckEscalate and CheckReason are declared by cases that say whether
	// a person must take the case and why.
	CheckEscalate = "escalate"
	CheckReason   = "reason"
	CheckMention  = "mention"
	CheckForbid   = "forbid"
	// CheckError marks a case whose Answerer call failed.
	CheckError = "error"
)

// excerptRunes bounds the answer excerpt kept per case.
const excerptRunes = 200

// Failure is one failed check of a case: what was expected and what came back.
type Failure struct {
	Check    string `json:"check"`
	Expected string `json:"expected"`
	Got      string `json:"got"`
}

// CaseResult is the scored outcome of one case.
type CaseResult struct {
	ID     string `json:"id"`
	Query  string `json:"query"`
	Kind   string `json:"kind,omitempty"`
	Family string `json:"family,omitempty"`
	// Dataset is the case's dataset (Case.Dataset).
	Dataset string `json:"dataset,omitempty"`
	// Pass is true when every declared check holds and the Answerer did not fail.
	Pass bool `json:"pass"`
	// Checks maps each check the case declares to whether it held.
	Checks map[string]bool `json:"checks"`
	// Failures lists failed checks in a fixed order (code, target, clarify,
	// handoff, mention, forbid) or a single "error" failure.
	Failures []Failure `json:"failures,omitempty"`
	// Error is the Answerer's error text, "" when it answered.
	Error string `json:"error,omitempty"`

	// MentionGroups and MentionHits count the case's mention groups and the
	// groups the answer satisfied.
	MentionGroups int `json:"mention_groups"`
	MentionHits   int `json:"mention_hits"`
	// ForbidHits are the forbidden strings found in the answer.
	ForbidHits []string `json:"forbid_hits,omitempty"`
	// ExpectIDs is copied from the case; Rank is the 1-based rank of the first
	// source in ExpectIDs, 0 when none is (or the case has no ExpectIDs).
	ExpectIDs []string `json:"expect_ids,omitempty"`
	Rank      int      `json:"rank,omitempty"`
	// ExpectTarget is the case's acceptable targets, nil when not checked.
	ExpectTarget []string `json:"expect_target,omitempty"`

	// What came back.
	Answer     string       `json:"answer"`
	Code       string       `json:"code"`
	Target     string       `json:"target"`
	Clarify    bool         `json:"clarify"`
	Handoff    bool         `json:"handoff"`
	Escalate   bool         `json:"escalate,omitempty"`
	Reason     string       `json:"reason,omitempty"`
	TopSources []bot.Source `json:"top_sources,omitempty"`
	// Evidence is what the reply's confidence rests on.
	Evidence *retrieval.Evidence `json:"evidence,omitempty"`
	// RelatedTopic is true when the top source is an expected passage or
	// about the same topic as one (RunOptions.Related).
	RelatedTopic bool `json:"related_topic,omitempty"`
	// Confidence is the reply's retrieval confidence in [0,1].
	Confidence float64 `json:"confidence"`
	// LatencyMS is the latency of the final message only.
	LatencyMS float64 `json:"latency_ms"`
}

// RunOptions tunes Run; the zero value is usable.
type RunOptions struct {
	// Progress, if set, is called after each case with the number done.
	Progress func(done, total int)
	// CaseTimeout bounds one case (all its turns); 0 means 2 minutes.
	CaseTimeout time.Duration
	// Now is the clock for latency; nil means time.Now.
	Now func() time.Time
	// Related reports whether two passages are about one topic (see
	// Related); nil means only a passage is related to itself.
	Related func(a, b string) bool
}

// Run sends every case to a in its own conversation "eval:<variant>:<id>" and
// scores the final replies. Answerer errors become failed cases; Run itself
// fails only when ctx is done, with ctx's error.
func Run(ctx context.Context, a Answerer, variant string, cases []Case, opts RunOptions) ([]CaseResult, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.CaseTimeout <= 0 {
		opts.CaseTimeout = 2 * time.Minute
	}
	results := make([]CaseResult, 0, len(cases))
	for i, c := range cases {
		if err := ctx.Err(); err != nil {
			return results, fmt.Errorf("run %s: %w", variant, err)
		}
		reply, latency, err := runCase(ctx, a, variant, c, opts)
		if err != nil && ctx.Err() != nil {
			return results, fmt.Errorf("run %s: case %s: %w", variant, c.ID, ctx.Err())
		}
		r := score(c, reply, err)
		r.LatencyMS = latency
		if reply.Evidence.Matched > 0 {
			ev := reply.Evidence
			r.Evidence = &ev
		}
		if len(r.TopSources) > 0 && opts.Related != nil {
			top := r.TopSources[0].ID
			r.RelatedTopic = slices.ContainsFunc(r.ExpectIDs, func(id string) bool { return opts.Related(top, id) })
		}
		results = append(results, r)
		if opts.Progress != nil {
			opts.Progress(i+1, len(cases))
		}
	}
	return results, nil
}

// runCase sends the turns, then the query, timing the query alone.
func runCase(ctx context.Context, a Answerer, variant string, c Case, opts RunOptions) (bot.Reply, float64, error) {
	ctx, cancel := context.WithTimeout(ctx, opts.CaseTimeout)
	defer cancel()
	conv := "eval:" + variant + ":" + c.ID
	for i, t := range c.Turns {
		if _, err := a.Handle(ctx, bot.Message{ConversationID: conv, Channel: "eval", Text: t}); err != nil {
			return bot.Reply{}, 0, fmt.Errorf("turn %d: %w", i+1, err)
		}
	}
	start := opts.Now()
	reply, err := a.Handle(ctx, bot.Message{ConversationID: conv, Channel: "eval", Text: c.Query, ImageText: c.ImageText})
	latency := float64(opts.Now().Sub(start)) / float64(time.Millisecond)
	return reply, latency, err
}

// score checks one reply against its case; a non-nil err fails the case and
// every check it declares.
func score(c Case, reply bot.Reply, err error) CaseResult {
	r := CaseResult{
		ID:            c.ID,
		Query:         c.Query,
		Kind:          c.Kind,
		Family:        c.Family,
		Dataset:       c.Dataset,
		Checks:        map[string]bool{},
		MentionGroups: len(c.Mention),
		ExpectIDs:     c.ExpectIDs,
		ExpectTarget:  c.Target,
		Answer:        excerpt(reply.Answer, excerptRunes),
		Code:          reply.Code,
		Target:        reply.Target,
		Clarify:       reply.Clarify,
		Handoff:       reply.Handoff,
		Escalate:      reply.Escalate,
		Reason:        reply.Reason,
		TopSources:    slices.Clone(reply.Sources[:min(3, len(reply.Sources))]),
		Confidence:    reply.Confidence,
	}
	if len(c.ExpectIDs) > 0 {
		for i, s := range reply.Sources {
			if slices.Contains(c.ExpectIDs, s.ID) {
				r.Rank = i + 1
				break
			}
		}
	}
	if err != nil {
		for _, name := range declaredChecks(c) {
			r.Checks[name] = false
		}
		r.Error = err.Error()
		r.Failures = []Failure{{Check: CheckError, Expected: "a reply", Got: r.Error}}
		return r
	}
	fail := func(check, expected, got string) {
		r.Checks[check] = false
		r.Failures = append(r.Failures, Failure{Check: check, Expected: expected, Got: got})
	}
	if c.Code != nil {
		r.Checks[CheckCode] = *c.Code == strings.TrimSpace(reply.Code)
		if !r.Checks[CheckCode] {
			fail(CheckCode, quoteOrNone(*c.Code), quoteOrNone(reply.Code))
		}
	}
	if c.Target != nil {
		r.Checks[CheckTarget] = slices.Contains(c.Target, reply.Target)
		if !r.Checks[CheckTarget] {
			fail(CheckTarget, strings.Join(c.Target, " | "), quoteOrNone(reply.Target))
		}
	}
	if c.Clarify != nil {
		r.Checks[CheckClarify] = *c.Clarify == reply.Clarify
		if !r.Checks[CheckClarify] {
			fail(CheckClarify, fmt.Sprint(*c.Clarify), fmt.Sprint(reply.Clarify))
		}
	}
	r.Checks[CheckHandoff] = c.Handoff == reply.Handoff
	if !r.Checks[CheckHandoff] {
		fail(CheckHandoff, fmt.Sprint(c.Handoff), fmt.Sprint(reply.Handoff))
	}
	if c.Escalate != nil {
		r.Checks[CheckEscalate] = *c.Escalate == reply.Escalate
		if !r.Checks[CheckEscalate] {
			fail(CheckEscalate, fmt.Sprint(*c.Escalate), fmt.Sprint(reply.Escalate))
		}
	}
	if c.Reason != "" {
		r.Checks[CheckReason] = c.Reason == reply.Reason
		if !r.Checks[CheckReason] {
			fail(CheckReason, quoteOrNone(c.Reason), quoteOrNone(reply.Reason))
		}
	}
	answer := foldASCII(reply.Answer)
	if len(c.Mention) > 0 {
		r.Checks[CheckMention] = true
		for _, group := range c.Mention {
			if slices.ContainsFunc(group, func(s string) bool { return strings.Contains(answer, foldASCII(s)) }) {
				r.MentionHits++
				continue
			}
			fail(CheckMention, "one of "+quoteAll(group), "none")
		}
	}
	if len(c.Forbid) > 0 {
		r.Checks[CheckForbid] = true
		for _, s := range c.Forbid {
			if strings.Contains(answer, foldASCII(s)) {
				r.ForbidHits = append(r.ForbidHits, s)
				fail(CheckForbid, "no "+quoteOrNone(s), "found "+quoteOrNone(s))
			}
		}
	}
	r.Pass = len(r.Failures) == 0
	return r
}

// declaredChecks lists the checks c declares; handoff is always declared.
func declaredChecks(c Case) []string {
	var names []string
	if c.Code != nil {
		names = append(names, CheckCode)
	}
	if c.Target != nil {
		names = append(names, CheckTarget)
	}
	if c.Clarify != nil {
		names = append(names, CheckClarify)
	}
	names = append(names, CheckHandoff)
	if c.Escalate != nil {
		names = append(names, CheckEscalate)
	}
	if c.Reason != "" {
		names = append(names, CheckReason)
	}
	if len(c.Mention) > 0 {
		names = append(names, CheckMention)
	}
	if len(c.Forbid) > 0 {
		names = append(names, CheckForbid)
	}
	return names
}

// foldASCII lower-cases ASCII letters only: the checks are case-insensitive
// for Latin text while leaving other scripts byte-for-byte.
func foldASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

// excerpt collapses whitespace in s and cuts it to at most n runes, ending
// with "…" when cut.
func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	runes := []rune(s)
	return string(runes[:n-1]) + "…"
}

// quoteOrNone renders an expected or received string for a failure message.
func quoteOrNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return fmt.Sprintf("%q", s)
}

// quoteAll renders alternatives as "a" | "b".
func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, " | ")
}
