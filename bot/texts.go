package bot

import (
	"math"
	"time"

	"github.com/posbot/posbot/knowledge"
)

// The engine's own wordings live in knowledge/data/dialogue/texts.yaml;
// these helpers build replies from them.

// simple is a reply that is only the text key, in lang.
func (e *Engine) simple(lang, key string) Reply {
	return Reply{Answer: e.texts.Get(lang, key), Target: knowledge.TargetNone, Writer: "template"}
}

func (e *Engine) rateLimited(lang string, after time.Duration) Reply {
	r := Reply{Answer: e.texts.Get(lang, "rate_limited", int(math.Ceil(after.Seconds()))), Target: knowledge.TargetNone, Writer: "template"}
	r.Sources = []Source{}
	return r
}
