package knowledge

import (
	"regexp"
	"strings"
)

// meaningBreaks split a code's title into its meanings.
var meaningBreaks = regexp.MustCompile(`[/（）()，,、；;]+`)

// Meanings returns what a code passage's titles say the code means, in
// Chinese and English, lower case: "02 请联系发卡行（特殊条件）" gives
// 请联系发卡行 and 特殊条件, "04 Pick-up card" gives pick-up card and, as it
// is typed, pick up card. Terminals show these words beside the code. Other
// passages have none.
func (p Passage) Meanings() []string {
	if p.Kind != KindCode {
		return nil
	}
	titles := []string{p.Title}
	if p.EN != nil {
		titles = append(titles, p.EN.Title)
	}
	var out []string
	for _, title := range titles {
		for _, part := range meaningBreaks.Split(strings.TrimPrefix(title, p.Code), -1) {
			if part = strings.ToLower(strings.TrimSpace(part)); part == "" {
				continue
			}
			out = append(out, part)
			if spaced := strings.ReplaceAll(part, "-", " "); spaced != part {
				out = append(out, spaced)
			}
		}
	}
	return out
}
