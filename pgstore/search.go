package pgstore

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	pgvector "github.com/pgvector/pgvector-go"

	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/retrieval"
)

// postingsPerTerm is how many of a query term's postings, the heaviest
// first, the keyword ranking reads (in whole chunks of chunkSize). A passage
// enters the lexical candidates through the terms it weighs most in, so the
// light postings of a common term hardly change the top of the ranking,
// while reading all of them is what made keyword search grow with the
// corpus. Up to this many passages per term the ranking is the in-memory one
// exactly; the knowledge base is far smaller.
const postingsPerTerm = 8000

// termsSQL returns the idf and core flag of the tokens $1 the index knows
// (rows with chunk -1), and the first $3 chunks of postings of those among
// $2 (rows without idf).
const termsSQL = `
SELECT term, idf, core, -1, NULL::bytea FROM terms WHERE term = ANY($1)
UNION ALL
SELECT term, 0, false, chunk, data FROM postings WHERE term = ANY($2) AND chunk < $3`

// postingsSQL returns the first $2 chunks of postings of the terms $1.
const postingsSQL = `SELECT term, chunk, data FROM postings WHERE term = ANY($1) AND chunk < $2`

// vecSQL is the vector ranking: the $2 passages nearest the query vector $1
// by cosine distance, through the HNSW index.
const vecSQL = `
SELECT ord, 1 - (embedding <=> $1), actionable FROM passages
ORDER BY embedding <=> $1 LIMIT $2`

// codeSQL finds the passage whose own code is $1 (1: exact) and those
// listing it among their codes (0: related), through passages_code_key and
// the GIN index on codes.
const codeSQL = `
SELECT ord, CASE WHEN code IS NOT DISTINCT FROM $1 THEN 1 ELSE 0 END::float8, actionable
FROM passages WHERE codes @> ARRAY[$1::text]
UNION
SELECT ord, 1, actionable FROM passages WHERE code = $1`

// hitsSQL returns the passages of the result ($1, by ord) and their cosine
// similarity to the query vector $2.
const hitsSQL = `SELECT ord, body, 1 - (embedding <=> $2) FROM passages WHERE ord = ANY($1)`

// candidate is a passage taking part in the fusion.
type candidate struct {
	fused      float64
	actionable bool
}

// found is a row of one of the rankings or of the code lookup.
type found struct {
	ord        int32
	s          float64
	actionable bool
}

// ranked is a passage of one ranking with its score there.
type ranked struct {
	ord int32
	s   float64
}

func better(a, b ranked) bool { return a.s > b.s || a.s == b.s && a.ord < b.ord }

// Search implements retrieval.Searcher with the in-memory retriever's
// ranking and judgement (retrieval.ModeHybrid), on the same index: the
// query is read by the same analyzer (retrieval.Analyzer.Read), its known
// terms ranked by BM25 over the postings ingest copied from
// retrieval.Lexical, the vector side by the HNSW index, both fused by
// reciprocal rank in Go as in memory, and the top passage judged on the same
// evidence (retrieval.Evidence, retrieval.Confidence). It takes two round
// trips: the query's terms with their postings and the vector ranking with
// the code's passages, at once on two connections; then the passages of the
// result.
func (s *Store) Search(ctx context.Context, q retrieval.Query) (retrieval.Result, error) {
	k := q.K
	if k <= 0 {
		k = 5
	}
	code := strings.ToUpper(strings.TrimSpace(q.Code))
	rd := s.analyzer().Read(q)

	info := retrieval.Tokens(rd.Info)
	expanded := retrieval.Tokens(rd.Expanded)
	vs, err := s.emb.Embed(ctx, []string{q.Text})
	if err != nil {
		return retrieval.Result{}, fmt.Errorf("embed query: %w", err)
	}
	if len(vs) != 1 {
		return retrieval.Result{}, fmt.Errorf("embed query: %s returned %d vectors for 1 text", s.emb.Name(), len(vs))
	}
	qv := pgvector.NewVector(vs[0])

	// 1. At once, on two connections: what the index knows of the query's
	// words with the postings of the informative ones; the vector ranking
	// and the code's passages.
	chunks := (postingsPerTerm + chunkSize - 1) / chunkSize
	var idf map[string]float64
	var core map[string]bool
	var lists map[string]*postingList
	var vecFound, codeFound []found
	var wg sync.WaitGroup
	var termsErr, vecErr error
	wg.Go(func() {
		idf, core, lists, termsErr = s.terms(ctx, append(slices.Clone(info), expanded...), distinct(info), chunks)
	})
	if strings.TrimSpace(q.Text) != "" || code != "" {
		wg.Go(func() {
			b := &pgx.Batch{}
			if strings.TrimSpace(q.Text) != "" {
				b.Queue(vecSQL, qv, retrieval.Candidates).Query(func(rows pgx.Rows) error { return scanFound(rows, &vecFound) })
			}
			if code != "" {
				b.Queue(codeSQL, code).Query(func(rows pgx.Rows) error { return scanFound(rows, &codeFound) })
			}
			vecErr = s.pool.SendBatch(ctx, b).Close()
		})
	}
	wg.Wait()
	if err := cmp.Or(termsErr, vecErr); err != nil {
		return retrieval.Result{}, fmt.Errorf("search passages: %w", err)
	}
	infoTerms, infoCounts, unknown := queryTerms(info, idf)
	terms, counts := infoTerms, infoCounts
	if len(terms) == 0 && len(expanded) > 0 { // generic words only: rank on the expansion
		if terms, counts, _ = queryTerms(expanded, idf); len(terms) > 0 {
			if lists, err = s.postings(ctx, terms, chunks); err != nil {
				return retrieval.Result{}, err
			}
		}
	}

	// 2. The keyword ranking: BM25 summed over the postings read, each
	// passage's terms in query order as memory adds them.
	cands := map[int32]*candidate{}
	cand := func(ord int32, actionable bool) *candidate {
		c, ok := cands[ord]
		if !ok {
			c = &candidate{actionable: actionable}
			cands[ord] = c
		}
		return c
	}
	lexFound := rankPostings(terms, counts, lists, retrieval.Candidates)
	lexTop := make([]ranked, len(lexFound))
	for i, f := range lexFound {
		lexTop[i] = ranked{f.ord, f.s}
		cand(f.ord, f.actionable)
	}
	var vecTop []ranked
	for _, f := range vecFound {
		// Only positive similarity counts, as in memory, whose similarities
		// are float32.
		if cos := float64(float32(f.s)); cos > 0 {
			vecTop = append(vecTop, ranked{f.ord, cos})
			cand(f.ord, f.actionable)
		}
	}
	exact, related := int32(-1), []int32(nil)
	codeActionable := map[int32]bool{}
	for _, f := range codeFound {
		if f.s == 1 { // the code is the passage's own
			exact = f.ord
		} else {
			related = append(related, f.ord)
			codeActionable[f.ord] = f.actionable
		}
	}
	slices.SortFunc(vecTop, cmpRanked)
	slices.Sort(related)
	if exact >= 0 {
		related = slices.DeleteFunc(related, func(o int32) bool { return o == exact })
	}

	// 3. Reciprocal rank fusion, as retrieval.Retriever.Search does it.
	w := retrieval.DefaultVectorWeight
	for rank, c := range lexTop {
		cands[c.ord].fused += 1.0 / float64(retrieval.RRFK+rank+1)
	}
	for rank, c := range vecTop {
		cands[c.ord].fused += w / float64(retrieval.RRFK+rank+1)
	}
	if len(vecTop) == retrieval.Candidates {
		// Memory also counts a passage only the keyword side found at the
		// rank after the last vector candidate, when its similarity is
		// positive (and so below the last one's). A passage sharing words
		// with the query shares n-grams with it too, so here every such
		// passage counts: the similarity is not read for them. The
		// knowledge base has fewer passages than candidates, so over it this
		// never happens.
		inVec := make(map[int32]bool, len(vecTop))
		for _, c := range vecTop {
			inVec[c.ord] = true
		}
		for _, c := range lexTop {
			if !inVec[c.ord] {
				cands[c.ord].fused += w / float64(retrieval.RRFK+retrieval.Candidates+1)
			}
		}
	}
	// A cause the merchant cannot act on comes after actionable ones unless
	// both rankings put it first.
	asked := int32(-1)
	if len(lexTop) > 0 && len(vecTop) > 0 && lexTop[0].ord == vecTop[0].ord {
		asked = lexTop[0].ord
	}
	for ord, c := range cands {
		if !c.actionable && ord != asked {
			c.fused *= retrieval.NonActionable
		}
	}
	for _, ord := range related {
		cand(ord, codeActionable[ord]).fused += 1.0 / retrieval.RRFK
	}
	var order []ranked
	for ord, c := range cands {
		if ord != exact && c.fused > 0 {
			order = append(order, ranked{ord, c.fused})
		}
	}
	slices.SortFunc(order, cmpRanked)
	order = order[:min(len(order), k+1)]

	// 4. The passages of the result.
	var want []int32
	if exact >= 0 {
		want = append(want, exact)
	}
	for _, c := range order {
		if len(want) >= k {
			break
		}
		want = append(want, c.ord)
	}
	if len(want) == 0 {
		return retrieval.Result{}, nil
	}
	passages, cos, err := s.passages(ctx, want, qv)
	if err != nil {
		return retrieval.Result{}, err
	}
	var res retrieval.Result
	for i, ord := range want {
		p, ok := passages[ord]
		if !ok {
			continue // removed by an ingest meanwhile
		}
		if i == 0 && ord == exact {
			res.Hits = append(res.Hits, retrieval.Hit{Passage: p, Score: 1, Exact: true})
			continue
		}
		res.Hits = append(res.Hits, retrieval.Hit{Passage: p, Score: round(cands[ord].fused * retrieval.RRFK / 2)})
	}
	switch {
	case exact >= 0:
		res.Confidence = 1
	case len(order) > 0:
		top, ok := passages[order[0].ord]
		if !ok {
			break
		}
		res.Evidence = evidence(rd, top, infoTerms, idf, core, cos[order[0].ord], order)
		res.Evidence.Terms, res.Evidence.Unknown = len(infoTerms)+unknown, unknown
		res.Confidence = retrieval.Confidence(res.Evidence)
	}
	return res, nil
}

// scanFound appends the rows (ord, score, actionable) to out.
func scanFound(rows pgx.Rows, out *[]found) error {
	defer rows.Close()
	for rows.Next() {
		var f found
		if err := rows.Scan(&f.ord, &f.s, &f.actionable); err != nil {
			return err
		}
		*out = append(*out, f)
	}
	return rows.Err()
}

func cmpRanked(a, b ranked) int {
	switch {
	case better(a, b):
		return -1
	case better(b, a):
		return 1
	}
	return 0
}

// passages returns the passages at ords and their similarity to qv.
func (s *Store) passages(ctx context.Context, ords []int32, qv pgvector.Vector) (map[int32]knowledge.Passage, map[int32]float64, error) {
	rows, err := s.pool.Query(ctx, hitsSQL, ords, qv)
	if err != nil {
		return nil, nil, fmt.Errorf("read passages: %w", err)
	}
	defer rows.Close()
	ps, cos := map[int32]knowledge.Passage{}, map[int32]float64{}
	for rows.Next() {
		var ord int32
		var body []byte
		var c *float64
		if err := rows.Scan(&ord, &body, &c); err != nil {
			return nil, nil, fmt.Errorf("read passages: %w", err)
		}
		var p knowledge.Passage
		if err := json.Unmarshal(body, &p); err != nil {
			return nil, nil, fmt.Errorf("decode passage: %w", err)
		}
		p.Version = p.ContentVersion()
		ps[ord] = p
		if c != nil && !math.IsNaN(*c) { // a zero query vector has no direction
			cos[ord] = float64(float32(*c))
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("read passages: %w", err)
	}
	return ps, cos, nil
}

// queryTerms returns the distinct known tokens of toks in the order they
// first occur, how often each occurs, and how many distinct ones are
// unknown, as retrieval.Lexical reads a query.
func queryTerms(toks []string, idf map[string]float64) (known []string, counts []float64, unknown int) {
	var seen []string
	for _, t := range toks {
		if _, ok := idf[t]; !ok {
			if !slices.Contains(seen, t) {
				seen = append(seen, t)
				unknown++
			}
			continue
		}
		if i := slices.Index(known, t); i >= 0 {
			counts[i]++
			continue
		}
		known, counts = append(known, t), append(counts, 1)
	}
	return known, counts, unknown
}

// evidence is what the top passage rests on, as retrieval.Retriever judges
// it: the share and weight of the query's informative terms it holds (and
// of those, the core ones), its similarity, its lead over the second, the
// specific concepts of the query it speaks of, and whether the query quotes
// one of its screen wordings.
func evidence(rd retrieval.Reading, top knowledge.Passage, terms []string, idf map[string]float64, core map[string]bool, cos float64, order []ranked) retrieval.Evidence {
	holds := map[string]bool{}
	for _, t := range retrieval.Tokens(retrieval.Document(top)) {
		holds[t] = true
	}
	ev := retrieval.Evidence{Similarity: cos, Margin: 1}
	var mass float64
	for _, t := range terms {
		mass += idf[t]
		if holds[t] {
			ev.Matched += idf[t]
			if core[t] {
				ev.Core += idf[t]
			}
		}
	}
	if mass > 0 {
		ev.Coverage = ev.Matched / mass
	} else {
		ev.Matched, ev.Core = 0, 0
	}
	if len(order) > 1 && order[0].s > 0 {
		ev.Margin = (order[0].s - order[1].s) / order[0].s
	}
	ev.Concepts, ev.Supported, ev.Display = rd.Mentions(top, func(word string) bool {
		toks := retrieval.Tokens(word)
		return len(toks) > 0 && !slices.ContainsFunc(toks, func(t string) bool { return !holds[t] })
	})
	return ev
}

func distinct(toks []string) []string {
	seen := make(map[string]bool, len(toks))
	out := make([]string, 0, len(toks))
	for _, t := range toks {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

func round(x float64) float64 { return math.Round(x*1e4) / 1e4 }
