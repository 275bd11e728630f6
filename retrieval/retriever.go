// Package retrieval finds the knowledge passages that answer a merchant's
// message: exact response-code lookup first, then lexical (BM25 over CJK
// bigrams with a domain synonym table) and vector search, fused by
// reciprocal rank.
package retrieval

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/posbot/posbot/knowledge"
)

// Modes of retrieval, for ablation in the evaluation harness.
const (
	ModeLexical = "lexical"
	ModeVector  = "vector"
	ModeHybrid  = "hybrid"
)

// Query is what the engine asks for.
type Query struct {
	// Text is the normalised, redacted message text.
	Text string
	// Code is a normalised response code found in the message, if any.
	Code string
	// K is how many hits to return (5 if <= 0).
	K int
	// Scan is the lexicon's reading of Text in lower case, when the caller
	// has it already (the engine does); a searcher reading queries with the
	// same lexicon uses it instead of reading Text again. Zero means none.
	Scan knowledge.Scan
}

// Hit is one retrieved passage.
type Hit struct {
	Passage knowledge.Passage
	// Score is the fused score used for ranking.
	Score float64
	// Exact is true when the passage was found by its response code.
	Exact bool
}

// Result is the outcome of one search.
type Result struct {
	Hits []Hit
	// Confidence in [0,1] that the top hit answers the query: 1 for an exact
	// code match; otherwise derived from how much of the query's informative
	// weight the top passage covers and how similar it is.
	Confidence float64
	// Evidence is what the confidence was judged on (zero for an exact code).
	Evidence Evidence
}

// Searcher is anything that can answer a Query: the in-memory Retriever here
// and the PostgreSQL store implement it.
type Searcher interface {
	Search(ctx context.Context, q Query) (Result, error)
}

var _ Searcher = (*Retriever)(nil)

// Retriever searches an in-memory index of the knowledge base. It is
// read-only after New and safe for concurrent use.
type Retriever struct {
	base   *knowledge.Base
	an     *Analyzer
	mode   string
	lex    *Lexical
	emb    Embedder
	vw     float64
	vec    *vectorIndex
	pos    map[string]int     // passage id → index
	byCode map[string][]int32 // code → passages listing it as related
	pool   sync.Pool
}

// Options configure a Retriever.
type Options struct {
	// Mode is ModeLexical, ModeVector or ModeHybrid (the default).
	Mode string
	// Embedder embeds passages and queries (a HashEmbedder if nil).
	Embedder Embedder
	// Analyzer reads queries with the lexicons (DefaultAnalyzer if nil).
	Analyzer *Analyzer
	// VectorWeight weighs the vector ranking against the lexical one in
	// hybrid fusion (DefaultVectorWeight if zero).
	VectorWeight float64
}

// DefaultVectorWeight is the hybrid fusion weight of the vector ranking,
// chosen with the evaluation harness (see README): the local hash embedder
// sees surface n-grams only, so it breaks ties rather than leads.
const DefaultVectorWeight = 0.5

// New indexes the knowledge base. It embeds every passage once, so with a
// remote embedder it makes network calls.
func New(ctx context.Context, base *knowledge.Base, opts Options) (*Retriever, error) {
	if opts.Mode == "" {
		opts.Mode = ModeHybrid
	}
	if !slices.Contains([]string{ModeLexical, ModeVector, ModeHybrid}, opts.Mode) {
		return nil, fmt.Errorf("unknown retrieval mode %q", opts.Mode)
	}
	if opts.Analyzer == nil && len(base.Lexicons()) > 0 { // not Matcher(): it may still be building
		opts.Analyzer = NewAnalyzer(base)
	}
	if opts.Analyzer == nil {
		opts.Analyzer = DefaultAnalyzer()
	}
	if opts.Embedder == nil {
		opts.Embedder = &HashEmbedder{Dim: 512, Analyzer: opts.Analyzer}
	}
	if opts.VectorWeight == 0 {
		opts.VectorWeight = DefaultVectorWeight
	}
	r := &Retriever{base: base, an: opts.Analyzer, mode: opts.Mode, emb: opts.Embedder, vw: opts.VectorWeight}
	var ok bool
	if r.lex, r.vec, ok = indexFromSnapshot(indexData, base, r.an, r.emb); !ok {
		if err := r.build(ctx); err != nil {
			return nil, err
		}
	}
	r.pos = make(map[string]int, base.Len())
	r.byCode = map[string][]int32{}
	for i, p := range base.All() {
		r.pos[p.ID] = i
		for _, c := range p.Codes {
			r.byCode[strings.ToUpper(c)] = append(r.byCode[strings.ToUpper(c)], int32(i))
		}
	}
	n := base.Len()
	r.pool.New = func() any {
		return &scratch{lex: make([]float64, n), fused: make([]float64, n), cos: make([]float64, n)}
	}
	return r, nil
}

// build indexes the knowledge base: postings, and vectors (which with a
// remote embedder makes network calls).
func (r *Retriever) build(ctx context.Context) error {
	texts := make([]string, r.base.Len())
	for i, p := range r.base.All() {
		texts[i] = EmbedText(p)
	}
	done := make(chan *Lexical, 1)
	go func() { done <- NewLexical(r.base.All()) }() // the two halves in parallel
	vecs, err := r.emb.Embed(ctx, texts)
	r.lex = <-done
	if err != nil {
		return fmt.Errorf("embed knowledge base: %w", err)
	}
	r.vec = newVectorIndex(vecs)
	return nil
}

// EmbedText is the text a passage is embedded as: what it is and how
// merchants describe it, which is what queries look like.
func EmbedText(p knowledge.Passage) string {
	parts := []string{p.Title, p.Summary}
	parts = append(parts, p.Display...)
	parts = append(parts, p.Phrasings...)
	return strings.Join(parts, "。")
}

// Analyzer returns the analyzer the retriever reads queries with.
func (r *Retriever) Analyzer() *Analyzer { return r.an }

// Mode returns the retrieval mode.
func (r *Retriever) Mode() string { return r.mode }

// RRFK damps the reciprocal-rank fusion: the usual 60 suits lists of a few
// dozen candidates.
const RRFK = 60

// matchedEnough is the idf mass (about two specific shared terms) at which
// the matched weight alone counts as full evidence.
const matchedEnough = 7.0

// NonActionable scales down causes a merchant cannot act on at the counter.
const NonActionable = 0.85

// Candidates is how many passages of each ranking take part in fusion.
// Beyond it a reciprocal rank adds little; a passage the other ranking
// found is counted at rank candidates, a bound. The knowledge base is
// smaller than this, so fusion over it is exact.
const Candidates = 200

// scratch is one search's working memory, pooled: dense score arrays would
// otherwise be allocated per query, which at 100k passages costs more than
// the search.
type scratch struct {
	lex, fused, cos []float64
	touched         []int32
	touchedLex      []int32
	top, vecTop     []scored
	keys            []uint64
	terms           []queryTerm
	tz              tokenizer
	qv              []float32
	rs              []rune
	q               sparse
}

// scored is a passage and its score.
type scored struct {
	i int32
	s float64
}

// better orders scored passages: higher score first, then lower index.
func better(a, b scored) bool { return a.s > b.s || a.s == b.s && a.i < b.i }

// topK keeps the k best of the scored passages fed to push, by a min-heap.
type topK struct {
	k    int
	heap []scored
}

func (t *topK) push(x scored) {
	h := t.heap
	if len(h) < t.k {
		h = append(h, x)
		for j := len(h) - 1; j > 0; { // sift up: the worst on top
			p := (j - 1) / 2
			if !better(h[p], h[j]) {
				break
			}
			h[p], h[j] = h[j], h[p]
			j = p
		}
		t.heap = h
		return
	}
	if !better(x, h[0]) {
		return
	}
	h[0] = x
	for j := 0; ; { // sift down
		l, r, m := 2*j+1, 2*j+2, j
		if l < len(h) && better(h[m], h[l]) {
			m = l
		}
		if r < len(h) && better(h[m], h[r]) {
			m = r
		}
		if m == j {
			break
		}
		h[m], h[j] = h[j], h[m]
		j = m
	}
}

// sorted returns the kept passages, best first.
func (t *topK) sorted() []scored {
	out := slices.Clone(t.heap)
	sortScored(out)
	return out
}

// TopK keeps the k best of the passages (by index) and scores pushed to it:
// the retriever's own selection, for searchers that score passages
// themselves (pgstore). Ties go to the lower index.
type TopK struct{ t topK }

// NewTopK returns a TopK keeping k.
func NewTopK(k int) *TopK { return &TopK{t: topK{k: k}} }

// Push offers passage i with score s.
func (t *TopK) Push(i int32, s float64) { t.t.push(scored{i, s}) }

// Sorted returns the kept passages and their scores, best first.
func (t *TopK) Sorted() (is []int32, ss []float64) {
	for _, c := range t.t.sorted() {
		is, ss = append(is, c.i), append(ss, c.s)
	}
	return is, ss
}

// sortScored sorts s best first. Passages are unique, so better is a strict
// total order and every correct sort gives this order; this one compares
// inline, which a sort taking a comparison function cannot.
func sortScored(s []scored) {
	for len(s) > 12 {
		// The median of the first, middle and last as the pivot, at the end.
		last, mid := len(s)-1, len(s)/2
		if better(s[mid], s[0]) {
			s[0], s[mid] = s[mid], s[0]
		}
		if better(s[last], s[0]) {
			s[0], s[last] = s[last], s[0]
		}
		if better(s[mid], s[last]) {
			s[mid], s[last] = s[last], s[mid]
		}
		pivot, p := s[last], 0
		for i := range last {
			if better(s[i], pivot) {
				s[i], s[p] = s[p], s[i]
				p++
			}
		}
		s[p], s[last] = s[last], s[p]
		// Recurse into the smaller part, loop on the larger.
		if p < len(s)-p-1 {
			sortScored(s[:p])
			s = s[p+1:]
		} else {
			sortScored(s[p+1:])
			s = s[:p]
		}
	}
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && better(s[j], s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// Search implements Searcher. It scores only the passages that share a
// term with the query (inverted index), keeps the best candidates of each
// ranking in a heap, and fuses those.
func (r *Retriever) Search(ctx context.Context, q Query) (Result, error) {
	k := q.K
	if k <= 0 {
		k = 5
	}
	// One reading of the query serves ranking, confidence and the vector.
	rd := r.an.Read(q)
	expanded, info := rd.Expanded, rd.Info
	sc := r.pool.Get().(*scratch)
	defer r.pool.Put(sc)
	infoTerms, unknown := r.lex.appendQueryTerms(&sc.tz, sc.terms[:0], info)
	terms := infoTerms
	if _, hit := r.lex.coverage(terms, -1); hit == 0 {
		terms, _ = r.lex.appendQueryTerms(&sc.tz, terms[len(terms):], expanded)
	}
	defer func() { sc.terms = infoTerms[:0] }()
	fused := sc.fused
	cands := sc.touched[:0]
	add := func(i int32, f float64) {
		if fused[i] == 0 {
			cands = append(cands, i)
		}
		fused[i] += f
	}
	defer func() {
		for _, i := range cands {
			fused[i] = 0
		}
		sc.touched = cands[:0]
	}()

	var lexTop []scored
	if r.mode != ModeVector {
		touched := r.lex.score(terms, sc.lex, sc.touchedLex[:0])
		sc.touchedLex = touched[:0]
		if len(touched) <= Candidates {
			// Every passage touched takes part: no need to pick.
			lexTop = sc.top[:0]
			for _, i := range touched {
				lexTop = append(lexTop, scored{i, sc.lex[i]})
				sc.lex[i] = 0
			}
			sortScored(lexTop)
			sc.top = lexTop[:0]
		} else {
			t := topK{k: Candidates, heap: sc.top[:0]}
			for _, i := range touched {
				t.push(scored{i, sc.lex[i]})
				sc.lex[i] = 0
			}
			lexTop = t.sorted()
			sc.top = t.heap[:0]
		}
		for rank, c := range lexTop {
			add(c.i, 1.0/float64(RRFK+rank+1))
		}
	}
	var cos func(int32) float64
	var vecTop []scored
	if r.mode != ModeLexical {
		var qv []float32
		if h, ok := r.emb.(*HashEmbedder); ok && h.Analyzer == r.an {
			sc.qv, sc.rs = h.vectorInto(sc.qv, sc.rs, expanded) // the query is read already
			qv = sc.qv
		} else {
			vs, err := r.emb.Embed(ctx, []string{q.Text})
			if err != nil {
				return Result{}, fmt.Errorf("embed query: %w", err)
			}
			qv = vs[0]
		}
		sc.q.set(qv)
		r.vec.scores(sc.q, sc.cos)
		sims := sc.cos
		cos = func(i int32) float64 { return sims[i] }
		vecTop, sc.keys = r.vec.top(sc.cos, Candidates, sc.vecTop, sc.keys)
		sc.vecTop = vecTop[:0]
		w := r.vw
		if r.mode == ModeVector {
			w = 1
		}
		for rank, c := range vecTop {
			add(c.i, w/float64(RRFK+rank+1))
		}
		if len(vecTop) == Candidates {
			bound := vecTop[len(vecTop)-1].s
			for _, c := range lexTop {
				if s := cos(c.i); s > 0 && s < bound {
					add(c.i, w/float64(RRFK+Candidates+1))
				}
			}
		}
	}

	all := r.base.All()
	exact := -1
	if q.Code != "" {
		if p, ok := r.base.ByCode(q.Code); ok {
			exact = r.pos[p.ID]
		}
	}
	// A cause the merchant cannot act on is ranked after actionable ones,
	// unless both rankings put it first: then it is what the merchant asked
	// about ("顾客都用扫码，消费习惯变了" is about habits, not a QR failure).
	asked := int32(-1)
	switch {
	case len(lexTop) > 0 && (cos == nil || len(vecTop) > 0 && lexTop[0].i == vecTop[0].i):
		asked = lexTop[0].i
	case len(lexTop) == 0 && len(vecTop) > 0 && r.mode == ModeVector:
		asked = vecTop[0].i
	}
	for _, i := range cands {
		if !all[i].Actionable && i != asked {
			fused[i] *= NonActionable
		}
	}
	var related []int32
	if q.Code != "" {
		related = r.byCode[strings.ToUpper(q.Code)]
	}
	for _, i := range related {
		// Passages that list the code as related come right after the code itself.
		add(i, 1.0/RRFK)
	}
	best := topK{k: k + 1}
	for _, i := range cands {
		if r.mode == ModeLexical && !slices.ContainsFunc(lexTop, func(c scored) bool { return c.i == i }) && !slices.Contains(related, i) {
			continue
		}
		if int(i) != exact && fused[i] > 0 {
			best.push(scored{i, fused[i]})
		}
	}
	order := best.sorted()

	var res Result
	if exact >= 0 || len(order) > 0 {
		res.Hits = make([]Hit, 0, min(k, len(order)+1))
	}
	if exact >= 0 {
		res.Hits = append(res.Hits, Hit{Passage: all[exact], Score: 1, Exact: true})
	}
	for _, c := range order {
		if len(res.Hits) >= k {
			break
		}
		res.Hits = append(res.Hits, Hit{Passage: all[c.i], Score: round(c.s * RRFK / 2)})
	}
	switch {
	case exact >= 0:
		res.Confidence = 1
	case len(order) > 0:
		c := 0.0
		if cos != nil {
			c = cos(order[0].i)
		}
		res.Evidence = r.evidence(infoTerms, int(order[0].i), c, order)
		res.Evidence.Terms, res.Evidence.Unknown = len(infoTerms)+unknown, unknown
		doc := int(order[0].i)
		res.Evidence.Concepts, res.Evidence.Supported, res.Evidence.Display = rd.Mentions(all[doc],
			func(word string) bool { return r.lex.holdsWord(&sc.tz, word, doc) })
		res.Confidence = r.confidence(res.Evidence)
	}
	return res, nil
}

// Evidence is what a search's top passage rests on, for judging how sure
// an answer may be.
type Evidence struct {
	// Coverage is the share of the query's informative weight the top
	// passage holds; Matched is that weight (idf); Core is the part of it
	// from terms that name things (titles, screen wordings, key terms,
	// merchants' phrasings) rather than words of remedy steps.
	Coverage, Matched, Core float64
	// Similarity is the top passage's cosine similarity to the query.
	Similarity float64
	// Margin is how far ahead of the second passage the top one is, as a
	// share of its fused score.
	Margin float64
	// Terms is how many informative terms the query has; Unknown how many
	// of its informative terms no passage holds.
	Terms, Unknown int
	// Concepts is how many specific lexicon concepts the query mentions;
	// Supported how many of them the top passage speaks of.
	Concepts, Supported int
	// Display is true when the query quotes one of the top passage's
	// screen wordings.
	Display bool
}

func (r *Retriever) evidence(terms []queryTerm, top int, cos float64, order []scored) Evidence {
	cov, hit, core := r.lex.coverageCore(terms, top)
	ev := Evidence{Coverage: cov, Matched: hit, Core: core, Similarity: cos, Margin: 1}
	if len(order) > 1 && order[0].s > 0 {
		ev.Margin = (order[0].s - order[1].s) / order[0].s
	}
	return ev
}

// confidence combines lexical coverage (how much of the query's informative
// weight the top passage contains) with vector similarity. Either alone is
// fooled: coverage by one shared rare word, similarity by shared filler.
//
// Both are judged on the informative part of the query only: a message made
// of generic failure words has confidence 0 however well it matches.
func (r *Retriever) confidence(ev Evidence) float64 { return confidence(r.mode, ev) }

// Confidence is the confidence a hybrid search has in a top passage with
// evidence ev, for searchers other than Retriever: the dialogue's
// confidence bar means the same on every backend.
func Confidence(ev Evidence) float64 { return confidence(ModeHybrid, ev) }

func confidence(mode string, ev Evidence) float64 {
	if ev.Matched == 0 {
		return 0
	}
	if ev.Core == 0 {
		// Shared prose words only (知道, 一下): no evidence of any cause.
		return 0
	}
	var c float64
	switch mode {
	case ModeLexical:
		c = lexicalEvidence(ev.Coverage, ev.Matched)
	case ModeVector:
		c = 0.5*math.Min(1, ev.Matched/matchedEnough) + 0.5*similarity(ev.Similarity)
	default:
		c = HybridConfidence(ev.Coverage, ev.Matched, ev.Similarity)
	}
	return round(math.Min(1, c))
}

// HybridConfidence is the confidence of a hybrid search's top passage, from
// the share (cov) and the idf weight (hit) of the query's informative terms
// it contains and its cosine similarity to the query. Every Searcher uses it,
// so the dialogue's confidence bar means the same on every backend.
func HybridConfidence(cov, hit, cos float64) float64 {
	if hit == 0 {
		return 0
	}
	return round(math.Min(1, 0.7*lexicalEvidence(cov, hit)+0.3*similarity(cos)))
}

// lexicalEvidence: a long message dilutes coverage, while a few rare shared
// terms are evidence on their own, saturating at matchedEnough idf.
func lexicalEvidence(cov, hit float64) float64 {
	return 0.5*cov + 0.5*math.Min(1, hit/matchedEnough)
}

// similarity rescales cosine similarity from [0.1, 0.6] to [0, 1].
func similarity(cos float64) float64 { return math.Max(0, (cos-0.1)/0.5) }

func round(x float64) float64 { return math.Round(x*1e4) / 1e4 }
