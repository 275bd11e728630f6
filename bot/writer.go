package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/redact"
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

// MaxAnswerRunes bounds a model-written answer.
const MaxAnswerRunes = 1500

// ErrInvalidAnswer is returned by Validate for a model answer that must not be sent.
var ErrInvalidAnswer = errors.New("invalid model answer")

// targetWords are the words that show an answer names its escalation target.
var targetWords = map[string][]string{
	knowledge.TargetBank:     {"发卡", "银行", "issuing bank", "issuer", "bank"},
	knowledge.TargetProvider: {"服务商", "收单", "provider", "acquirer"},
}

// Validate checks a model-written answer against its draft: not empty, not too
// long, no card data, the top passage's key facts and its escalation target kept.
func Validate(out string, d Draft) error {
	out = strings.TrimSpace(out)
	if out == "" {
		return fmt.Errorf("%w: empty", ErrInvalidAnswer)
	}
	if n := utf8.RuneCountInString(out); n > MaxAnswerRunes {
		return fmt.Errorf("%w: %d runes", ErrInvalidAnswer, n)
	}
	if redact.Redact(out).Found() {
		return fmt.Errorf("%w: contains card data", ErrInvalidAnswer)
	}
	if len(d.Passages) == 0 {
		return nil
	}
	p := d.Passages[0]
	lower := strings.ToLower(out)
	if d.Lang != "en" {
		for _, k := range p.KeyTerms {
			if !strings.Contains(out, k) {
				return fmt.Errorf("%w: key term %q missing", ErrInvalidAnswer, k)
			}
		}
	}
	if d.Code != "" && !strings.Contains(out, d.Code) {
		return fmt.Errorf("%w: code %s missing", ErrInvalidAnswer, d.Code)
	}
	if words, ok := targetWords[p.Target]; ok {
		found := false
		for _, w := range words {
			if strings.Contains(lower, w) {
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("%w: escalation target %s missing", ErrInvalidAnswer, p.Target)
		}
	}
	return nil
}
