package wecom_test

import (
	"testing"

	"github.com/posbot/posbot/wecom"
	"github.com/posbot/posbot/wecom/wecomtest"
)

func TestMemoryCursors(t *testing.T) {
	t.Parallel()
	wecomtest.Cursors(t, func(*testing.T) (wecom.Cursors, wecom.Cursors) {
		m := &wecom.MemoryCursors{}
		return m, m
	})
}
