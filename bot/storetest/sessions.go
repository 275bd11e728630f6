package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/posbot/posbot/bot"
)

// Sessions runs the bot.Sessions contract. open returns an empty store whose
// entries expire ttl after their last Put, and the way to let time pass for it.
func Sessions(t *testing.T, open func(t *testing.T, ttl time.Duration) (bot.Sessions, Advance)) {
	t.Helper()
	at := time.Date(2026, 11, 25, 9, 30, 0, 123456789, time.UTC)
	full := bot.State{
		Pending: &bot.Question{Kind: "scope", Options: []string{"只有一张卡刷不了", "所有卡都刷不了"}},
		Facts:   bot.Facts{Code: "51", Scope: "one", Signal: "ok", NewTerminal: true, Language: "zh"},
		Asked:   true,
		LastIDs: []string{"code-51", "code-05"},
		Tried:   []string{"code-51"},
		History: []bot.Turn{
			{Role: "merchant", Text: "刷卡显示交易失败 51", At: at},
			{Role: "bot", Text: "51 表示余额不足……", At: at.Add(time.Second)},
		},
		Handoff:   true,
		UpdatedAt: at.Add(time.Second),
	}
	ctx := context.Background()

	t.Run("get missing is ErrNotFound", func(t *testing.T) {
		t.Parallel()
		s, _ := open(t, TTL)
		if _, err := s.Get(ctx, "conv:missing"); !errors.Is(err, bot.ErrNotFound) {
			t.Fatalf("Get(missing) error = %v, want bot.ErrNotFound", err)
		}
	})
	t.Run("round trip keeps every field", func(t *testing.T) {
		t.Parallel()
		s, _ := open(t, TTL)
		mustPut(t, s, "conv:1", full)
		got := mustGet(t, s, "conv:1")
		if d := cmp.Diff(full, got, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("Get after Put (-want +got):\n%s", d)
		}
		mustPut(t, s, "conv:empty", bot.State{})
		if d := cmp.Diff(bot.State{}, mustGet(t, s, "conv:empty"), cmpopts.EquateEmpty()); d != "" {
			t.Errorf("empty State round trip (-want +got):\n%s", d)
		}
	})
	t.Run("put overwrites", func(t *testing.T) {
		t.Parallel()
		s, _ := open(t, TTL)
		mustPut(t, s, "conv:1", full)
		next := bot.State{Facts: bot.Facts{Code: "05", Language: "en"}, UpdatedAt: at}
		mustPut(t, s, "conv:1", next)
		if d := cmp.Diff(next, mustGet(t, s, "conv:1"), cmpopts.EquateEmpty()); d != "" {
			t.Errorf("Get after overwrite (-want +got):\n%s", d)
		}
	})
	t.Run("ids are independent", func(t *testing.T) {
		t.Parallel()
		s, _ := open(t, TTL)
		mustPut(t, s, "conv:a", full)
		if _, err := s.Get(ctx, "conv:b"); !errors.Is(err, bot.ErrNotFound) {
			t.Fatalf("Get(other id) error = %v, want bot.ErrNotFound", err)
		}
	})
	t.Run("delete", func(t *testing.T) {
		t.Parallel()
		s, _ := open(t, TTL)
		mustPut(t, s, "conv:1", full)
		if err := s.Delete(ctx, "conv:1"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if _, err := s.Get(ctx, "conv:1"); !errors.Is(err, bot.ErrNotFound) {
			t.Fatalf("Get after Delete error = %v, want bot.ErrNotFound", err)
		}
		if err := s.Delete(ctx, "conv:never"); err != nil {
			t.Fatalf("Delete(missing) = %v, want nil", err)
		}
	})
	t.Run("entries expire after ttl", func(t *testing.T) {
		t.Parallel()
		s, advance := open(t, TTL)
		mustPut(t, s, "conv:1", full)
		advance(TTL + slack)
		if _, err := s.Get(ctx, "conv:1"); !errors.Is(err, bot.ErrNotFound) {
			t.Fatalf("Get after ttl error = %v, want bot.ErrNotFound", err)
		}
	})
	t.Run("put renews ttl", func(t *testing.T) {
		t.Parallel()
		s, advance := open(t, TTL)
		mustPut(t, s, "conv:1", full)
		advance(TTL * 6 / 10)
		mustPut(t, s, "conv:1", full)
		advance(TTL * 6 / 10)
		mustGet(t, s, "conv:1")
	})
	t.Run("concurrent use", func(t *testing.T) {
		t.Parallel()
		s, _ := open(t, TTL)
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				id := fmt.Sprintf("conv:%d", i)
				for j := range 10 {
					st := bot.State{Tried: []string{fmt.Sprint(j)}}
					if err := s.Put(ctx, id, st); err != nil {
						t.Errorf("Put(%s): %v", id, err)
						return
					}
					got, err := s.Get(ctx, id)
					if err != nil || len(got.Tried) != 1 || got.Tried[0] != fmt.Sprint(j) {
						t.Errorf("Get(%s) = %v, %v; want Tried [%d]", id, got.Tried, err, j)
						return
					}
				}
			})
		}
		wg.Wait()
	})
}

func mustPut(t *testing.T, s bot.Sessions, id string, st bot.State) {
	t.Helper()
	if err := s.Put(context.Background(), id, st); err != nil {
		t.Fatalf("Put(%s): %v", id, err)
	}
}

func mustGet(t *testing.T, s bot.Sessions, id string) bot.State {
	t.Helper()
	st, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	return st
}
