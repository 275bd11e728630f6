package retrieval_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/retrieval"
	"github.com/posbot/posbot/retrieval/searchertest"
)

// BenchmarkSearch measures the in-memory hybrid search over the real
// knowledge base and synthetic ones of 10k passages, and of 100k with
// POSBOT_BENCH_LARGE=1 (building that index takes a while).
//
//	go test -run '^$' -bench Search ./retrieval/
func BenchmarkSearch(b *testing.B) {
	base, err := knowledge.Embedded()
	if err != nil {
		b.Fatal(err)
	}
	sizes := []int{base.Len(), 10_000}
	if os.Getenv("POSBOT_BENCH_LARGE") != "" {
		sizes = append(sizes, 100_000)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			syn, err := searchertest.Synthetic(base, n)
			if err != nil {
				b.Fatal(err)
			}
			r, err := retrieval.New(context.Background(), syn, retrieval.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				q := searchertest.BenchQueries[i%len(searchertest.BenchQueries)]
				if _, err := r.Search(context.Background(), retrieval.Query{Text: q}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
