// Package bottest builds the offline engine for other packages' tests: the
// embedded knowledge base with the in-memory hybrid retriever, as posbot runs
// with no services. The base and retriever are built once per test process;
// both are read-only, so tests may share them.
package bottest

import (
	"context"
	"sync"
	"testing"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/retrieval"
)

type parts struct {
	base *knowledge.Base
	r    *retrieval.Retriever
}

var offline = sync.OnceValues(func() (parts, error) {
	base, err := knowledge.Embedded()
	if err != nil {
		return parts{}, err
	}
	r, err := retrieval.New(context.Background(), base, retrieval.Options{})
	return parts{base, r}, err
})

func get(t testing.TB) parts {
	t.Helper()
	p, err := offline()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Searcher returns the in-memory hybrid retriever over the embedded knowledge base.
func Searcher(t testing.TB) *retrieval.Retriever { t.Helper(); return get(t).r }

// Base returns the embedded knowledge base.
func Base(t testing.TB) *knowledge.Base { t.Helper(); return get(t).base }

// Engine returns an offline Engine; opts adjust its Config before it is built.
func Engine(t testing.TB, opts ...func(*bot.Config)) *bot.Engine {
	t.Helper()
	p := get(t)
	cfg := bot.Config{Base: p.base, Searcher: p.r}
	for _, o := range opts {
		o(&cfg)
	}
	e, err := bot.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}
