package understand

import "unicode"

// English reports whether the merchant wrote in English: there are ASCII
// letters, at least one word longer than a code, and no CJK characters.
func English(s string) bool {
	word, longest := 0, 0
	for _, r := range s {
		switch {
		case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul):
			return false
		case 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z':
			word++
			longest = max(longest, word)
		default:
			word = 0
		}
	}
	return longest >= 2
}
