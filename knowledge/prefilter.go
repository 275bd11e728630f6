package knowledge

import (
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// required returns strings of which every match of the regular expression
// expr holds at least one, or nil when it cannot name any: "(?:还是|也)不行"
// gives 不行, "所有(?:的)?卡" 所有, "(?:别的|其他)卡?也" 别的 and 其他. A text
// that holds none of them cannot match, so most messages are passed over
// with a substring test instead of running the pattern.
func required(expr string) []string {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	need := requiredOf(re.Simplify())
	for _, s := range need {
		// The regexp package reads a broken byte as U+FFFD: a text without
		// that character could still match it.
		if strings.ContainsRune(s, utf8.RuneError) {
			return nil
		}
	}
	return need
}

// maxClassRunes is the largest character class taken as a set of
// one-character strings ([张卡], [?？]); a larger one names nothing useful.
const maxClassRunes = 8

func requiredOf(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 || len(re.Rune) == 0 {
			return nil
		}
		return []string{string(re.Rune)}
	case syntax.OpCharClass:
		var out []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if len(out) == maxClassRunes {
					return nil
				}
				out = append(out, string(r))
			}
		}
		return out
	case syntax.OpCapture, syntax.OpPlus:
		return requiredOf(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredOf(re.Sub[0])
		}
		return nil
	case syntax.OpConcat:
		// Every part occurs in a match: take the part whose strings are
		// the longest, the rarest to be found by chance.
		var best []string
		for _, sub := range re.Sub {
			if need := requiredOf(sub); need != nil && (best == nil || shortest(need) > shortest(best) ||
				shortest(need) == shortest(best) && len(need) < len(best)) {
				best = need
			}
		}
		return best
	case syntax.OpAlternate:
		// A match is one of the alternatives: any of their strings.
		var out []string
		for _, sub := range re.Sub {
			need := requiredOf(sub)
			if need == nil {
				return nil
			}
			out = append(out, need...)
		}
		return out
	}
	return nil
}

// shortest is the length in bytes of the shortest of ss.
func shortest(ss []string) int {
	n := -1
	for _, s := range ss {
		if n < 0 || len(s) < n {
			n = len(s)
		}
	}
	return n
}

// holdsAny reports whether s contains one of subs.
func holdsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
