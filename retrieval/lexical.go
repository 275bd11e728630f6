package retrieval

import (
	"math"
	"strings"

	"github.com/posbot/posbot/knowledge"
)

// BM25 parameters: the usual defaults; passages are short and similar in length.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// Lexical is an in-memory BM25 index over passages. It is read-only after
// construction and safe for concurrent use.
type Lexical struct {
	docs   []map[string]float64 // term frequencies per passage, field-weighted
	lens   []float64
	avgLen float64
	idf    map[string]float64
}

// Document returns the weighted text a passage is indexed under: fields a
// merchant's words are likely to match (title, phrasings, screen wordings)
// count more than the remedy steps.
func Document(p knowledge.Passage) string {
	var b strings.Builder
	add := func(weight int, parts ...string) {
		for range weight {
			for _, s := range parts {
				b.WriteString(strings.ToLower(s))
				b.WriteByte(' ')
			}
		}
	}
	add(3, p.Title)
	add(2, p.Phrasings...)
	add(2, p.Display...)
	add(2, p.KeyTerms...)
	add(1, p.Summary)
	add(1, p.Steps...)
	if p.EN != nil {
		add(1, p.EN.Title, p.EN.Summary)
	}
	return b.String()
}

// NewLexical indexes the passages.
func NewLexical(ps []knowledge.Passage) *Lexical {
	l := &Lexical{idf: make(map[string]float64)}
	df := make(map[string]int)
	var total float64
	for _, p := range ps {
		tf := make(map[string]float64)
		toks := Tokens(Document(p))
		for _, t := range toks {
			tf[t]++
		}
		for t := range tf {
			df[t]++
		}
		l.docs = append(l.docs, tf)
		l.lens = append(l.lens, float64(len(toks)))
		total += float64(len(toks))
	}
	n := float64(len(ps))
	if n > 0 {
		l.avgLen = total / n
	}
	for t, d := range df {
		l.idf[t] = math.Log(1 + (n-float64(d)+0.5)/(float64(d)+0.5))
	}
	return l
}

// queryTerms returns the distinct query tokens with their counts.
func queryTerms(q string) map[string]float64 {
	terms := make(map[string]float64)
	for _, t := range Tokens(q) {
		terms[t]++
	}
	return terms
}

// Scores returns the BM25 score of every passage for the query, in index order.
func (l *Lexical) Scores(q string) []float64 {
	terms := queryTerms(q)
	scores := make([]float64, len(l.docs))
	for i, tf := range l.docs {
		norm := bm25K1 * (1 - bm25B + bm25B*l.lens[i]/l.avgLen)
		var s float64
		for t, qn := range terms {
			f := tf[t]
			if f == 0 {
				continue
			}
			s += qn * l.idf[t] * f * (bm25K1 + 1) / (f + norm)
		}
		scores[i] = s
	}
	return scores
}

// Coverage is the share of the query's informative weight (the idf of its
// known terms) that passage i contains, and the weight it contains. Both are
// 0 when no query term is known, which is how chatter such as
// "今天天气怎么样" is told from a POS problem. With i < 0 it reports the
// weight of the query's known terms.
func (l *Lexical) Coverage(q string, i int) (coverage, hit float64) {
	var mass float64
	for t := range queryTerms(q) {
		w, ok := l.idf[t]
		if !ok {
			continue
		}
		mass += w
		if i < 0 || l.docs[i][t] > 0 {
			hit += w
		}
	}
	if mass == 0 {
		return 0, 0
	}
	return hit / mass, hit
}
