package pgstore_test

import (
	"bufio"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/posbot/posbot/retrieval"
)

// evalCase is the part of an eval/testdata line this test reads.
type evalCase struct {
	ID        string   `json:"id"`
	Query     string   `json:"query"`
	Code      string   `json:"code"`
	ExpectIDs []string `json:"expect_ids"`
}

// evalQueries returns the first-turn questions of every evaluation set.
func evalQueries(t testing.TB) []evalCase {
	t.Helper()
	files, err := filepath.Glob("../eval/testdata/*.jsonl")
	if err != nil || len(files) == 0 {
		t.Fatalf("no evaluation sets: %v", err)
	}
	var cases []evalCase
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var c evalCase
			if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
				t.Fatalf("%s: parse case: %v", name, err)
			}
			if c.Query != "" {
				cases = append(cases, c)
			}
		}
		f.Close()
	}
	return cases
}

// TestSearchMatchesMemory runs every evaluation set's questions through the
// PostgreSQL store and the in-memory retriever. They read queries alike,
// rank on the same BM25 postings and fuse alike, so over the knowledge base
// (where every posting of a term is read) they must agree: the same top
// three passages in the same order, the same confidence, for at least 99%
// of the questions; only the HNSW index's approximate neighbours and the
// order in which floating-point sums are taken may tell them apart.
func TestSearchMatchesMemory(t *testing.T) {
	base := embedded(t)
	pg := ingestedStore(t, base)
	mem, err := retrieval.New(context.Background(), base, retrieval.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cases := evalQueries(t)
	if len(cases) < 1000 {
		t.Fatalf("only %d questions", len(cases))
	}
	const k = 5
	var sameTop3, sameConf, sameEvidence, hitMem, hitPG, withExpect int
	ctx := context.Background()
	for _, c := range cases {
		q := retrieval.Query{Text: c.Query, Code: c.Code, K: k}
		rm, err := mem.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		rp, err := pg.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		top3 := func(r retrieval.Result) []string { return ids(r)[:min(3, len(r.Hits))] }
		if slices.Equal(top3(rm), top3(rp)) {
			sameTop3++
		} else if testing.Verbose() {
			t.Logf("%s %q: memory %v, postgres %v", c.ID, c.Query, ids(rm), ids(rp))
		}
		if math.Abs(rm.Confidence-rp.Confidence) < 1e-3 {
			sameConf++
		} else if testing.Verbose() {
			t.Logf("%s %q: confidence memory %v, postgres %v", c.ID, c.Query, rm.Confidence, rp.Confidence)
		}
		if sameEvidenceOf(rm.Evidence, rp.Evidence) {
			sameEvidence++
		} else if testing.Verbose() {
			t.Logf("%s %q: evidence memory %+v, postgres %+v", c.ID, c.Query, rm.Evidence, rp.Evidence)
		}
		if len(c.ExpectIDs) > 0 {
			withExpect++
			found := func(r retrieval.Result) bool {
				return slices.ContainsFunc(r.Hits, func(h retrieval.Hit) bool { return slices.Contains(c.ExpectIDs, h.Passage.ID) })
			}
			if found(rm) {
				hitMem++
			}
			if found(rp) {
				hitPG++
			}
		}
	}
	n := float64(len(cases))
	t.Logf("%d questions: same top 3 %.4f, same confidence %.4f, same evidence %.4f; hit@%d over %d with expected passages: memory %.4f, postgres %.4f",
		len(cases), float64(sameTop3)/n, float64(sameConf)/n, float64(sameEvidence)/n, k, withExpect, float64(hitMem)/float64(withExpect), float64(hitPG)/float64(withExpect))
	for what, same := range map[string]int{"top 3": sameTop3, "confidence": sameConf, "evidence": sameEvidence} {
		if float64(same) < 0.99*n {
			t.Errorf("postgres and memory agree on the %s for %d of %d questions, want at least 99%%", what, same, len(cases))
		}
	}
}

// sameEvidenceOf reports whether two searches' evidence is the same up to rounding.
func sameEvidenceOf(a, b retrieval.Evidence) bool {
	near := func(x, y float64) bool { return math.Abs(x-y) < 1e-6 }
	return near(a.Coverage, b.Coverage) && near(a.Matched, b.Matched) && near(a.Core, b.Core) &&
		math.Abs(a.Similarity-b.Similarity) < 1e-4 && math.Abs(a.Margin-b.Margin) < 1e-6 &&
		a.Terms == b.Terms && a.Unknown == b.Unknown && a.Concepts == b.Concepts &&
		a.Supported == b.Supported && a.Display == b.Display
}

func ids(r retrieval.Result) []string {
	out := make([]string, len(r.Hits))
	for i, h := range r.Hits {
		out[i] = h.Passage.ID
	}
	return out
}
