package handoff

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/posbot/posbot/knowledge"
)

// Hours are the support hours, when a person can answer: a few weekly
// windows in one time zone, such as "Mon-Fri 09:00-18:00 Asia/Shanghai".
// The zero value means always open. Build it with ParseHours.
type Hours struct {
	spec    string
	loc     *time.Location
	windows []window
}

// window is one day's span in minutes after midnight, [from, to).
type window struct {
	day      time.Weekday
	from, to int
}

var (
	dayNames = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday,
		"wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}
	hoursPart = regexp.MustCompile(`^(?i)([a-z]{3}(?:-[a-z]{3})?(?:\s*/\s*[a-z]{3}(?:-[a-z]{3})?)*|daily)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$`)
)

// ParseHours reads support hours: one or more "<days> <HH:MM>-<HH:MM>"
// parts separated by commas, then an IANA time zone, e.g.
// "Mon-Fri 09:00-18:00 Asia/Shanghai" or
// "Mon-Fri 09:00-18:00, Sat/Sun 10:00-16:00 Asia/Shanghai". Days are
// English three-letter names, ranges (Mon-Fri, Sat-Sun) or "daily", joined
// by "/"; a window ends after it starts on the same day (24:00 is midnight).
// "" means always open.
func ParseHours(s string) (Hours, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Hours{}, nil
	}
	cut := strings.LastIndexAny(s, " \t")
	if cut < 0 {
		return Hours{}, fmt.Errorf("%q: want days, hours and a time zone, e.g. \"Mon-Fri 09:00-18:00 Asia/Shanghai\"", s)
	}
	zone := s[cut+1:]
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "" || zone == "Local" {
		return Hours{}, fmt.Errorf("%q: unknown time zone %q (want an IANA name such as Asia/Shanghai)", s, zone)
	}
	h := Hours{spec: s, loc: loc}
	for _, part := range strings.Split(s[:cut], ",") {
		m := hoursPart.FindStringSubmatch(strings.TrimSpace(part))
		if m == nil {
			return Hours{}, fmt.Errorf("%q: cannot read %q (want e.g. \"Mon-Fri 09:00-18:00\")", s, strings.TrimSpace(part))
		}
		from, err1 := minutes(m[2], m[3])
		to, err2 := minutes(m[4], m[5])
		if err1 != nil || err2 != nil || to <= from {
			return Hours{}, fmt.Errorf("%q: %s:%s-%s:%s is not a span within one day", s, m[2], m[3], m[4], m[5])
		}
		days, err := parseDays(m[1])
		if err != nil {
			return Hours{}, fmt.Errorf("%q: %w", s, err)
		}
		for _, d := range days {
			h.windows = append(h.windows, window{day: d, from: from, to: to})
		}
	}
	return h, nil
}

func minutes(hh, mm string) (int, error) {
	h, _ := strconv.Atoi(hh)
	m, _ := strconv.Atoi(mm)
	if h > 24 || m > 59 || h == 24 && m != 0 {
		return 0, fmt.Errorf("bad time %s:%s", hh, mm)
	}
	return h*60 + m, nil
}

func parseDays(s string) ([]time.Weekday, error) {
	if strings.EqualFold(s, "daily") {
		return []time.Weekday{0, 1, 2, 3, 4, 5, 6}, nil
	}
	var out []time.Weekday
	for _, r := range strings.Split(s, "/") {
		a, b, isRange := strings.Cut(strings.ToLower(strings.TrimSpace(r)), "-")
		from, ok1 := dayNames[a]
		to, ok2 := dayNames[b]
		if !isRange {
			to, ok2 = from, ok1
		}
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("unknown day in %q (want Mon, Tue, Wed, Thu, Fri, Sat, Sun)", r)
		}
		for d := from; ; d = (d + 1) % 7 {
			out = append(out, d)
			if d == to {
				break
			}
		}
	}
	return out, nil
}

// String returns the hours as they were given, "" for always open.
func (h Hours) String() string { return h.spec }

// Always reports whether the hours are "always open".
func (h Hours) Always() bool { return h.loc == nil }

// Open reports whether a person can answer at t.
func (h Hours) Open(t time.Time) bool {
	if h.Always() {
		return true
	}
	t = t.In(h.loc)
	m := t.Hour()*60 + t.Minute()
	for _, w := range h.windows {
		if w.day == t.Weekday() && m >= w.from && m < w.to {
			return true
		}
	}
	return false
}

// Next returns the next time at or after t when the hours open, in their
// time zone; t itself when they are open or always open.
func (h Hours) Next(t time.Time) time.Time {
	if h.Open(t) {
		return t
	}
	t = t.In(h.loc)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, h.loc)
	for i := range 8 {
		d := day.AddDate(0, 0, i)
		best := -1
		for _, w := range h.windows {
			if w.day != d.Weekday() {
				continue
			}
			start := time.Date(d.Year(), d.Month(), d.Day(), w.from/60, w.from%60, 0, 0, h.loc)
			if start.Before(t) {
				continue
			}
			if best < 0 || w.from < best {
				best = w.from
			}
		}
		if best >= 0 {
			return time.Date(d.Year(), d.Month(), d.Day(), best/60, best%60, 0, 0, h.loc)
		}
	}
	return t // unreachable: ParseHours admits no hours without a window
}

// Location returns the hours' time zone; nil when always open.
func (h Hours) Location() *time.Location { return h.loc }

// describe renders the hours' windows, without the time zone, in c's
// words: "周一至周五 09:00-18:00，周六、周日 10:00-16:00"; "" for always.
func (h Hours) describe(c knowledge.Calendar) string {
	if h.Always() {
		return ""
	}
	cut := strings.LastIndexAny(h.spec, " \t")
	var out []string
	for _, part := range strings.Split(h.spec[:cut], ",") {
		m := hoursPart.FindStringSubmatch(strings.TrimSpace(part))
		if m == nil {
			continue // ParseHours admitted no such part
		}
		out = append(out, fmt.Sprintf("%s %s:%s-%s:%s", describeDays(m[1], c), m[2], m[3], m[4], m[5]))
	}
	return strings.Join(out, c.Separator)
}

// describeDays renders the days of one window ("Mon-Fri", "Sat/Sun",
// "daily") in c's words.
func describeDays(s string, c knowledge.Calendar) string {
	if strings.EqualFold(s, "daily") {
		return c.Daily
	}
	var list []string
	for _, r := range strings.Split(s, "/") {
		a, b, isRange := strings.Cut(strings.ToLower(strings.TrimSpace(r)), "-")
		d := c.Weekdays[dayNames[a]]
		if isRange {
			d += c.Through + c.Weekdays[dayNames[b]]
		}
		list = append(list, d)
	}
	return strings.Join(list, c.And)
}
