package retrieval

import (
	"context"
	"math"
	"strconv"
	"unicode"
)

// Embedder turns texts into vectors of a fixed dimension. Implementations are
// safe for concurrent use. The returned vectors are L2-normalised.
type Embedder interface {
	// Embed returns one vector per text, in order.
	Embed(ctx context.Context, texts []string) ([][]float32, error)
	// Name identifies the model and dimension, so stores can tell when the
	// embeddings must be recomputed ("hash-ngram-512", "bge-m3").
	Name() string
}

// HashEmbedder is a deterministic local embedder that needs no model: it hashes
// character 1-, 2- and 3-grams of the concept-expanded text into Dim buckets.
// It captures surface similarity only, which suits short merchant messages
// about a closed domain. The zero value is not usable; use NewHashEmbedder.
type HashEmbedder struct {
	Dim      int
	Analyzer *Analyzer
}

// NewHashEmbedder returns a HashEmbedder with dim buckets (512 if dim <= 0)
// that expands texts with the embedded lexicons (DefaultAnalyzer).
func NewHashEmbedder(dim int) *HashEmbedder {
	if dim <= 0 {
		dim = 512
	}
	return &HashEmbedder{Dim: dim, Analyzer: DefaultAnalyzer()}
}

// Name implements Embedder. It names the lexicons too: a vocabulary edit
// changes the vectors, and stores must embed again.
func (h *HashEmbedder) Name() string {
	return "hash-ngram-" + strconv.Itoa(h.Dim) + "-" + h.Analyzer.Version()
}

// Embed implements Embedder. It never fails.
func (h *HashEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = h.vector(h.Analyzer.Expand(t))
	}
	return out, nil
}

// FNV-1a's 64-bit constants (hash/fnv), for hashing n-grams without
// allocating a hasher per n-gram.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// fnvPrime2 is fnvPrime squared (mod 2^64): two FNV-1a steps over zero
// bytes, the upper bytes of a rune below U+10000 (x ^ 0 is x).
const fnvPrime2 = fnvPrime * fnvPrime & (1<<64 - 1)

// fnvRune carries the FNV-1a hash x over r's four little-endian bytes.
func fnvRune(x uint64, r rune) uint64 {
	x = (x ^ uint64(byte(r))) * fnvPrime
	x = (x ^ uint64(byte(r>>8))) * fnvPrime
	if r < 1<<16 {
		return x * fnvPrime2
	}
	x = (x ^ uint64(byte(r>>16))) * fnvPrime
	return (x ^ uint64(byte(r>>24))) * fnvPrime
}

// gramWeights weighs n-grams by length: bigrams carry most of the meaning of
// Chinese text, unigrams add recall for single-character words (卡, 钱).
var gramWeights = [4]float32{0, 0.4, 1.0, 0.7}

func (h *HashEmbedder) vector(s string) []float32 {
	v, _ := h.vectorInto(nil, nil, s)
	return v
}

// vectorInto is vector writing into v and using rs as scratch, both grown
// as needed and returned for reuse.
func (h *HashEmbedder) vectorInto(v []float32, rs []rune, s string) ([]float32, []rune) {
	if cap(v) < h.Dim {
		v = make([]float32, h.Dim)
	}
	v = v[:h.Dim]
	clear(v)
	rs = rs[:0]
	for _, r := range s {
		switch {
		case cjkIdeograph(r): // most of a Chinese text, and caseless letters
			rs = append(rs, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			rs = append(rs, unicode.ToLower(r))
		case len(rs) > 0 && rs[len(rs)-1] != ' ':
			rs = append(rs, ' ')
		}
	}
	// FNV-1a runs over the runes' bytes in order, so an n-gram's hash is
	// its first n-1 runes' hash carried on by one more rune: hashes holds
	// the (n-1)-grams' as the n-grams are added. The n-grams are added by
	// length, unigrams first, as they always were: the sums in a bucket
	// must come out the same to the bit.
	var buf [128]uint64
	hashes := buf[:0]
	if len(rs) > len(buf) {
		hashes = make([]uint64, 0, len(rs))
	}
	hashes = hashes[:len(rs)]
	for i := range hashes {
		hashes[i] = fnvOffset
	}
	for n := 1; n <= 3; n++ {
		for i := 0; i+n <= len(rs); i++ {
			x := fnvRune(hashes[i], rs[i+n-1])
			hashes[i] = x
			g := rs[i : i+n]
			if g[0] == ' ' || g[n-1] == ' ' {
				continue
			}
			idx := int(x % uint64(h.Dim))
			sign := float32(1)
			if x&(1<<63) != 0 {
				sign = -1
			}
			v[idx] += sign * gramWeights[n]
		}
	}
	normalize(v)
	return v, rs
}

func normalize(v []float32) {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	if sum == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(sum))
	for i := range v {
		v[i] *= inv
	}
}

// cjkIdeograph reports whether r is in the CJK Unified Ideographs block,
// whose every code point is a letter without case (TestCJKIdeographs checks
// it against the unicode tables): the test is cheaper than theirs.
func cjkIdeograph(r rune) bool { return 0x4e00 <= r && r <= 0x9fff }
