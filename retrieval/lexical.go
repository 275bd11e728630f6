package retrieval

import (
	"math"
	"slices"
	"strings"

	"github.com/posbot/posbot/knowledge"
)

// BM25 parameters: the usual defaults; passages are short and similar in length.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// Lexical is an in-memory BM25 index over passages: an inverted index whose
// postings hold each passage's precomputed term weight, so a query touches
// only the passages that share a term with it. It is read-only after
// construction and safe for concurrent use.
type Lexical struct {
	terms    map[string]int32
	idf      []float64   // by term id
	postings [][]posting // by term id, sorted by passage
	core     []bool      // by term id: in a title, screen wording, key term or phrasing
	n        int
}

// posting is one passage's BM25 weight for a term.
type posting struct {
	doc int32
	w   float32
}

// Document returns the weighted text a passage is indexed under: fields a
// merchant's words are likely to match (title, phrasings, screen wordings)
// count more than the remedy steps.
func Document(p knowledge.Passage) string {
	var b strings.Builder
	eachField(p, func(weight int, s string) {
		for range weight {
			b.WriteString(strings.ToLower(s))
			b.WriteByte(' ')
		}
	})
	return b.String()
}

// eachField calls f with every indexed field of p and its weight.
func eachField(p knowledge.Passage, f func(weight int, s string)) {
	f(3, p.Title)
	for _, s := range p.Phrasings {
		f(2, s)
	}
	for _, s := range p.Display {
		f(2, s)
	}
	for _, s := range p.KeyTerms {
		f(2, s)
	}
	f(1, p.Summary)
	for _, s := range p.Steps {
		f(1, s)
	}
	if p.EN != nil {
		f(1, p.EN.Title)
		f(1, p.EN.Summary)
	}
}

// NewLexical indexes the passages.
func NewLexical(ps []knowledge.Passage) *Lexical {
	l := &Lexical{terms: map[string]int32{}, n: len(ps)}
	tfs := make([]map[int32]float64, len(ps))
	lens := make([]float64, len(ps))
	var total float64
	for i, p := range ps {
		// The same term frequencies as Tokens(Document(p)), without writing
		// the weighted copies out.
		tf := map[int32]float64{}
		length := 0.0
		eachField(p, func(weight int, s string) {
			toks := Tokens(strings.ToLower(s))
			length += float64(weight * len(toks))
			for _, t := range toks {
				id, ok := l.terms[t]
				if !ok {
					id = int32(len(l.idf))
					l.terms[t] = id
					l.idf = append(l.idf, 0)
					l.postings = append(l.postings, nil)
				}
				tf[id] += float64(weight)
			}
		})
		tfs[i], lens[i] = tf, length
		total += length
	}
	avg := 1.0
	if len(ps) > 0 {
		avg = total / float64(len(ps))
	}
	n := float64(len(ps))
	for i, tf := range tfs {
		for id := range tf {
			l.postings[id] = append(l.postings[id], posting{doc: int32(i)})
		}
	}
	for id, ps := range l.postings {
		d := float64(len(ps))
		l.idf[id] = math.Log(1 + (n-d+0.5)/(d+0.5))
	}
	// Core terms name things: a passage's title, screen wordings, key terms
	// and the phrasings merchants use for it. A query that shares only
	// prose words of remedy steps (知道, 一下, 正常) with the passages has no
	// evidence of any cause.
	l.core = make([]bool, len(l.idf))
	for _, p := range ps {
		fields := append(append([]string{p.Title}, p.Display...), p.KeyTerms...)
		for _, f := range append(fields, p.Phrasings...) {
			for _, t := range Tokens(strings.ToLower(f)) {
				l.core[l.terms[t]] = true
			}
		}
	}
	for id := range l.postings {
		for j := range l.postings[id] {
			doc := l.postings[id][j].doc
			f := tfs[doc][int32(id)]
			norm := bm25K1 * (1 - bm25B + bm25B*lens[doc]/avg)
			l.postings[id][j].w = float32(l.idf[id] * f * (bm25K1 + 1) / (f + norm))
		}
	}
	return l
}

// EachTerm calls f with every indexed term: its idf, whether it is a core
// term (in a title, screen wording, key term or phrasing), and its postings,
// the passages (by index) holding it and their BM25 weights. It is how a
// store keeps the same index.
func (l *Lexical) EachTerm(f func(term string, idf float64, core bool, docs []int32, weights []float32)) {
	names := make([]string, len(l.idf))
	for t, id := range l.terms {
		names[id] = t
	}
	var docs []int32
	var ws []float32
	for id, ps := range l.postings {
		docs, ws = docs[:0], ws[:0]
		for _, p := range ps {
			docs, ws = append(docs, p.doc), append(ws, p.w)
		}
		f(names[id], l.idf[id], l.core[id], docs, ws)
	}
}

// queryTerm is a known term of a query and how often the query holds it.
type queryTerm struct {
	id int32
	n  float64
}

// queryTerms returns the distinct known terms of q with their counts, in
// the order they first occur, and the number of distinct unknown ones.
func (l *Lexical) queryTerms(q string) (known []queryTerm, unknown int) {
	var tz tokenizer
	return l.appendQueryTerms(&tz, nil, q)
}

// appendQueryTerms is queryTerms appending to known, with tz's buffers.
func (l *Lexical) appendQueryTerms(tz *tokenizer, known []queryTerm, q string) (_ []queryTerm, unknown int) {
	var seen []string
	tz.each(q, func(t []byte) {
		id, ok := l.terms[string(t)]
		if !ok {
			if !slices.Contains(seen, string(t)) {
				seen = append(seen, string(t))
				unknown++
			}
			return
		}
		for i := range known {
			if known[i].id == id {
				known[i].n++
				return
			}
		}
		known = append(known, queryTerm{id: id, n: 1})
	})
	return known, unknown
}

// score adds the BM25 score of every passage sharing a term with terms to
// acc (indexed by passage) and appends the passages it touched first to
// touched.
func (l *Lexical) score(terms []queryTerm, acc []float64, touched []int32) []int32 {
	for _, t := range terms {
		for _, p := range l.postings[t.id] {
			if acc[p.doc] == 0 {
				touched = append(touched, p.doc)
			}
			acc[p.doc] += t.n * float64(p.w)
		}
	}
	return touched
}

// Scores returns the BM25 score of every passage for the query, in index
// order (a convenience for tests; Search scores only what it touches).
func (l *Lexical) Scores(q string) []float64 {
	terms, _ := l.queryTerms(q)
	acc := make([]float64, l.n)
	l.score(terms, acc, nil)
	return acc
}

// contains reports whether passage doc holds term id.
func (l *Lexical) contains(id int32, doc int) bool {
	ps := l.postings[id]
	_, found := slices.BinarySearchFunc(ps, int32(doc), func(p posting, d int32) int { return int(p.doc - d) })
	return found
}

// Coverage is the share of the query's informative weight (the idf of its
// known terms) that passage i contains, and the weight it contains. Both are
// 0 when no query term is known, which is how chatter such as
// "今天天气怎么样" is told from a POS problem. With i < 0 it reports the
// weight of the query's known terms.
func (l *Lexical) Coverage(q string, i int) (coverage, hit float64) {
	terms, _ := l.queryTerms(q)
	return l.coverage(terms, i)
}

func (l *Lexical) coverage(terms []queryTerm, i int) (coverage, hit float64) {
	coverage, hit, _ = l.coverageCore(terms, i)
	return coverage, hit
}

// coverageCore is coverage, and the weight of the matched terms that are
// core terms.
func (l *Lexical) coverageCore(terms []queryTerm, i int) (coverage, hit, core float64) {
	var mass float64
	for _, t := range terms {
		w := l.idf[t.id]
		mass += w
		if i < 0 || l.contains(t.id, i) {
			hit += w
			if l.core[t.id] {
				core += w
			}
		}
	}
	if mass == 0 {
		return 0, 0, 0
	}
	return hit / mass, hit, core
}

// holdsWord reports whether passage doc holds every token of word.
func (l *Lexical) holdsWord(tz *tokenizer, word string, doc int) bool {
	n, ok := 0, true
	tz.each(word, func(t []byte) {
		n++
		if ok {
			id, known := l.terms[string(t)]
			ok = known && l.contains(id, doc)
		}
	})
	return ok && n > 0
}
