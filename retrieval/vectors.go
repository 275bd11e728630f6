package retrieval

import (
	"math"
	"slices"
)

// vectorIndex holds the passages' vectors in one flat array. A query's
// hashed vector has few non-zero dimensions, so a passage's similarity is a
// sparse dot product over those only.
type vectorIndex struct {
	dim  int
	n    int
	flat []float32
}

func newVectorIndex(vecs [][]float32) *vectorIndex {
	v := &vectorIndex{n: len(vecs)}
	if len(vecs) > 0 {
		v.dim = len(vecs[0])
	}
	v.flat = make([]float32, 0, v.n*v.dim)
	for _, x := range vecs {
		v.flat = append(v.flat, x...)
	}
	return v
}

// sparse is a query vector's non-zero dimensions and their values.
type sparse struct {
	dims []int32
	vals []float32
}

// set makes s the non-zero part of q, reusing its storage.
func (s *sparse) set(q []float32) {
	s.dims, s.vals = s.dims[:0], s.vals[:0]
	for d, x := range q {
		if x != 0 {
			s.dims = append(s.dims, int32(d))
			s.vals = append(s.vals, x)
		}
	}
}

// scores writes the cosine similarity of every passage to the query q
// (both L2-normalised) into out, indexed by passage. Each sum adds q's
// dimensions in order, as a passage-by-passage dot product would, so the
// figures are the same to the bit; four passages at a time only keep four
// independent sums in flight.
func (v *vectorIndex) scores(q sparse, out []float64) {
	dims, vals := q.dims, q.vals[:len(q.dims)]
	dim, i := v.dim, 0
	for ; i+4 <= v.n; i += 4 {
		r0 := v.flat[i*dim : (i+1)*dim]
		r1 := v.flat[(i+1)*dim : (i+2)*dim]
		r2 := v.flat[(i+2)*dim : (i+3)*dim]
		r3 := v.flat[(i+3)*dim : (i+4)*dim]
		var s0, s1, s2, s3 float32
		for j, d := range dims {
			x := vals[j]
			s0 += x * r0[d]
			s1 += x * r1[d]
			s2 += x * r2[d]
			s3 += x * r3[d]
		}
		out[i], out[i+1], out[i+2], out[i+3] = float64(s0), float64(s1), float64(s2), float64(s3)
	}
	for ; i < v.n; i++ {
		row := v.flat[i*dim : (i+1)*dim]
		var s float32
		for j, d := range dims {
			s += vals[j] * row[d]
		}
		out[i] = float64(s)
	}
}

// top returns the k passages with the highest similarities cos (indexed by
// passage), best first, ties by index; only positive similarities count.
// buf and keys are storage to use for the result and the sort.
func (v *vectorIndex) top(cos []float64, k int, buf []scored, keys []uint64) ([]scored, []uint64) {
	// A similarity is a float32 (scores adds in float32), and a positive
	// float's bits order as the float does: one integer holds the order,
	// best first then by index, and sorts without a comparison function.
	keys = keys[:0]
	for i, s := range cos[:v.n] {
		if s > 0 {
			keys = append(keys, uint64(^math.Float32bits(float32(s)))<<32|uint64(uint32(i)))
		}
	}
	if len(keys) > k {
		smallestFirst(keys, k) // large bases: sort only the k kept
		slices.Sort(keys[:k])
	} else {
		slices.Sort(keys)
	}
	out := buf[:0]
	for _, key := range keys[:min(k, len(keys))] {
		i := int32(uint32(key))
		out = append(out, scored{i, cos[i]})
	}
	return out, keys
}

// smallestFirst reorders keys so that its k smallest come first, in no
// particular order (quickselect).
func smallestFirst(keys []uint64, k int) {
	lo, hi := 0, len(keys)-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		// The median of three as the pivot, moved to hi.
		if keys[mid] < keys[lo] {
			keys[mid], keys[lo] = keys[lo], keys[mid]
		}
		if keys[hi] < keys[lo] {
			keys[hi], keys[lo] = keys[lo], keys[hi]
		}
		if keys[mid] < keys[hi] {
			keys[mid], keys[hi] = keys[hi], keys[mid]
		}
		pivot, p := keys[hi], lo
		for i := lo; i < hi; i++ {
			if keys[i] < pivot {
				keys[i], keys[p] = keys[p], keys[i]
				p++
			}
		}
		keys[p], keys[hi] = keys[hi], keys[p]
		switch {
		case p == k || p == k-1:
			return
		case p < k:
			lo = p + 1
		default:
			hi = p - 1
		}
	}
}
