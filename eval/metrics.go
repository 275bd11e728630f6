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
	// Escalate and Reason are over the cases that declare them (handoff
	// and escalation triggers).
	Escalate Ratio `json:"escalate_accuracy"`
	Reason   Ratio `json:"reason_accuracy"`
	// Mention is the fraction of all mention groups satisfied.
	Mention Ratio `json:"mention_coverage"`
	// ForbidViolations counts forbidden strings found, over all answers.
	ForbidViolations int `json:"forbid_violations"`

	// Retrieval metrics over the RetrievalCases cases with expect_ids.
	RetrievalCases int     `json:"retrieval_cases"`
	HitAt1         float64 `json:"hit_at_1"`
	HitAt3         float64 `json:"hit_at_3"`
	MRR            float64 `json:"mrr"`
	// ConfidentWrongTopic is the share of the cases with expect_ids that got
	// a confident diagnosis of another topic (see ConfidentWrongTopic).
	ConfidentWrongTopic Ratio `json:"confident_wrong_topic"`
	// ConfidentOffPassage is the strict form: a confident diagnosis from
	// any other passage (see ConfidentOffPassage).
	ConfidentOffPassage Ratio `json:"confident_off_passage"`

	// Latency of the final message, nearest-rank percentiles over the cases
	// that got a reply.
	LatencyP50MS float64 `json:"latency_p50_ms"`
	LatencyP95MS float64 `json:"latency_p95_ms"`
	LatencyP99MS float64 `json:"latency_p99_ms"`

	// ByFamily and ByKind are sorted by name; unlabelled cases are "(none)".
	ByFamily []Group `json:"by_family"`
	ByKind   []Group `json:"by_kind"`
	// ByDataset has one entry per dataset file, in the order they were read.
	ByDataset []DatasetGroup `json:"by_dataset"`
	// Targets is the confusion matrix of expected and returned targets.
	Targets TargetMatrix `json:"target_matrix"`
	// Confidence is the histogram of reply confidence.
	Confidence []ConfidenceBin `json:"confidence_histogram"`
}

// DatasetGroup is one dataset's pass rate and confident-wrong-topic rate.
type DatasetGroup struct {
	Group
	ConfidentWrongTopic Ratio `json:"confident_wrong_topic"`
	// BaselinePassRate is the dataset's pass rate in the baseline the run
	// was compared with, nil when there was none or it lacks the dataset.
	BaselinePassRate *float64 `json:"baseline_pass_rate,omitempty"`
}

// Change is the pass rate minus the baseline's, ok false without a baseline.
func (d DatasetGroup) Change() (change float64, ok bool) {
	if d.BaselinePassRate == nil {
		return 0, false
	}
	return d.PassRate - *d.BaselinePassRate, true
}

// TargetLabels are the escalation targets, in the order of the confusion
// matrix's rows and columns.
var TargetLabels = []string{"bank", "provider", "none"}

// TargetMatrix counts the cases that accept exactly one target by that
// expected target (rows, in TargetLabels order) and the target the reply
// named (columns: TargetLabels, then "other" for anything else, an answerer
// error included). MultiTarget counts the cases left out because they
// accept more than one target.
type TargetMatrix struct {
	Expected    []string `json:"expected"`
	Got         []string `json:"got"`
	Counts      [][]int  `json:"counts"`
	MultiTarget int      `json:"multi_target_cases"`
}

// Total is the number of cases in the matrix.
func (t TargetMatrix) Total() int {
	n := 0
	for _, row := range t.Counts {
		for _, c := range row {
			n += c
		}
	}
	return n
}

// ConfidenceBin counts the replies whose confidence is in [From, To), the
// last bin including 1, split by whether the case passed. Cases whose
// answerer failed have no reply and are not counted.
type ConfidenceBin struct {
	From   float64 `json:"from"`
	To     float64 `json:"to"`
	Passed int     `json:"passed"`
	Failed int     `json:"failed"`
}

// confidenceBins is the number of bins of the confidence histogram.
const confidenceBins = 10

func newTargetMatrix() TargetMatrix {
	t := TargetMatrix{Expected: TargetLabels, Got: append(slices.Clone(TargetLabels), "other")}
	for range t.Expected {
		t.Counts = append(t.Counts, make([]int, len(t.Got)))
	}
	return t
}

// add counts r in the matrix when it accepts exactly one target.
func (t *TargetMatrix) add(r CaseResult) {
	switch len(r.ExpectTarget) {
	case 0:
		return
	case 1:
	default:
		t.MultiTarget++
		return
	}
	row := slices.Index(t.Expected, r.ExpectTarget[0])
	col := slices.Index(t.Got, r.Target)
	if r.Error != "" || col < 0 {
		col = len(t.Got) - 1
	}
	if row >= 0 {
		t.Counts[row][col]++
	}
}

func newConfidenceBins() []ConfidenceBin {
	bins := make([]ConfidenceBin, confidenceBins)
	for i := range bins {
		bins[i].From = float64(i) / confidenceBins
		bins[i].To = float64(i+1) / confidenceBins
	}
	return bins
}

// addConfidence counts r in its confidence bin.
func addConfidence(bins []ConfidenceBin, r CaseResult) {
	if r.Error != "" {
		return
	}
	// The epsilon keeps a confidence on a bin's edge (0.3) in the bin it
	// opens despite binary floating point.
	i := min(max(int(math.Floor(r.Confidence*confidenceBins+1e-9)), 0), confidenceBins-1)
	if r.Pass {
		bins[i].Passed++
	} else {
		bins[i].Failed++
	}
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
	// Baseline is the baseline file the primary variant was compared with,
	// "" when none was given.
	Baseline string `json:"baseline,omitempty"`
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
	var datasets []DatasetGroup
	m.Targets, m.Confidence = newTargetMatrix(), newConfidenceBins()
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
		tally(&m.Escalate, r.Checks, CheckEscalate)
		tally(&m.Reason, r.Checks, CheckReason)
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
		datasets = addToDataset(datasets, r)
		tallyWrongTopic(&m.ConfidentWrongTopic, r)
		tallyRatio(&m.ConfidentOffPassage, r, ConfidentOffPassage)
		m.Targets.add(r)
		addConfidence(m.Confidence, r)
	}
	m.PassRate = frac(m.Passed, m.Cases)
	for _, q := range []*Ratio{&m.Code, &m.Target, &m.Clarify, &m.Handoff, &m.Escalate, &m.Reason, &m.Mention, &m.ConfidentWrongTopic, &m.ConfidentOffPassage} {
		q.Value = frac(q.Hits, q.Total)
	}
	for i := range datasets {
		d := &datasets[i]
		d.PassRate = frac(d.Passed, d.Cases)
		d.ConfidentWrongTopic.Value = frac(d.ConfidentWrongTopic.Hits, d.ConfidentWrongTopic.Total)
	}
	m.ByDataset = datasets
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

// tallyWrongTopic counts r towards the confident-wrong-topic ratio q.
func tallyWrongTopic(q *Ratio, r CaseResult) { tallyRatio(q, r, ConfidentWrongTopic) }

// tallyRatio counts r towards q by rule.
func tallyRatio(q *Ratio, r CaseResult, rule func(CaseResult) (counted, hit bool)) {
	counted, wrong := rule(r)
	if counted {
		q.Total++
	}
	if wrong {
		q.Hits++
	}
}

// addToDataset counts r in its dataset's group, adding the group the first
// time the dataset is seen, so groups keep the order the files were read.
func addToDataset(groups []DatasetGroup, r CaseResult) []DatasetGroup {
	name := r.Dataset
	if name == "" {
		name = "(none)"
	}
	i := slices.IndexFunc(groups, func(g DatasetGroup) bool { return g.Name == name })
	if i < 0 {
		groups = append(groups, DatasetGroup{Group: Group{Name: name}})
		i = len(groups) - 1
	}
	g := &groups[i]
	g.Cases++
	if r.Pass {
		g.Passed++
	}
	tallyWrongTopic(&g.ConfidentWrongTopic, r)
	return groups
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
