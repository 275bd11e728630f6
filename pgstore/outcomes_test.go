package pgstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/posbot/posbot/bot"
)

// outcomesContract is what every bot.Outcomes does: recorded verdicts show in
// per-passage counts of solved and not solved, concurrent records included.
// open returns an empty store and the way to read its counts.
func outcomesContract(t *testing.T, open func(t *testing.T) (bot.Outcomes, func() (map[string][2]int, error))) {
	ctx := context.Background()
	at := time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)
	t.Run("empty", func(t *testing.T) {
		t.Parallel()
		_, stats := open(t)
		got, err := stats()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 0 {
			t.Errorf("stats of an empty store = %v, want none", got)
		}
	})
	t.Run("counts per passage", func(t *testing.T) {
		t.Parallel()
		o, stats := open(t)
		for _, oc := range []bot.Outcome{
			{ConversationID: "tg:1", PassageID: "code-51", Solved: true, At: at},
			{ConversationID: "tg:2", PassageID: "code-51", Solved: false, At: at},
			{ConversationID: "tg:3", PassageID: "code-51", Solved: true, At: at},
			{ConversationID: "tg:1", PassageID: "msg-comm-fail", Solved: false, At: at},
		} {
			if err := o.Record(ctx, oc); err != nil {
				t.Fatalf("Record: %v", err)
			}
		}
		got, err := stats()
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][2]int{"code-51": {2, 1}, "msg-comm-fail": {0, 1}}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("stats (-want +got):\n%s", d)
		}
	})
	t.Run("concurrent records all count", func(t *testing.T) {
		t.Parallel()
		o, stats := open(t)
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				oc := bot.Outcome{ConversationID: fmt.Sprintf("wx:%d", i), PassageID: "hw-printer", Solved: i%4 == 0, At: at}
				if err := o.Record(ctx, oc); err != nil {
					t.Errorf("Record: %v", err)
				}
			})
		}
		wg.Wait()
		got, err := stats()
		if err != nil {
			t.Fatal(err)
		}
		if want := [2]int{5, 15}; got["hw-printer"] != want {
			t.Errorf("hw-printer = %v, want %v", got["hw-printer"], want)
		}
	})
}

func TestMemoryOutcomes(t *testing.T) {
	outcomesContract(t, func(t *testing.T) (bot.Outcomes, func() (map[string][2]int, error)) {
		o := &bot.MemoryOutcomes{}
		return o, func() (map[string][2]int, error) { return o.ByPassage(), nil }
	})
}

func TestPostgresOutcomes(t *testing.T) {
	testURL(t)
	outcomesContract(t, func(t *testing.T) (bot.Outcomes, func() (map[string][2]int, error)) {
		s, _ := migratedStore(t)
		return s, func() (map[string][2]int, error) { return s.OutcomeStats(context.Background()) }
	})
}
