package retrieval

import (
	"context"
	"flag"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/posbot/posbot/knowledge"
)

// TestIndexSnapshotFresh: index.gob holds exactly the index New builds
// for the embedded base; with -update (go generate ./retrieval) it is
// rewritten.
func TestIndexSnapshotFresh(t *testing.T) {
	base, err := knowledge.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	r := &Retriever{base: base, an: NewAnalyzer(base)}
	r.emb = &HashEmbedder{Dim: 512, Analyzer: r.an}
	if err := r.build(context.Background()); err != nil {
		t.Fatal(err)
	}
	lex, vec, ok := indexFromSnapshot(indexData, base, r.an, r.emb)
	same := ok && cmp.Equal(lex.idf, r.lex.idf) && cmp.Equal(lex.core, r.lex.core) && cmp.Equal(lex.terms, r.lex.terms) &&
		cmp.Equal(lex.postings, r.lex.postings, cmp.AllowUnexported(posting{}), cmpopts.EquateEmpty()) &&
		cmp.Equal(vec.flat, r.vec.flat) && vec.dim == r.vec.dim
	if *update {
		if !same {
			b, err := encodeIndex(r)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile("index.gob", b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	if !same {
		t.Fatal("index.gob is stale: run go generate ./retrieval (after go generate ./knowledge)")
	}
}

// TestIndexSnapshotIgnored: the snapshot is not used for another base or
// another embedder.
func TestIndexSnapshotIgnored(t *testing.T) {
	t.Parallel()
	base, err := knowledge.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	an := NewAnalyzer(base)
	if _, _, ok := indexFromSnapshot(indexData, base, an, &HashEmbedder{Dim: 256, Analyzer: an}); ok {
		t.Error("the snapshot was used for a 256-dimension embedder")
	}
	other, err := knowledge.New(base.All()[:3])
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := indexFromSnapshot(indexData, other, an, &HashEmbedder{Dim: 512, Analyzer: an}); ok {
		t.Error("the snapshot was used for another base")
	}
}

var update = flag.Bool("update", false, "rewrite index.gob")
