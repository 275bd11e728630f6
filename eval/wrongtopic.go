package eval

import "slices"

// ConfidentAt is the reply confidence from which a diagnosis counts as
// confident: the engine's bar for answering without hedging (the default
// bot.Config.MinConfidence) when the metric was defined. It is fixed here
// rather than read from the engine, so that figures stay comparable while
// the engine's confidence is refined.
const ConfidentAt = 0.35

// ConfidentWrongTopic classifies one case for the "confident but wrong
// topic" metric. counted is true when the case names the passages that
// answer it (expect_ids): only those cases have a topic to miss. wrong is
// true when, besides, the reply is a confident diagnosis (no answerer error,
// not a clarifying question, not a handoff, at least one source, confidence
// at least ConfidentAt) whose top source is none of those passages nor
// about the same topic as one (CaseResult.RelatedTopic): the merchant is
// told, with confidence, about another problem.
//
// This is the one place the rule lives, since the engine's notion of
// confidence may be refined later.
func ConfidentWrongTopic(r CaseResult) (counted, wrong bool) {
	counted, off := ConfidentOffPassage(r)
	return counted, off && !r.RelatedTopic
}

// ConfidentOffPassage is the strict form of ConfidentWrongTopic: a
// confident diagnosis whose top source is none of the expected passages,
// even a close sibling of one (a printer fault for an empty paper roll).
func ConfidentOffPassage(r CaseResult) (counted, wrong bool) {
	if len(r.ExpectIDs) == 0 {
		return false, false
	}
	confident := r.Error == "" && !r.Clarify && !r.Handoff && len(r.TopSources) > 0 && r.Confidence >= ConfidentAt
	return true, confident && !slices.Contains(r.ExpectIDs, r.TopSources[0].ID)
}
