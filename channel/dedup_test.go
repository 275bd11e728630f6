package channel

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/posbot/posbot/dedup"
)

type failingDedup struct{}

func (failingDedup) FirstSeen(context.Context, string) (bool, error) {
	return false, errors.New("redis down")
}

func TestFirstSeen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	m := &dedup.Memory{}
	if !FirstSeen(ctx, m, "tg:1", log) || FirstSeen(ctx, m, "tg:1", log) {
		t.Error("FirstSeen is not true once, then false")
	}
	Forget(ctx, m, "tg:1", log)
	if !FirstSeen(ctx, m, "tg:1", log) {
		t.Error("FirstSeen after Forget = false")
	}
	if !FirstSeen(ctx, failingDedup{}, "tg:2", log) {
		t.Error("a failing store does not fail open")
	}
	Forget(ctx, failingDedup{}, "tg:2", log) // not a Forgetter: nothing to do
}
