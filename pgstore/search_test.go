package pgstore_test

import (
	"testing"

	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/retrieval"
	"github.com/posbot/posbot/retrieval/searchertest"
)

func TestSearcherContract(t *testing.T) {
	searchertest.Run(t, func(t *testing.T, base *knowledge.Base) retrieval.Searcher {
		return ingestedStore(t, base)
	})
}
