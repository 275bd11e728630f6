package bot

import (
	"context"

	"github.com/posbot/posbot/knowledge"
)

// Draft is everything a Writer may use to write one answer: the merchant's
// redacted question and the retrieved passages, nothing else.
type Draft struct {
	Lang     string // "zh" or "en"
	Question string // normalised and redacted
	Code     string // normalised response code, "" if none
	Intro    string // a sentence the answer must open with, if any
	// Passages are the retrieved passages, best first; the answer rests on the first.
	Passages []knowledge.Passage
	// Template is the offline answer, the fallback.
	Template string
}

// Writer writes an answer from a draft, with a language model. The engine
// validates what it returns and falls back to the template on any error.
type Writer interface {
	Write(ctx context.Context, d Draft) (string, error)
}
