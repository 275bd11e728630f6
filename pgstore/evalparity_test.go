package pgstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/eval"
	"github.com/posbot/posbot/retrieval"
)

// TestEvalMatchesMemory runs the whole evaluation (every set, every turn)
// on an engine searching PostgreSQL and on one searching memory: the pass
// rates must be within half a point, and they should be equal.
func TestEvalMatchesMemory(t *testing.T) {
	ctx := context.Background()
	base := embedded(t)
	pg := ingestedStore(t, base)
	mem, err := retrieval.New(ctx, base, retrieval.Options{})
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("../eval/testdata/*.jsonl")
	if err != nil || len(files) == 0 {
		t.Fatalf("no evaluation sets: %v", err)
	}
	var cases []eval.Case
	for _, f := range files {
		cs, err := eval.LoadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, cs...)
	}
	related, err := eval.Related(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	run := func(name string, s retrieval.Searcher) map[string]bool {
		e, err := bot.New(bot.Config{Base: base, Searcher: s})
		if err != nil {
			t.Fatal(err)
		}
		res, err := eval.Run(ctx, e, name, cases, eval.RunOptions{Related: related})
		if err != nil {
			t.Fatal(err)
		}
		pass := map[string]bool{}
		for _, r := range res {
			pass[r.ID] = r.Pass
		}
		return pass
	}
	pm, pp := run("memory", mem), run("postgres", pg)
	var nm, np int
	for id, ok := range pm {
		if ok {
			nm++
		}
		if pp[id] {
			np++
		}
		if ok != pp[id] && testing.Verbose() {
			t.Logf("%s: memory %v, postgres %v", id, ok, pp[id])
		}
	}
	n := float64(len(pm))
	t.Logf("%d cases: pass rate memory %.4f, postgres %.4f", len(pm), float64(nm)/n, float64(np)/n)
	if d := float64(nm-np) / n; d > 0.005 || d < -0.005 {
		t.Errorf("pass rates differ by %.4f, more than half a point", d)
	}
}
