package eval

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// Ratio is Hits out of Total; Value is Hits/Total, or 0 when Total is 0 (a
// metric no case declared, shown as "—").
type Ratio struct {
	Hits  int     `json:"hits"`
	Total int     `json:"total"`
	Value float64 `json:"value"`
}

// Group is the pass rate of the cases sharing one family or kind.
type Group struct {
	Name     string  `json:"name"`
	Cases    int     `json:"cases"`
	Passed   int     `json:"passed"`
	PassRate float64 `json:"pass_rate"`
}

// Metrics summarises one variant's run.
type Metrics struct {
	Cases    int     `json:"cases"`
	Passed   int     `json:"passed"`
	PassRate float64 `json:"pass_rate"`
	// Errors counts cases whose Answerer call failed.
	Errors int `json:"errors"`

	// Accuracies over the cases that declare each check.
	Code    Ratio `json:"code_accuracy"`
	Target  Ratio `json:"target_accuracy"`
	Clarify Ratio `json:"clarify_accuracy"`
	Handoff Ratio `json:"handoff_accuracy"`
	// Mention is the fraction of all mention groups satisfied.
	Mention Ratio `json:"mention_coverage"`
	// ForbidViolations counts forbidden strings found, over all answers.
	ForbidViolations int `json:"forbid_violations"`

	// Retrieval metrics over the RetrievalCases cases with expect_ids.
	RetrievalCases int     `json:"retrieval_cases"`
	HitAt1         float64 `json:"hit_at_1"`
	HitAt3         float64 `json:"hit_at_3"`
	MRR            float64 `json:"mrr"`

	// Latency of the final message, nearest-rank percentiles over the cases
	// that got a reply.
	LatencyP50MS float64 `json:"latency_p50_ms"`
	LatencyP95MS float64 `json:"latency_p95_ms"`
	LatencyP99MS float64 `json:"latency_p99_ms"`

	// ByFamily and ByKind are sorted by name; unlabelled cases are "(none)".
	ByFamily []Group `json:"by_family"`
	ByKind   []Group `json:"by_kind"`
}

// VariantResult is the run of one retriever variant.
type VariantResult struct {
	Variant string       `json:"variant"`
	Metrics Metrics      `json:"metrics"`
	Cases   []CaseResult `json:"cases"`
}

// Failures returns the failing cases in dataset order.
func (v VariantResult) Failures() []CaseResult {
	var out []CaseResult
	for _, c := range v.Cases {
		if !c.Pass {
			out = append(out, c)
		}
	}
	return out
}

// Results is the full outcome of one `posbot eval` invocation.
type Results struct {
	GeneratedAt time.Time       `json:"generated_at"`
	Datasets    []string        `json:"datasets"`
	Variants    []VariantResult `json:"variants"`
}

// Primary returns the variant a quality floor and the failure list are about:
// hybrid when it ran, else the last variant; nil when there is none.
func (r *Results) Primary() *VariantResult {
	for i := range r.Variants {
		if r.Variants[i].Variant == "hybrid" {
			return &r.Variants[i]
		}
	}
	if len(r.Variants) == 0 {
		return nil
	}
	return &r.Variants[len(r.Variants)-1]
}

// Compute summarises scored cases.
func Compute(results []CaseResult) Metrics {
	m := Metrics{Cases: len(results)}
	var latencies []float64
	var rr float64
	families, kinds := map[string]*Group{}, map[string]*Group{}
	for _, r := range results {
		if r.Pass {
			m.Passed++
		}
		if r.Error != "" {
			m.Errors++
		} else {
			latencies = append(latencies, r.LatencyMS)
		}
		tally(&m.Code, r.Checks, CheckCode)
		tally(&m.Target, r.Checks, CheckTarget)
		tally(&m.Clarify, r.Checks, CheckClarify)
		tally(&m.Handoff, r.Checks, CheckHandoff)
		m.Mention.Total += r.MentionGroups
		m.Mention.Hits += r.MentionHits
		m.ForbidViolations += len(r.ForbidHits)
		if len(r.ExpectIDs) > 0 {
			m.RetrievalCases++
			if r.Rank == 1 {
				m.HitAt1++
			}
			if r.Rank >= 1 && r.Rank <= 3 {
				m.HitAt3++
			}
			if r.Rank > 0 {
				rr += 1 / float64(r.Rank)
			}
		}
		addToGroup(families, r.Family, r.Pass)
		addToGroup(kinds, r.Kind, r.Pass)
	}
	m.PassRate = frac(m.Passed, m.Cases)
	for _, q := range []*Ratio{&m.Code, &m.Target, &m.Clarify, &m.Handoff, &m.Mention} {
		q.Value = frac(q.Hits, q.Total)
	}
	if m.RetrievalCases > 0 {
		n := float64(m.RetrievalCases)
		m.HitAt1, m.HitAt3, m.MRR = m.HitAt1/n, m.HitAt3/n, rr/n
	}
	slices.Sort(latencies)
	m.LatencyP50MS = percentile(latencies, 50)
	m.LatencyP95MS = percentile(latencies, 95)
	m.LatencyP99MS = percentile(latencies, 99)
	m.ByFamily = sortedGroups(families)
	m.ByKind = sortedGroups(kinds)
	return m
}

// tally counts one case towards an accuracy when it declares the check.
func tally(q *Ratio, checks map[string]bool, name string) {
	ok, declared := checks[name]
	if !declared {
		return
	}
	q.Total++
	if ok {
		q.Hits++
	}
}

func addToGroup(groups map[string]*Group, name string, pass bool) {
	if name == "" {
		name = "(none)"
	}
	g := groups[name]
	if g == nil {
		g = &Group{Name: name}
		groups[name] = g
	}
	g.Cases++
	if pass {
		g.Passed++
	}
}

func sortedGroups(groups map[string]*Group) []Group {
	out := make([]Group, 0, len(groups))
	for _, g := range groups {
		g.PassRate = frac(g.Passed, g.Cases)
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b Group) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

func frac(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// percentile is the nearest-rank percentile of sorted values, 0 for none.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
