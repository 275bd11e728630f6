package eval

import (
	"slices"

	"github.com/posbot/posbot/retrieval"
)

// CalibrationSamples are the labelled searches of a run the confidence
// model is fitted on: answered questions without a code (a code's passage
// is certain) that name their passages (expect_ids), with whether the top
// source was on the topic (an expected passage or a close sibling).
func CalibrationSamples(results []CaseResult) []retrieval.Sample {
	var out []retrieval.Sample
	for _, r := range results {
		if r.Evidence == nil || len(r.ExpectIDs) == 0 || r.Clarify || r.Handoff || r.Code != "" || len(r.TopSources) == 0 {
			continue
		}
		on := slices.Contains(r.ExpectIDs, r.TopSources[0].ID) || r.RelatedTopic
		out = append(out, retrieval.Sample{Evidence: *r.Evidence, OnTopic: on})
	}
	return out
}
