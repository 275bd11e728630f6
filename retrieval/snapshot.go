package retrieval

import (
	"bytes"
	_ "embed"
	"encoding/gob"
	"fmt"

	"github.com/posbot/posbot/knowledge"
)

// The in-memory index of the embedded knowledge base (postings and
// vectors) takes tens of milliseconds to build: most of a one-shot
// command's start. index.gob holds it, built from the embedded base with
// the default analyzer and embedder; New uses it when it matches what it
// would build, and builds otherwise. Remake it with
//
//	go generate ./retrieval
//
// (after go generate ./knowledge); TestIndexSnapshotFresh fails while it is
// stale.
//
//go:generate go test -run TestIndexSnapshotFresh -update .

//go:embed index.gob
var indexData []byte

// indexVersion changes whenever the index's build changes (tokens, BM25,
// vectors), so an old index.gob is not used.
const indexVersion = 1

// indexSnapshot is what index.gob holds.
type indexSnapshot struct {
	Version  int
	Source   string   // knowledge.Base.Source of the base indexed
	Analyzer string   // Analyzer.Version
	Embedder string   // Embedder.Name
	Terms    []string // by term id
	IDF      []float64
	Core     []bool
	// Postings of term i are Docs[Start[i]:Start[i+1]] with Weights alike.
	Start   []int32
	Docs    []int32
	Weights []float32
	Dim     int
	Vectors []float32
}

// snapshotKey is what an index must have been built from to be reused.
func snapshotKey(base *knowledge.Base, an *Analyzer, emb Embedder) (source, analyzer, embedder string) {
	return base.Source(), an.Version(), emb.Name()
}

func encodeIndex(r *Retriever) ([]byte, error) {
	s := indexSnapshot{Version: indexVersion, IDF: r.lex.idf, Core: r.lex.core, Dim: r.vec.dim, Vectors: r.vec.flat}
	s.Terms = make([]string, len(r.lex.idf))
	for t, id := range r.lex.terms {
		s.Terms[id] = t
	}
	for _, ps := range r.lex.postings {
		s.Start = append(s.Start, int32(len(s.Docs)))
		for _, p := range ps {
			s.Docs = append(s.Docs, p.doc)
			s.Weights = append(s.Weights, p.w)
		}
	}
	s.Start = append(s.Start, int32(len(s.Docs)))
	s.Source, s.Analyzer, s.Embedder = snapshotKey(r.base, r.an, r.emb)
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(s); err != nil {
		return nil, fmt.Errorf("encode index: %w", err)
	}
	return buf.Bytes(), nil
}

// indexFromSnapshot returns the lexical and vector index in data if it was
// built from base with an and emb.
func indexFromSnapshot(data []byte, base *knowledge.Base, an *Analyzer, emb Embedder) (*Lexical, *vectorIndex, bool) {
	source, analyzer, embedder := snapshotKey(base, an, emb)
	if len(data) == 0 || source == "" {
		return nil, nil, false
	}
	var s indexSnapshot
	if gob.NewDecoder(bytes.NewReader(data)).Decode(&s) != nil || s.Version != indexVersion ||
		s.Source != source || s.Analyzer != analyzer || s.Embedder != embedder || s.Dim == 0 {
		return nil, nil, false
	}
	if len(s.Start) != len(s.Terms)+1 || len(s.IDF) != len(s.Terms) || len(s.Core) != len(s.Terms) {
		return nil, nil, false
	}
	lex := &Lexical{terms: make(map[string]int32, len(s.Terms)), idf: s.IDF, core: s.Core, n: base.Len(),
		postings: make([][]posting, len(s.Terms))}
	all := make([]posting, len(s.Docs))
	for i := range all {
		all[i] = posting{doc: s.Docs[i], w: s.Weights[i]}
	}
	for id, t := range s.Terms {
		lex.terms[t] = int32(id)
		lex.postings[id] = all[s.Start[id]:s.Start[id+1]:s.Start[id+1]]
	}
	vec := &vectorIndex{dim: s.Dim, n: len(s.Vectors) / s.Dim, flat: s.Vectors}
	if vec.n != base.Len() {
		return nil, nil, false
	}
	return lex, vec, true
}
