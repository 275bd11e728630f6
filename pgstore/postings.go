package pgstore

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/posbot/posbot/retrieval"
)

// postingList is one term's postings as read, heaviest first: the
// passages, the term's weight in each, and whether each is actionable.
type postingList struct {
	ords []int32
	ws   []float32
	acts []bool
}

// terms returns the idf of the tokens toks the index knows, which of them
// are core terms, and the first chunks of postings of those among want.
func (s *Store) terms(ctx context.Context, toks, want []string, chunks int) (map[string]float64, map[string]bool, map[string]*postingList, error) {
	idf, core := map[string]float64{}, map[string]bool{}
	if len(toks) == 0 {
		return idf, core, map[string]*postingList{}, nil
	}
	rows, err := s.pool.Query(ctx, termsSQL, distinct(toks), want, chunks)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read query terms: %w", err)
	}
	var r chunkReader
	for rows.Next() {
		var t string
		var w float64
		var c bool
		var ch chunk
		if err := rows.Scan(&t, &w, &c, &ch.n, &ch.data); err != nil {
			rows.Close()
			return nil, nil, nil, fmt.Errorf("read query terms: %w", err)
		}
		if ch.n < 0 {
			idf[t], core[t] = w, c
			continue
		}
		r.add(t, ch)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, nil, fmt.Errorf("read query terms: %w", err)
	}
	return idf, core, r.lists(), nil
}

// postings returns the first chunks of postings of terms.
func (s *Store) postings(ctx context.Context, terms []string, chunks int) (map[string]*postingList, error) {
	rows, err := s.pool.Query(ctx, postingsSQL, terms, chunks)
	if err != nil {
		return nil, fmt.Errorf("read postings: %w", err)
	}
	var r chunkReader
	for rows.Next() {
		var t string
		var ch chunk
		if err := rows.Scan(&t, &ch.n, &ch.data); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read postings: %w", err)
		}
		r.add(t, ch)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read postings: %w", err)
	}
	return r.lists(), nil
}

// postingBytes is the size of one packed posting: the passage's ord and
// the term's weight in it (little-endian int32 and float32 bits), and 1 if
// the passage is actionable.
const postingBytes = 9

// appendPosting packs one posting onto b.
func appendPosting(b []byte, ord int32, w float32, actionable bool) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(ord))
	b = binary.LittleEndian.AppendUint32(b, math.Float32bits(w))
	if actionable {
		return append(b, 1)
	}
	return append(b, 0)
}

// chunk is one row of the postings table.
type chunk struct {
	n    int32
	data []byte
}

// chunkReader puts chunks read in any order back in order.
type chunkReader map[string][]chunk

func (r *chunkReader) add(term string, c chunk) {
	if *r == nil {
		*r = chunkReader{}
	}
	(*r)[term] = append((*r)[term], c)
}

// lists unpacks the chunks of each term, in order.
func (r chunkReader) lists() map[string]*postingList {
	out := make(map[string]*postingList, len(r))
	for t, cs := range r {
		slices.SortFunc(cs, func(a, b chunk) int { return int(a.n - b.n) })
		n := 0
		for _, c := range cs {
			n += len(c.data) / postingBytes
		}
		l := &postingList{ords: make([]int32, 0, n), ws: make([]float32, 0, n), acts: make([]bool, 0, n)}
		for _, c := range cs {
			for b := c.data; len(b) >= postingBytes; b = b[postingBytes:] {
				l.ords = append(l.ords, int32(binary.LittleEndian.Uint32(b)))
				l.ws = append(l.ws, math.Float32frombits(binary.LittleEndian.Uint32(b[4:])))
				l.acts = append(l.acts, b[8] == 1)
			}
		}
		out[t] = l
	}
	return out
}

// rankScratch is rankPostings' working memory, pooled: a dense score per
// passage is far cheaper than a map at tens of thousands of postings.
type rankScratch struct {
	acc     []float64
	act     []bool
	touched []int32
}

var rankPool = sync.Pool{New: func() any { return &rankScratch{} }}

// rankPostings sums the BM25 weights of terms (each counted as often as the
// query holds it) per passage, term by term in query order as
// retrieval.Lexical adds them, and returns the k best passages, best first
// (ties by ord), chosen as the in-memory retriever chooses them.
func rankPostings(terms []string, counts []float64, lists map[string]*postingList, k int) []found {
	sc := rankPool.Get().(*rankScratch)
	defer rankPool.Put(sc)
	touched := sc.touched[:0]
	for i, t := range terms {
		l := lists[t]
		if l == nil {
			continue
		}
		for j, ord := range l.ords {
			if ord < 0 {
				continue
			}
			if int(ord) >= len(sc.acc) {
				n := max(int(ord)+1, 2*len(sc.acc))
				sc.acc = append(sc.acc, make([]float64, n-len(sc.acc))...)
				sc.act = append(sc.act, make([]bool, n-len(sc.act))...)
			}
			if sc.acc[ord] == 0 {
				touched = append(touched, ord)
				sc.act[ord] = l.acts[j]
			}
			sc.acc[ord] += counts[i] * float64(l.ws[j])
		}
	}
	best := retrieval.NewTopK(k)
	for _, ord := range touched {
		best.Push(ord, sc.acc[ord])
		sc.acc[ord] = 0
	}
	ords, scores := best.Sorted()
	out := make([]found, len(ords))
	for i, ord := range ords {
		out[i] = found{ord: ord, s: scores[i], actionable: sc.act[ord]}
	}
	sc.touched = touched[:0]
	return out
}
