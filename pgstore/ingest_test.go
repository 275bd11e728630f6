package pgstore_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/pgstore"
	"github.com/posbot/posbot/retrieval"
)

// edited returns a copy of base's passages with edit applied to each, minus
// those edit returns false for, as a new base.
func edited(t *testing.T, base *knowledge.Base, edit func(p *knowledge.Passage) bool) *knowledge.Base {
	t.Helper()
	var ps []knowledge.Passage
	for _, p := range base.All() {
		p.Codes = slices.Clone(p.Codes) // knowledge.New normalises them in place
		if edit(&p) {
			ps = append(ps, p)
		}
	}
	b, err := knowledge.New(ps)
	if err != nil {
		t.Fatalf("knowledge.New: %v", err)
	}
	return b
}

func TestIngest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	base := embedded(t)
	n := base.Len()
	s, _ := migratedStore(t)
	hash := &countingEmbedder{Embedder: retrieval.NewHashEmbedder(0)}

	steps := []struct {
		name     string
		base     *knowledge.Base
		emb      *countingEmbedder
		want     pgstore.IngestReport
		embedded int64
	}{
		{"first run adds everything", base, hash,
			pgstore.IngestReport{Added: n, Reembedded: n}, int64(n)},
		{"second run changes nothing", base, hash,
			pgstore.IngestReport{Unchanged: n}, 0},
		{"a new title re-embeds one passage",
			edited(t, base, func(p *knowledge.Passage) bool {
				if p.ID == "msg-comm-fail" {
					p.Title += "（网络）"
				}
				return true
			}), hash,
			pgstore.IngestReport{Updated: 1, Unchanged: n - 1, Reembedded: 1}, 1},
		{"advice outside the embed text updates without embedding",
			edited(t, base, func(p *knowledge.Passage) bool {
				if p.ID == "msg-comm-fail" {
					p.Title += "（网络）"
				}
				if p.ID == "code-51" {
					p.Avoid = append(slices.Clone(p.Avoid), "不要反复刷同一张卡。")
				}
				return true
			}), hash,
			pgstore.IngestReport{Updated: 1, Unchanged: n - 1}, 0},
		{"back to the original",
			base, hash,
			pgstore.IngestReport{Updated: 2, Unchanged: n - 2, Reembedded: 1}, 1},
		{"removed passages are deleted",
			edited(t, base, func(p *knowledge.Passage) bool { return p.ID != "hw-printer" && p.ID != "code-A0" }), hash,
			pgstore.IngestReport{Unchanged: n - 2, Deleted: 2}, 0},
		{"another embedder re-embeds everything",
			base, &countingEmbedder{Embedder: retrieval.NewHashEmbedder(0), name: "hash-ngram-512-v2"},
			pgstore.IngestReport{Added: 2, Unchanged: n - 2, Reembedded: n}, int64(n)},
		{"another dimension resizes the column",
			base, &countingEmbedder{Embedder: retrieval.NewHashEmbedder(256)},
			pgstore.IngestReport{Unchanged: n, Reembedded: n}, int64(n)},
	}
	for _, st := range steps {
		before := st.emb.texts.Load()
		got, err := s.Ingest(ctx, st.base, st.emb, nil)
		if err != nil {
			t.Fatalf("%s: Ingest: %v", st.name, err)
		}
		st.want.Embedder = st.emb.Name()
		st.want.Dimension = len(mustEmbed(t, st.emb))
		if got != st.want {
			t.Errorf("%s: report\n got %+v\nwant %+v", st.name, got, st.want)
		}
		if d := st.emb.texts.Load() - before - 1; d != st.embedded { // -1: mustEmbed's probe
			t.Errorf("%s: embedded %d texts, want %d", st.name, d, st.embedded)
		}
	}

	// The store now serves the 256-dimension embedder and refuses the 512 one.
	s256, err := pgstore.Open(ctx, dsnOf(t, s), pgstore.WithEmbedder(retrieval.NewHashEmbedder(256)))
	if err != nil {
		t.Fatal(err)
	}
	defer s256.Close()
	if err := s256.Ready(ctx); err != nil {
		t.Errorf("Ready with the ingested embedder: %v", err)
	}
	res, err := s256.Search(ctx, retrieval.Query{Text: "机器一直通讯失败", K: 3})
	if err != nil || len(res.Hits) == 0 || res.Hits[0].Passage.ID != "msg-comm-fail" {
		t.Errorf("Search after resizing = %v, %v; want msg-comm-fail first", ids(res), err)
	}
	if err := s.Ready(ctx); err == nil || !strings.Contains(err.Error(), "posbot ingest") {
		t.Errorf("Ready with another embedder = %v, want an error saying to run posbot ingest", err)
	}
}

func mustEmbed(t *testing.T, e retrieval.Embedder) []float32 {
	t.Helper()
	v, err := e.Embed(context.Background(), []string{"probe"})
	if err != nil {
		t.Fatal(err)
	}
	return v[0]
}

// dsnOf returns the database URL of a store made by migratedStore.
func dsnOf(t *testing.T, s *pgstore.Store) string {
	t.Helper()
	dsn, ok := storeURLs.Load(s)
	if !ok {
		t.Fatal("store not made by migratedStore")
	}
	return dsn.(string)
}

func TestReadyBeforeIngest(t *testing.T) {
	t.Parallel()
	s, _ := migratedStore(t)
	if err := s.Ready(context.Background()); err == nil || !strings.Contains(err.Error(), "posbot ingest") {
		t.Errorf("Ready on an empty store = %v, want an error saying to run posbot ingest", err)
	}
}

// TestIngestIndex checks what Search relies on: the postings and terms are
// exactly the in-memory retriever's (so ranking and confidence agree with
// it), passages sit at their place in the base, every passage has an
// embedding, and the HNSW index is used for the nearest-neighbour query.
func TestIngestIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	base := embedded(t)
	s, dsn := migratedStore(t)
	var out bytes.Buffer
	if _, err := s.Ingest(ctx, base, retrieval.NewHashEmbedder(0), &out); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("embedding: %d/%d\n", base.Len(), base.Len()); !strings.Contains(out.String(), want) {
		t.Errorf("progress output has no embedding lines:\n%s", out.String())
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// The postings and terms are retrieval.Lexical's over the same passages,
	// to the bit.
	type posting struct {
		term string
		ord  int32
	}
	wantW := map[posting]float32{}
	wantTerms := map[string]string{}
	retrieval.NewLexical(base.All()).EachTerm(func(term string, idf float64, core bool, docs []int32, ws []float32) {
		wantTerms[term] = fmt.Sprint(idf, core)
		for i, d := range docs {
			wantW[posting{term, d}] = ws[i]
		}
	})
	// Each term's postings come heaviest first (ties by ord), chunk after
	// chunk.
	rows, err := conn.Query(ctx, `SELECT term, data FROM postings ORDER BY term, chunk`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	last := map[string]posting{}
	lastW := map[string]float32{}
	for rows.Next() {
		var term string
		var data []byte
		if err := rows.Scan(&term, &data); err != nil {
			t.Fatal(err)
		}
		if len(data) == 0 || len(data)%9 != 0 || len(data) > 9*500 {
			t.Fatalf("term %q: a chunk of %d bytes, want up to 500 postings of 9", term, len(data))
		}
		for ; len(data) > 0; data = data[9:] {
			ord := int32(binary.LittleEndian.Uint32(data))
			w := math.Float32frombits(binary.LittleEndian.Uint32(data[4:]))
			if p := base.All()[ord]; (data[8] == 1) != p.Actionable {
				t.Errorf("posting %q of %s: actionable byte %d, passage actionable %v", term, p.ID, data[8], p.Actionable)
			}
			pg := posting{term, ord}
			n++
			if want, ok := wantW[pg]; !ok || want != w {
				t.Errorf("posting %q of passage %d: weight %v, want %v (in the index: %v)", term, ord, w, want, ok)
			}
			if prev, ok := last[term]; ok && (w > lastW[term] || w == lastW[term] && ord < prev.ord) {
				t.Errorf("term %q: passage %d (%v) after %d (%v)", term, ord, w, prev.ord, lastW[term])
			}
			last[term], lastW[term] = pg, w
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != len(wantW) {
		t.Errorf("%d postings stored, want %d", n, len(wantW))
	}
	rows, err = conn.Query(ctx, `SELECT term, idf, core FROM terms`)
	if err != nil {
		t.Fatal(err)
	}
	n = 0
	for rows.Next() {
		var term string
		var idf float64
		var core bool
		if err := rows.Scan(&term, &idf, &core); err != nil {
			t.Fatal(err)
		}
		n++
		if got := fmt.Sprint(idf, core); got != wantTerms[term] {
			t.Errorf("term %q: idf and core %s, want %q", term, got, wantTerms[term])
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != len(wantTerms) {
		t.Errorf("%d terms stored, want %d", n, len(wantTerms))
	}

	rows, err = conn.Query(ctx, `SELECT id, ord, embedding IS NOT NULL FROM passages`)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for rows.Next() {
		var id string
		var ord int32
		var hasEmb bool
		if err := rows.Scan(&id, &ord, &hasEmb); err != nil {
			t.Fatal(err)
		}
		seen++
		if p, _ := base.ByID(id); base.All()[ord].ID != p.ID {
			t.Errorf("%s is stored at ord %d, which is %s in the base", id, ord, base.All()[ord].ID)
		}
		if !hasEmb {
			t.Errorf("%s has no embedding", id)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if seen != base.Len() {
		t.Errorf("%d passages stored, want %d", seen, base.Len())
	}

	// With 162 rows the planner prefers a sequential scan; forbid it to see
	// that the index can serve the query at all.
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	var plan strings.Builder
	_, _ = tx.Exec(ctx, `SET LOCAL enable_seqscan = off`)
	rs, err := tx.Query(ctx, `EXPLAIN SELECT id FROM passages ORDER BY embedding <=> (SELECT embedding FROM passages LIMIT 1) LIMIT 5`)
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		var line string
		_ = rs.Scan(&line)
		plan.WriteString(line + "\n")
	}
	if !strings.Contains(plan.String(), "passages_embedding_hnsw") {
		t.Errorf("nearest-neighbour plan does not use the HNSW index:\n%s", plan.String())
	}
}

// TestIngestConcurrently: two replicas ingesting at once take turns; the
// second finds everything done.
func TestIngestConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	base := embedded(t)
	s, _ := migratedStore(t)
	var wg sync.WaitGroup
	reps := make([]pgstore.IngestReport, 2)
	errs := make([]error, 2)
	for i := range reps {
		wg.Go(func() { reps[i], errs[i] = s.Ingest(ctx, base, retrieval.NewHashEmbedder(0), nil) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("Ingest: %v", err)
		}
	}
	if reps[0].Added+reps[1].Added != base.Len() || reps[0].Unchanged+reps[1].Unchanged != base.Len() {
		t.Errorf("reports %+v and %+v: want one to add every passage and the other to find them unchanged", reps[0], reps[1])
	}
}
