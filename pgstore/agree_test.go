package pgstore_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/posbot/posbot/retrieval"
)

// evalCase is the part of an eval/testdata/cases.jsonl line this test reads.
type evalCase struct {
	ID        string   `json:"id"`
	Query     string   `json:"query"`
	ExpectIDs []string `json:"expect_ids"`
}

// TestSearchMatchesMemory runs the evaluation dataset's questions through the
// PostgreSQL store and the in-memory retriever: the store's ranking is built
// from PostgreSQL's text search instead of BM25, so the rankings differ, but
// it must find the expected passages about as often.
func TestSearchMatchesMemory(t *testing.T) {
	base := embedded(t)
	pg := ingestedStore(t, base)
	mem, err := retrieval.New(context.Background(), base, retrieval.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("../eval/testdata/cases.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []evalCase
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var c evalCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("parse case: %v", err)
		}
		if len(c.ExpectIDs) > 0 && c.Query != "" {
			cases = append(cases, c)
		}
	}
	if len(cases) < 50 {
		t.Fatalf("only %d cases with expect_ids", len(cases))
	}
	const k = 5
	var hitMem, hitPG, sameTop int
	ctx := context.Background()
	for _, c := range cases {
		q := retrieval.Query{Text: c.Query, K: k}
		rm, err := mem.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		rp, err := pg.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		found := func(r retrieval.Result) bool {
			return slices.ContainsFunc(r.Hits, func(h retrieval.Hit) bool { return slices.Contains(c.ExpectIDs, h.Passage.ID) })
		}
		if found(rm) {
			hitMem++
		}
		if found(rp) {
			hitPG++
		}
		if len(rm.Hits) > 0 && len(rp.Hits) > 0 && rm.Hits[0].Passage.ID == rp.Hits[0].Passage.ID {
			sameTop++
		}
		if testing.Verbose() && found(rm) != found(rp) {
			t.Logf("%s %q: memory %v, postgres %v, want %v", c.ID, c.Query, ids(rm), ids(rp), c.ExpectIDs)
		}
	}
	n := float64(len(cases))
	t.Logf("%d cases: hit@%d memory %.3f, postgres %.3f; same top passage %.3f", len(cases), k, float64(hitMem)/n, float64(hitPG)/n, float64(sameTop)/n)
	if float64(hitPG) < float64(hitMem)-0.03*n {
		t.Errorf("postgres hit@%d %.3f is more than 0.03 below memory's %.3f", k, float64(hitPG)/n, float64(hitMem)/n)
	}
}

func ids(r retrieval.Result) []string {
	out := make([]string, len(r.Hits))
	for i, h := range r.Hits {
		out[i] = h.Passage.ID
	}
	return out
}
