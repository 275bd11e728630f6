package telegram

import "testing"

// The offset long polling asks for is the oldest update not finished, so
// Telegram keeps (and gives again after a restart) every update fetched
// and not answered; updates fetched before are not taken twice.
func TestOffsets(t *testing.T) {
	o := newOffsets()
	if got := o.next(); got != 0 {
		t.Fatalf("first offset %d, want 0 (Telegram's oldest)", got)
	}
	for _, id := range []int64{10, 11, 12} {
		if !o.fetched(id) {
			t.Fatalf("%d not new", id)
		}
	}
	if o.fetched(11) {
		t.Error("an update fetched again counted as new")
	}
	o.done(11)
	if got := o.next(); got != 10 {
		t.Errorf("offset %d with 10 unfinished, want 10", got)
	}
	o.done(10)
	if got := o.next(); got != 12 {
		t.Errorf("offset %d with 12 unfinished, want 12", got)
	}
	if o.fetched(11) {
		t.Error("an answered update not yet confirmed counted as new")
	}
	o.done(12)
	if got := o.next(); got != 13 {
		t.Errorf("offset %d with everything answered, want 13", got)
	}
	o.fetched(13)
	o.unfetch(13) // refused by a full inbox: to be fetched again
	if got := o.next(); got != 13 || !o.fetched(13) {
		t.Errorf("after unfetch: offset %d, want 13 and 13 new again", got)
	}
}
