package searchertest

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/posbot/posbot/knowledge"
)

// Synthetic returns the real knowledge base base if it has n passages, else
// n passages made by varying base's: new ids, shuffled and partly dropped
// phrasings and wordings, a phrasing borrowed from another passage, and
// random related codes. It is deterministic, so benchmark databases built
// from it are found unchanged on later runs.
func Synthetic(base *knowledge.Base, n int) (*knowledge.Base, error) {
	if n == base.Len() {
		return base, nil
	}
	all := base.All()
	codes := base.Codes()
	rng := rand.New(rand.NewPCG(uint64(n), 42))
	ps := make([]knowledge.Passage, n)
	for i := range ps {
		p := all[i%len(all)]
		p.ID = fmt.Sprintf("syn-%06d", i)
		if p.Kind == knowledge.KindCode {
			p.Kind, p.Code = knowledge.KindMessage, ""
		}
		p.Phrasings = vary(rng, p.Phrasings)
		p.Phrasings = append(p.Phrasings, all[rng.IntN(len(all))].Title)
		p.Display = vary(rng, p.Display)
		p.Codes = nil
		for range rng.IntN(4) {
			if c := codes[rng.IntN(len(codes))]; !slices.Contains(p.Codes, c) {
				p.Codes = append(p.Codes, c)
			}
		}
		ps[i] = p
	}
	syn, err := knowledge.New(ps)
	if err != nil {
		return nil, fmt.Errorf("synthetic base: %w", err)
	}
	return syn, nil
}

// vary returns a shuffled copy of ss without about a third of it.
func vary(rng *rand.Rand, ss []string) []string {
	out := slices.Clone(ss)
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	if len(out) > 2 {
		out = out[:len(out)-len(out)/3]
	}
	return out
}

// BenchQueries are what search benchmarks look for, in turn.
var BenchQueries = []string{
	"机器一直通讯失败", "插卡没反应读不出来", "打印机不出小票", "刷卡一直转圈然后连接超时",
	"显示余额不足怎么办", "提示请先签到", "顾客说卡被冻结了", "新买的机器刷不了卡",
}
