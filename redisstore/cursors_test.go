package redisstore

import (
	"testing"

	"github.com/posbot/posbot/wecom"
	"github.com/posbot/posbot/wecom/wecomtest"
)

var _ wecom.Cursors = (*Cursors)(nil)

func TestCursors(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			wecomtest.Cursors(t, func(t *testing.T) (wecom.Cursors, wecom.Cursors) {
				a, c, _ := b.open(t)
				return a.Cursors(), c.Cursors()
			})
		})
	}
}
