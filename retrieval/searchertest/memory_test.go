package searchertest_test

import (
	"context"
	"testing"

	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/retrieval"
	"github.com/posbot/posbot/retrieval/searchertest"
)

func TestMemoryRetriever(t *testing.T) {
	searchertest.Run(t, func(t *testing.T, base *knowledge.Base) retrieval.Searcher {
		r, err := retrieval.New(context.Background(), base, retrieval.Options{})
		if err != nil {
			t.Fatalf("retrieval.New: %v", err)
		}
		return r
	})
}
