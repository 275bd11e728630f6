// Package wecomtest holds the contract suite every wecom.Cursors must pass,
// so the memory store and the Redis one behave alike.
package wecomtest

import (
	"context"
	"testing"

	"github.com/posbot/posbot/wecom"
)

// Cursors runs the wecom.Cursors contract. open returns two stores on one
// fresh backend (two replicas sharing it; the same store twice in memory).
func Cursors(t *testing.T, open func(t *testing.T) (a, b wecom.Cursors)) {
	t.Helper()
	ctx := context.Background()
	t.Run("unknown key", func(t *testing.T) {
		t.Parallel()
		a, _ := open(t)
		if c, err := a.Cursor(ctx, "ww1:wk-none"); c != "" || err != nil {
			t.Errorf("Cursor(unknown) = %q, %v; want \"\", nil", c, err)
		}
	})
	t.Run("a cursor put on one replica is read on the other", func(t *testing.T) {
		t.Parallel()
		a, b := open(t)
		for _, c := range []string{"4gw7MepFLfgF2VC5npN", "4gw7MepFLfgF2VC5npO"} {
			if err := a.PutCursor(ctx, "ww1:wk1", c); err != nil {
				t.Fatal(err)
			}
			if got, err := b.Cursor(ctx, "ww1:wk1"); got != c || err != nil {
				t.Errorf("Cursor = %q, %v; want %q", got, err, c)
			}
		}
		if got, _ := b.Cursor(ctx, "ww1:wk2"); got != "" {
			t.Errorf("another account's cursor = %q", got)
		}
	})
}
