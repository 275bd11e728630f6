package retrieval

import (
	"math/rand/v2"
	"slices"
	"testing"
	"unicode"
)

// TestSortScored checks sortScored against the standard library's sort on
// random scores with many ties.
func TestSortScored(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 3, 12, 13, 50, 182, 200, 1000} {
		s := make([]scored, n)
		for i := range s {
			s[i] = scored{int32(i), float64(rng.IntN(n/3 + 1))}
		}
		rng.Shuffle(n, func(i, j int) { s[i], s[j] = s[j], s[i] })
		want := slices.Clone(s)
		slices.SortFunc(want, func(a, b scored) int {
			if better(a, b) {
				return -1
			}
			return 1
		})
		sortScored(s)
		if !slices.Equal(s, want) {
			t.Fatalf("n=%d: sortScored = %v, want %v", n, s, want)
		}
	}
}

// TestVectorScores checks that scoring four passages at a time gives the
// figures of one dot product per passage, to the bit.
func TestVectorScores(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	const dim = 64
	for _, n := range []int{1, 3, 4, 5, 9, 182} {
		vecs := make([][]float32, n)
		for i := range vecs {
			vecs[i] = make([]float32, dim)
			for d := range vecs[i] {
				vecs[i][d] = rng.Float32()*2 - 1
			}
		}
		v := newVectorIndex(vecs)
		q := make([]float32, dim)
		for range 20 {
			q[rng.IntN(dim)] = rng.Float32()
		}
		var sp sparse
		sp.set(q)
		got := make([]float64, n)
		v.scores(sp, got)
		for i := range n {
			var s float32
			for d, x := range q {
				if x != 0 {
					s += x * vecs[i][d]
				}
			}
			if got[i] != float64(s) {
				t.Fatalf("n=%d passage %d: %v, want %v", n, i, got[i], float64(s))
			}
		}
	}
}

// TestVectorTop checks the ranking of similarities against sorting them
// all, on small and large sets, with ties.
func TestVectorTop(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 7, 182, 201, 1000, 5000} {
		for _, k := range []int{1, 5, 200} {
			cos := make([]float64, n)
			for i := range cos {
				cos[i] = float64(float32(rng.IntN(50)-10) / 40) // ties and non-positive ones
			}
			v := &vectorIndex{n: n}
			got, _ := v.top(cos, k, nil, nil)
			var want []scored
			for i, s := range cos {
				if s > 0 {
					want = append(want, scored{int32(i), s})
				}
			}
			sortScored(want)
			want = want[:min(k, len(want))]
			if !slices.Equal(got, want) {
				t.Fatalf("n=%d k=%d: top = %v\nwant %v", n, k, got, want)
			}
		}
	}
}

func TestCJKIdeographs(t *testing.T) {
	t.Parallel()
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if cjkIdeograph(r) && (!unicode.IsLetter(r) || unicode.ToLower(r) != r || !unicode.Is(unicode.Han, r)) {
			t.Fatalf("%U: letter %v, lower %U, Han %v", r, unicode.IsLetter(r), unicode.ToLower(r), unicode.Is(unicode.Han, r))
		}
	}
}
