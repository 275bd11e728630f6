package handoff

import (
	"strings"
	"testing"
	"time"
)

func TestParseHours(t *testing.T) {
	t.Parallel()
	bad := []string{
		"Mon-Fri 09:00-18:00",                // no zone
		"Mon-Fri 09:00-18:00 Mars/Olympus",   // unknown zone
		"Mon-Fri 18:00-09:00 Asia/Shanghai",  // overnight
		"Mon-Fri 09:00-25:00 Asia/Shanghai",  // no such hour
		"Mon-Fry 09:00-18:00 Asia/Shanghai",  // no such day
		"weekdays 09:00-18:00 Asia/Shanghai", // not a day
		"Asia/Shanghai",
		"Mon-Fri 9-18 Asia/Shanghai",
	}
	for _, s := range bad {
		if _, err := ParseHours(s); err == nil {
			t.Errorf("ParseHours(%q) accepted it", s)
		}
	}
	h, err := ParseHours("")
	if err != nil || !h.Always() || !h.Open(time.Now()) {
		t.Errorf(`ParseHours("") = %v, %v; want always open`, h, err)
	}
}

func TestHoursOpenAndNext(t *testing.T) {
	t.Parallel()
	h, err := ParseHours("Mon-Fri 09:00-18:00, Sat 10:00-12:00 Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	sh, _ := time.LoadLocation("Asia/Shanghai")
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04", s, sh)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		now  string // 2026-11-23 is a Monday
		open bool
		next string
	}{
		{"2026-11-23 09:00", true, "2026-11-23 09:00"},
		{"2026-11-23 17:59", true, "2026-11-23 17:59"},
		{"2026-11-23 18:00", false, "2026-11-24 09:00"},
		{"2026-11-23 08:30", false, "2026-11-23 09:00"},
		{"2026-11-27 20:00", false, "2026-11-28 10:00"}, // Friday evening → Saturday
		{"2026-11-28 12:00", false, "2026-11-30 09:00"}, // Saturday noon → Monday
		{"2026-11-29 23:59", false, "2026-11-30 09:00"},
	}
	for _, tt := range tests {
		now := at(tt.now)
		if got := h.Open(now); got != tt.open {
			t.Errorf("Open(%s) = %v, want %v", tt.now, got, tt.open)
		}
		if got := h.Next(now); !got.Equal(at(tt.next)) {
			t.Errorf("Next(%s) = %s, want %s", tt.now, got, tt.next)
		}
		// The same instant in UTC gives the same answers.
		if got := h.Open(now.UTC()); got != tt.open {
			t.Errorf("Open(%s in UTC) = %v", tt.now, got)
		}
	}
	if !strings.Contains(h.String(), "Asia/Shanghai") {
		t.Errorf("String() = %q", h.String())
	}
}
