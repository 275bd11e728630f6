package eval

import (
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
