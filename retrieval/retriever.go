// Package retrieval finds the knowledge passages that answer a merchant's
// message: exact response-code lookup first, then lexical (BM25 over CJK
// bigrams with a domain synonym table) and vector search, fused by
// reciprocal rank.
package retrieval

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

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
	base    *knowledge.Base
	an      *Analyzer
	mode    string
	lex     *Lexical
	emb     Embedder
	vw      float64
	vectors [][]float32
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
	if opts.Embedder == nil {
		opts.Embedder = NewHashEmbedder(0)
	}
	if opts.VectorWeight == 0 {
		opts.VectorWeight = DefaultVectorWeight
	}
	if opts.Analyzer == nil && base.Matcher() != nil {
		opts.Analyzer = NewAnalyzer(base)
	}
	if opts.Analyzer == nil {
		opts.Analyzer = DefaultAnalyzer()
	}
	r := &Retriever{base: base, an: opts.Analyzer, mode: opts.Mode, lex: NewLexical(base.All()), emb: opts.Embedder, vw: opts.VectorWeight}
	texts := make([]string, base.Len())
	for i, p := range base.All() {
		texts[i] = EmbedText(p)
	}
	vecs, err := r.emb.Embed(ctx, texts)
	if err != nil {
		return nil, fmt.Errorf("embed knowledge base: %w", err)
	}
	r.vectors = vecs
	return r, nil
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

// rrfK damps the reciprocal-rank fusion: the usual 60 suits lists of a few
// dozen candidates.
const rrfK = 60

// matchedEnough is the idf mass (about two specific shared terms) at which
// the matched weight alone counts as full evidence.
const matchedEnough = 7.0

// nonActionable scales down causes a merchant cannot act on at the counter.
const nonActionable = 0.85

// Search implements Searcher.
func (r *Retriever) Search(ctx context.Context, q Query) (Result, error) {
	k := q.K
	if k <= 0 {
		k = 5
	}
	lower := strings.ToLower(q.Text)
	// Rank on what tells causes apart; generic failure words match everything.
	info := r.an.Informative(lower)
	text := info
	if _, hit := r.lex.Coverage(text, -1); hit == 0 {
		text = r.an.Expand(lower)
	}
	n := r.base.Len()
	fused := make([]float64, n)

	var lexScores, cos []float64
	if r.mode != ModeVector {
		lexScores = r.lex.Scores(text)
		addRRF(fused, lexScores, 1.0)
	}
	if r.mode != ModeLexical {
		qv, err := r.emb.Embed(ctx, []string{q.Text})
		if err != nil {
			return Result{}, fmt.Errorf("embed query: %w", err)
		}
		cos = make([]float64, n)
		for i, v := range r.vectors {
			cos[i] = dot(qv[0], v)
		}
		w := r.vw
		if r.mode == ModeVector {
			w = 1
		}
		addRRF(fused, cos, w)
	}

	all := r.base.All()
	var exact = -1
	if q.Code != "" {
		if p, ok := r.base.ByCode(q.Code); ok {
			for i := range all {
				if all[i].ID == p.ID {
					exact = i
				}
			}
		}
	}
	// A cause the merchant cannot act on is ranked after actionable ones,
	// unless both rankings put it first: then it is what the merchant asked
	// about ("顾客都用扫码，消费习惯变了" is about habits, not a QR failure).
	asked := -1
	if l, c := argmax(lexScores), argmax(cos); l >= 0 && (cos == nil || l == c) {
		asked = l
	} else if lexScores == nil {
		asked = c
	}
	for i, p := range all {
		if !p.Actionable && i != asked {
			fused[i] *= nonActionable
		}
		// Passages that list the code as related come right after the code itself.
		if q.Code != "" && slices.Contains(p.Codes, strings.ToUpper(q.Code)) {
			fused[i] += 1.0 / rrfK
		}
	}

	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(fused[b], fused[a]) })

	var res Result
	if exact >= 0 {
		res.Hits = append(res.Hits, Hit{Passage: all[exact], Score: 1, Exact: true})
	}
	for _, i := range order {
		if len(res.Hits) >= k {
			break
		}
		if i == exact || fused[i] <= 0 {
			continue
		}
		if lexScores != nil && r.mode == ModeLexical && lexScores[i] == 0 {
			continue
		}
		res.Hits = append(res.Hits, Hit{Passage: all[i], Score: round(fused[i] * rrfK / 2)})
	}
	switch {
	case exact >= 0:
		res.Confidence = 1
	case len(res.Hits) > 0:
		res.Confidence = r.confidence(info, order[0], cos)
	}
	return res, nil
}

// confidence combines lexical coverage (how much of the query's informative
// weight the top passage contains) with vector similarity. Either alone is
// fooled: coverage by one shared rare word, similarity by shared filler.
//
// Both are judged on the informative part of the query only: a message made
// of generic failure words has confidence 0 however well it matches.
func (r *Retriever) confidence(info string, top int, cos []float64) float64 {
	cov, hit := r.lex.Coverage(info, top)
	if hit == 0 {
		return 0
	}
	var c float64
	switch r.mode {
	case ModeLexical:
		c = lexicalEvidence(cov, hit)
	case ModeVector:
		c = 0.5*math.Min(1, hit/matchedEnough) + 0.5*similarity(cos[top])
	default:
		c = HybridConfidence(cov, hit, cos[top])
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

func addRRF(fused, scores []float64, w float64) {
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(scores[b], scores[a]) })
	for rank, i := range order {
		if scores[i] <= 0 {
			break
		}
		fused[i] += w / float64(rrfK+rank+1)
	}
}

// argmax is the index of the largest positive score, -1 if none.
func argmax(scores []float64) int {
	best := -1
	for i, s := range scores {
		if s > 0 && (best < 0 || s > scores[best]) {
			best = i
		}
	}
	return best
}

func dot(a, b []float32) float64 {
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return float64(s)
}

func round(x float64) float64 { return math.Round(x*1e4) / 1e4 }
