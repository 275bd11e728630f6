package eval

import (
	"github.com/posbot/posbot/knowledge"
	"testing"

	"github.com/posbot/posbot/bot"
)

func TestConfidentWrongTopic(t *testing.T) {
	t.Parallel()
	src := func(ids ...string) []bot.Source {
		var out []bot.Source
		for _, id := range ids {
			out = append(out, bot.Source{ID: id})
		}
		return out
	}
	expect := []string{"code-51", "msg-one-card-fail"}
	tests := []struct {
		name           string
		r              CaseResult
		counted, wrong bool
	}{
		{"no expect_ids: not counted", CaseResult{TopSources: src("code-05"), Confidence: 1}, false, false},
		{"right topic", CaseResult{ExpectIDs: expect, TopSources: src("code-51"), Confidence: 1}, true, false},
		{"right topic, second expected id", CaseResult{ExpectIDs: expect, TopSources: src("msg-one-card-fail", "code-05"), Confidence: 0.9}, true, false},
		{"expected id only second", CaseResult{ExpectIDs: expect, TopSources: src("code-05", "code-51"), Confidence: 0.9}, true, true},
		{"wrong topic at the bar", CaseResult{ExpectIDs: expect, TopSources: src("code-05"), Confidence: ConfidentAt}, true, true},
		{"wrong topic, hedged", CaseResult{ExpectIDs: expect, TopSources: src("code-05"), Confidence: 0.34}, true, false},
		{"a clarifying question", CaseResult{ExpectIDs: expect, TopSources: src("code-05"), Confidence: 1, Clarify: true}, true, false},
		{"a handoff", CaseResult{ExpectIDs: expect, TopSources: src("code-05"), Confidence: 1, Handoff: true}, true, false},
		{"no source", CaseResult{ExpectIDs: expect, Confidence: 1}, true, false},
		{"answerer error", CaseResult{ExpectIDs: expect, Error: "boom"}, true, false},
		{"a close sibling of the expected passage", CaseResult{ExpectIDs: expect, TopSources: src("code-61"), Confidence: 0.9, RelatedTopic: true}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if counted, wrong := ConfidentWrongTopic(tt.r); counted != tt.counted || wrong != tt.wrong {
				t.Errorf("ConfidentWrongTopic = %v, %v; want %v, %v", counted, wrong, tt.counted, tt.wrong)
			}
		})
	}
}

// TestRelated: the passages the metric treats as one topic, and those it
// does not, in the embedded knowledge base.
func TestRelated(t *testing.T) {
	t.Parallel()
	base, err := knowledge.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	related, err := Related(t.Context(), base)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		a, b string
		want bool
	}{
		{"code-51", "code-51", true},
		{"hw-printer", "msg-printer-paper", true},
		{"code-54", "msg-expired-card", true},
		{"code-94", "msg-declined-generic", false},
		{"code-75", "msg-terminal-locked", false},
		{"hw-power", "msg-dialup-line", false},
		{"msg-settlement", "msg-batch-settlement", false},
		{"code-51", "no-such-passage", false},
	} {
		if got := related(tt.a, tt.b); got != tt.want {
			t.Errorf("related(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
