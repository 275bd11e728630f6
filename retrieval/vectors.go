package retrieval

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

// scorer returns the cosine similarity of passage i to the query vector q
// (both are L2-normalised), over q's non-zero dimensions.
func (v *vectorIndex) scorer(q []float32) func(int32) float64 {
	var dims []int32
	var vals []float32
	for d, x := range q {
		if x != 0 {
			dims = append(dims, int32(d))
			vals = append(vals, x)
		}
	}
	return func(i int32) float64 {
		row := v.flat[int(i)*v.dim : (int(i)+1)*v.dim]
		var s float32
		for j, d := range dims {
			s += vals[j] * row[d]
		}
		return float64(s)
	}
}

// top returns the k passages most similar to the query, best first, ties
// by index; only positive similarities count.
func (v *vectorIndex) top(cos func(int32) float64, k int) []scored {
	t := topK{k: k}
	for i := range v.n {
		if s := cos(int32(i)); s > 0 {
			t.push(scored{int32(i), s})
		}
	}
	return t.sorted()
}
