package eval

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/posbot/posbot/bot"
)

const fixturePath = "testdata/fixture/cases.jsonl"

// canned is one fake reply and how long the fake "takes" to produce it.
type canned struct {
	reply bot.Reply
	delay time.Duration
}

// fixtureReplies answers every query of the fixture dataset; "boom" is
// missing on purpose so the fake fails it.
var fixtureReplies = map[string]canned{
	"POS显示交易失败 51": {delay: 10 * time.Millisecond, reply: bot.Reply{
		Answer: "交易失败 51：持卡人余额不足 (insufficient BALANCE)。请让持卡人联系发卡行。",
		Code:   "51", Target: "bank", Confidence: 1,
		Sources: []bot.Source{{ID: "kb-51", Title: "51", Score: 0.9}, {ID: "kb-05", Score: 0.5}, {ID: "kb-61", Score: 0.4}, {ID: "kb-x", Score: 0.1}},
	}},
	"交易失败 05": {delay: 20 * time.Millisecond, reply: bot.Reply{
		// Confident, and about the wrong code: a confident wrong topic.
		Answer: "51 表示余额不足。", Code: "51", Target: "bank", Confidence: 1,
		Sources: []bot.Source{{ID: "kb-51", Score: 0.8}, {ID: "kb-05", Score: 0.7}},
	}},
	"刷卡一直失败": {delay: 30 * time.Millisecond, reply: bot.Reply{
		// Wrong top source, but hedged: below ConfidentAt.
		Answer: "请重启终端。", Target: "none", Confidence: 0.3,
		Sources: []bot.Source{{ID: "kb-a"}, {ID: "kb-b"}, {ID: "kb-c"}, {ID: "kb-zz"}},
	}},
	"机器坏了":  {delay: 40 * time.Millisecond, reply: bot.Reply{Answer: "请重启。", Code: "05", Target: "provider"}},
	"我要找人工": {delay: 50 * time.Millisecond, reply: bot.Reply{Answer: "好的。", Target: "none"}},
	"怎么退货退款": {delay: 60 * time.Millisecond, reply: bot.Reply{
		// The script tag checks that reports escape answers.
		Answer: "Please process the REFUND in the back office. <script>undefinedEvalFn()</script>", Target: "provider",
	}},
	"卡被拒了怎么办":    {delay: 70 * time.Millisecond, reply: bot.Reply{Answer: "请把卡背面的 CVV 发给我。", Target: "bank"}},
	"今天天气怎么样":    {delay: 80 * time.Millisecond, reply: bot.Reply{Answer: "我只能回答 POS 问题。", Target: "none", Confidence: 0.5}}, // no source
	"你好":         {delay: 90 * time.Millisecond, reply: bot.Reply{Answer: "你好！", Code: "14", Target: "none"}},
	"我的POS机刷不了卡": {delay: time.Second, reply: bot.Reply{Answer: "屏幕上显示什么？", Clarify: true}},
	"显示交易失败":     {delay: time.Second, reply: bot.Reply{Answer: "有代码吗？", Clarify: true}},
	"代码是 05":     {delay: 100 * time.Millisecond, reply: bot.Reply{Answer: "05 表示发卡行拒绝。", Code: "05", Target: "bank"}},
}

// fakeClock is a manual clock the fake Answerer advances.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fakeAnswerer replies from a map keyed by query and records what it got.
type fakeAnswerer struct {
	replies map[string]canned
	clock   *fakeClock

	mu   sync.Mutex
	seen []bot.Message
}

func newFake() *fakeAnswerer {
	return &fakeAnswerer{replies: fixtureReplies, clock: &fakeClock{t: time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)}}
}

func (f *fakeAnswerer) Handle(_ context.Context, m bot.Message) (bot.Reply, error) {
	f.mu.Lock()
	f.seen = append(f.seen, m)
	f.mu.Unlock()
	c, ok := f.replies[m.Text]
	if !ok {
		return bot.Reply{}, errors.New("fake: no canned reply")
	}
	f.clock.advance(c.delay)
	return c.reply, nil
}

func (f *fakeAnswerer) messages() []bot.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.seen)
}

var _ Answerer = (*fakeAnswerer)(nil)

func loadFixture(t *testing.T) []Case {
	t.Helper()
	cases, err := LoadFile(fixturePath)
	if err != nil {
		t.Fatalf("LoadFile: %v", err)
	}
	return cases
}

func runFixture(t *testing.T, variant string) ([]CaseResult, *fakeAnswerer) {
	t.Helper()
	f := newFake()
	results, err := Run(context.Background(), f, variant, loadFixture(t), RunOptions{Now: f.clock.Now})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return results, f
}

func TestRunScoresFixture(t *testing.T) {
	t.Parallel()
	results, _ := runFixture(t, "hybrid")

	failed := map[string][]string{}
	for _, r := range results {
		var checks []string
		for _, f := range r.Failures {
			checks = append(checks, f.Check)
		}
		failed[r.ID] = checks
		if r.Pass != (len(checks) == 0) {
			t.Errorf("%s: Pass = %v with failures %v", r.ID, r.Pass, checks)
		}
	}
	want := map[string][]string{
		"ok":                    nil,
		"bad-code":              {CheckCode},
		"bad-target":            {CheckTarget},
		"bad-clarify":           {CheckClarify},
		"bad-handoff":           {CheckHandoff},
		"bad-mention":           {CheckMention},
		"bad-forbid":            {CheckForbid},
		"no-code-expected":      nil,
		"no-code-expected-fail": {CheckCode},
		"multi":                 nil,
		"broken":                {CheckError},
	}
	if diff := cmp.Diff(want, failed); diff != "" {
		t.Errorf("failed checks per case (-want +got):\n%s", diff)
	}
}

func TestRunFailureDetails(t *testing.T) {
	t.Parallel()
	results, _ := runFixture(t, "hybrid")
	byID := map[string]CaseResult{}
	for _, r := range results {
		byID[r.ID] = r
	}
	tests := []struct {
		id   string
		want []Failure
	}{
		{"bad-code", []Failure{{CheckCode, `"05"`, `"51"`}}},
		{"bad-target", []Failure{{CheckTarget, "bank | provider", `"none"`}}},
		{"bad-clarify", []Failure{{CheckClarify, "true", "false"}}},
		{"bad-handoff", []Failure{{CheckHandoff, "true", "false"}}},
		{"bad-mention", []Failure{{CheckMention, `one of "退款"`, "none"}}},
		{"bad-forbid", []Failure{{CheckForbid, `no "cvv"`, `found "cvv"`}}},
		{"no-code-expected-fail", []Failure{{CheckCode, "(none)", `"14"`}}},
		{"broken", []Failure{{CheckError, "a reply", "fake: no canned reply"}}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, byID[tt.id].Failures); diff != "" {
				t.Errorf("failures (-want +got):\n%s", diff)
			}
		})
	}
	ok := byID["ok"]
	if got := ok.TopSources; len(got) != 3 || got[0].ID != "kb-51" {
		t.Errorf("ok: TopSources = %v, want the first 3 sources", got)
	}
	if ok.Answer == "" || byID["broken"].Error == "" {
		t.Errorf("want an answer excerpt for ok and an error text for broken")
	}
}

func TestComputeMetrics(t *testing.T) {
	t.Parallel()
	results, _ := runFixture(t, "hybrid")
	got := Compute(results)
	want := Metrics{
		Cases: 11, Passed: 3, PassRate: 3.0 / 11, Errors: 1,
		// code: ok, no-code-expected, multi right; bad-code,
		// no-code-expected-fail, broken (error) wrong.
		Code:    Ratio{Hits: 3, Total: 6, Value: 0.5},
		Target:  Ratio{Hits: 1, Total: 2, Value: 0.5},
		Clarify: Ratio{Hits: 1, Total: 2, Value: 0.5},
		Handoff: Ratio{Hits: 9, Total: 11, Value: 9.0 / 11},
		Mention: Ratio{Hits: 3, Total: 4, Value: 0.75},
		// One of bad-forbid's two forbidden strings appears; ok's "CVV" does not.
		ForbidViolations: 1,
		// ranks: ok 1, bad-code 2, bad-target 4, no-code-expected none.
		RetrievalCases: 4, HitAt1: 0.25, HitAt3: 0.5, MRR: (1 + 0.5 + 0.25 + 0) / 4,
		// Final-message delays 10..100 ms for the 10 answered cases; the
		// multi-turn case's 1 s turns must not count.
		LatencyP50MS: 50, LatencyP95MS: 100, LatencyP99MS: 100,
		ByFamily: []Group{
			{"(none)", 5, 1, 0.2}, {"05", 2, 1, 0.5}, {"51", 2, 1, 0.5},
			{"network", 1, 0, 0}, {"refund", 1, 0, 0},
		},
		ByKind: []Group{
			{"card_data", 1, 0, 0}, {"code", 3, 1, 1.0 / 3}, {"handoff", 1, 0, 0},
			{"multi_turn", 1, 1, 1}, {"offtopic", 2, 1, 0.5}, {"symptom", 2, 0, 0}, {"vague", 1, 0, 0},
		},
		// Of the 4 cases with expect_ids only bad-code got a confident
		// answer (1.0) whose top source (kb-51) is not among them.
		ConfidentWrongTopic: Ratio{Hits: 1, Total: 4, Value: 0.25},
		ConfidentOffPassage: Ratio{Hits: 1, Total: 4, Value: 0.25},
		ByDataset:           []DatasetGroup{{Group: Group{"cases", 11, 3, 3.0 / 11}, ConfidentWrongTopic: Ratio{1, 4, 0.25}}},
		// ok expects bank and got it; bad-target accepts two targets.
		Targets: TargetMatrix{
			Expected: TargetLabels, Got: []string{"bank", "provider", "none", "other"},
			Counts: [][]int{{1, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}}, MultiTarget: 1,
		},
		// Confidence 0 for six replies, 0.3 for bad-target, 0.5 for
		// no-code-expected, 1 for ok and bad-code; broken has no reply.
		Confidence: []ConfidenceBin{
			{0, 0.1, 1, 5}, {0.1, 0.2, 0, 0}, {0.2, 0.3, 0, 0}, {0.3, 0.4, 0, 1}, {0.4, 0.5, 0, 0},
			{0.5, 0.6, 1, 0}, {0.6, 0.7, 0, 0}, {0.7, 0.8, 0, 0}, {0.8, 0.9, 0, 0}, {0.9, 1, 1, 1},
		},
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
		t.Errorf("Compute (-want +got):\n%s", diff)
	}
}

func TestRunSendsTurnsFirstInOneConversation(t *testing.T) {
	t.Parallel()
	_, f := runFixture(t, "lexical")
	var got []bot.Message
	for _, m := range f.messages() {
		if m.ConversationID == "eval:lexical:multi" {
			got = append(got, m)
		}
	}
	want := []bot.Message{
		{ConversationID: "eval:lexical:multi", Channel: "eval", Text: "我的POS机刷不了卡"},
		{ConversationID: "eval:lexical:multi", Channel: "eval", Text: "显示交易失败"},
		{ConversationID: "eval:lexical:multi", Channel: "eval", Text: "代码是 05"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("messages of the multi-turn case (-want +got):\n%s", diff)
	}
	// Every case gets its own conversation.
	convs := map[string]bool{}
	for _, m := range f.messages() {
		convs[m.ConversationID] = true
	}
	if len(convs) != 11 {
		t.Errorf("%d conversations, want 11 (one per case)", len(convs))
	}
}

func TestRunStopsWhenContextDone(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, newFake(), "hybrid", loadFixture(t), RunOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run with a cancelled context: err = %v, want context.Canceled", err)
	}
}

func TestScoreIsCaseInsensitiveForASCIIOnly(t *testing.T) {
	t.Parallel()
	c := Case{ID: "x", Query: "q", Mention: [][]string{{"Issuing Bank"}}, Forbid: []string{"PIN"}}
	r := score(c, bot.Reply{Answer: "call the ISSUING bank; never share your pin"}, nil)
	if r.Checks[CheckMention] != true || r.Checks[CheckForbid] != false || len(r.ForbidHits) != 1 {
		t.Errorf("checks = %v, forbid hits = %v; want mention ok and forbid violated", r.Checks, r.ForbidHits)
	}
	if got := foldASCII("ÀBCÉ 交易 XYZ"); got != "ÀbcÉ 交易 xyz" {
		t.Errorf("foldASCII = %q", got)
	}
}

func TestExcerpt(t *testing.T) {
	t.Parallel()
	long := ""
	for range 300 {
		long += "交"
	}
	got := excerpt(long, 200)
	if n := len([]rune(got)); n != 200 || got[len(got)-len("…"):] != "…" {
		t.Errorf("excerpt of 300 runes: %d runes %q…, want 200 ending in …", n, got[:12])
	}
	if got := excerpt("a \n\t b", 200); got != "a b" {
		t.Errorf("excerpt collapses whitespace: got %q", got)
	}
}

func TestPercentile(t *testing.T) {
	t.Parallel()
	xs := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, tt := range []struct{ p, want float64 }{{50, 5}, {95, 10}, {99, 10}, {10, 1}} {
		if got := percentile(xs, tt.p); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("p%v = %v, want %v", tt.p, got, tt.want)
		}
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("p50 of none = %v, want 0", got)
	}
}

const secondPath = "testdata/fixture/second.jsonl"

// TestComputeByDatasetAndTargets runs two dataset files: groups keep the
// files' order, and the target matrix counts both.
func TestComputeByDatasetAndTargets(t *testing.T) {
	t.Parallel()
	cases, _, err := loadDatasets([]string{fixturePath, secondPath}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := newFake()
	results, err := Run(context.Background(), f, "hybrid", cases, RunOptions{Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	m := Compute(results)
	want := []DatasetGroup{
		{Group: Group{"cases", 11, 3, 3.0 / 11}, ConfidentWrongTopic: Ratio{1, 4, 0.25}},
		// s-ok passes with the right topic; s-wrong-topic passes its target
		// check yet confidently names code 51; s-wrong-target fails.
		{Group: Group{"second", 3, 2, 2.0 / 3}, ConfidentWrongTopic: Ratio{1, 2, 0.5}},
	}
	if diff := cmp.Diff(want, m.ByDataset, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
		t.Errorf("ByDataset (-want +got):\n%s", diff)
	}
	if m.ConfidentWrongTopic != (Ratio{2, 6, 2.0 / 6}) {
		t.Errorf("ConfidentWrongTopic = %+v, want 2/6", m.ConfidentWrongTopic)
	}
	// bank → bank: ok, s-ok, s-wrong-topic; none → provider: s-wrong-target.
	wantCounts := [][]int{{3, 0, 0, 0}, {0, 0, 0, 0}, {0, 1, 0, 0}}
	if diff := cmp.Diff(wantCounts, m.Targets.Counts); diff != "" || m.Targets.Total() != 4 || m.Targets.MultiTarget != 1 {
		t.Errorf("target matrix (-want +got):\n%s total %d, multi %d", diff, m.Targets.Total(), m.Targets.MultiTarget)
	}
}

func TestScoreEscalateAndReason(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	tests := []struct {
		name  string
		c     Case
		reply bot.Reply
		want  []Failure
	}{
		{"undeclared", Case{ID: "a"}, bot.Reply{Escalate: true, Reason: "fraud"}, nil},
		{"escalates", Case{ID: "b", Escalate: &yes, Reason: "fraud"}, bot.Reply{Escalate: true, Reason: "fraud"}, nil},
		{"does not escalate", Case{ID: "c", Escalate: &yes, Reason: "debited"}, bot.Reply{},
			[]Failure{{CheckEscalate, "true", "false"}, {CheckReason, `"debited"`, "(none)"}}},
		{"escalates wrongly", Case{ID: "d", Escalate: &no}, bot.Reply{Escalate: true, Reason: "frozen"},
			[]Failure{{CheckEscalate, "false", "true"}}},
		{"wrong reason", Case{ID: "e", Handoff: true, Reason: "not_solved"}, bot.Reply{Handoff: true, Reason: "asked"},
			[]Failure{{CheckReason, `"not_solved"`, `"asked"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := score(tt.c, tt.reply, nil)
			if diff := cmp.Diff(tt.want, r.Failures); diff != "" {
				t.Errorf("failures (-want +got):\n%s", diff)
			}
			if r.Pass != (len(tt.want) == 0) {
				t.Errorf("Pass = %v", r.Pass)
			}
		})
	}
	m := Compute([]CaseResult{score(tests[1].c, tests[1].reply, nil), score(tests[2].c, tests[2].reply, nil)})
	if m.Escalate != (Ratio{1, 2, 0.5}) || m.Reason != (Ratio{1, 2, 0.5}) {
		t.Errorf("escalate %+v, reason %+v", m.Escalate, m.Reason)
	}
}
