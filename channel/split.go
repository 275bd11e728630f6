package channel

import (
	"strings"
	"unicode/utf8"
)

// Split cuts text into messages of at most limit, as size measures them
// (nil means bytes, the unit WeChat counts), for platforms that refuse
// longer ones. It cuts at line breaks where it can and between characters
// only inside a line that alone is too long, never inside a character.
// Parts are trimmed and blank ones dropped; "" gives none.
func Split(text string, limit int, size func(string) int) []string {
	if size == nil {
		size = func(s string) int { return len(s) }
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return nil
	}
	if size(text) <= limit {
		return []string{text}
	}
	var parts []string
	var cur strings.Builder
	used := 0
	emit := func() {
		if s := strings.TrimSpace(cur.String()); s != "" {
			parts = append(parts, s)
		}
		cur.Reset()
		used = 0
	}
	for line := range strings.Lines(text) {
		n := size(line)
		if used+n > limit {
			emit()
		}
		if n <= limit {
			cur.WriteString(line)
			used += n
			continue
		}
		for len(line) > 0 { // a line longer than a message: cut between characters
			_, w := utf8.DecodeRuneInString(line)
			ch := line[:w]
			if c := size(ch); used+c > limit {
				emit()
			}
			cur.WriteString(ch)
			used += size(ch)
			line = line[w:]
		}
	}
	emit()
	return parts
}
