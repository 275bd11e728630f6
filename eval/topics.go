package eval

import (
	"context"
	"fmt"

	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/retrieval"
)

// RelatedAt is the cosine similarity of two passages' texts, under the
// local hash embedding, from which they are about one topic: a printer
// fault and an empty paper roll (0.70), 54 and an expired card (0.84), 01
// and 02 (0.64) are; 94 and a bare "交易拒绝" (0.32), 75 and a locked
// terminal (0.31), a dial-up line and the power supply (0.20) are not.
const RelatedAt = 0.4

// Related returns a function reporting whether two passages of base are
// about one topic (the same passage, or texts at least RelatedAt alike).
// The "confident but wrong topic" metric uses it so that a confident answer
// from a close sibling of the expected passage does not count as the wrong
// topic; the strict figure (any other passage) is reported beside it.
func Related(ctx context.Context, base *knowledge.Base) (func(a, b string) bool, error) {
	all := base.All()
	texts := make([]string, len(all))
	index := make(map[string]int, len(all))
	for i, p := range all {
		texts[i] = retrieval.EmbedText(p)
		index[p.ID] = i
	}
	vecs, err := retrieval.NewHashEmbedder(0).Embed(ctx, texts)
	if err != nil {
		return nil, fmt.Errorf("embed passages: %w", err)
	}
	return func(a, b string) bool {
		if a == b {
			return true
		}
		i, ok1 := index[a]
		j, ok2 := index[b]
		if !ok1 || !ok2 {
			return false
		}
		var s float64
		for d := range vecs[i] {
			s += float64(vecs[i][d] * vecs[j][d])
		}
		return s >= RelatedAt
	}, nil
}
