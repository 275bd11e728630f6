package understand

import (
	"strconv"
	"strings"

	"github.com/posbot/posbot/knowledge"
)

// maxOption bounds option numbers: the engine offers a handful of options,
// and a bigger number is more likely a code or an amount.
const maxOption = 9

// options are the lexicons' words of a pick among numbered options.
type options struct {
	ordinals           map[string]int
	prefixes, suffixes []string
}

func newOptions(ls knowledge.Lexicons) options {
	o := options{ordinals: map[string]int{}}
	for _, lang := range ls.Languages() {
		for w, n := range ls[lang].Options.Ordinals {
			o.ordinals[strings.ToLower(w)] = n
		}
		o.prefixes = append(o.prefixes, ls[lang].Options.Prefixes...)
		o.suffixes = append(o.suffixes, ls[lang].Options.Suffixes...)
	}
	return o
}

// OptionIndex reads a pick among numbered options: "1", "第一个", "选1",
// "第2个", "二", "2.", "the second" → the 1-based index; 0 when the message
// is not a pick. A bare "1" is a pick only because the engine asked; it
// calls this only then.
func (r *Reader) OptionIndex(s string) int {
	o := r.options
	s = strings.TrimSpace(strings.Trim(s, " !?。"))
	for changed := true; changed; {
		changed = false
		for _, p := range o.prefixes {
			if t := strings.TrimSpace(strings.TrimPrefix(s, p)); t != s && t != "" {
				s, changed = t, true
			}
		}
		for _, x := range o.suffixes {
			if t := strings.TrimSpace(strings.TrimSuffix(s, x)); t != s && t != "" {
				s, changed = t, true
			}
		}
	}
	if n, ok := o.ordinals[s]; ok {
		return n
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 1 && n <= maxOption {
		return n
	}
	return 0
}
