package eval

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/posbot/posbot/bot"
)

// metricRow is one row of the summary table, shared by text and HTML output.
type metricRow struct {
	Name  string
	Value func(Metrics) string
}

// metricRows lists the summary metrics in display order.
var metricRows = []metricRow{
	{"cases", func(m Metrics) string { return fmt.Sprint(m.Cases) }},
	{"pass rate", func(m Metrics) string { return fmtRatio(Ratio{m.Passed, m.Cases, m.PassRate}) }},
	{"answerer errors", func(m Metrics) string { return fmt.Sprint(m.Errors) }},
	{"code accuracy", func(m Metrics) string { return fmtRatio(m.Code) }},
	{"target accuracy", func(m Metrics) string { return fmtRatio(m.Target) }},
	{"clarify accuracy", func(m Metrics) string { return fmtRatio(m.Clarify) }},
	{"handoff accuracy", func(m Metrics) string { return fmtRatio(m.Handoff) }},
	{"escalate accuracy", func(m Metrics) string { return fmtRatio(m.Escalate) }},
	{"reason accuracy", func(m Metrics) string { return fmtRatio(m.Reason) }},
	{"mention coverage", func(m Metrics) string { return fmtRatio(m.Mention) }},
	{"forbid violations", func(m Metrics) string { return fmt.Sprint(m.ForbidViolations) }},
	{"retrieval cases", func(m Metrics) string { return fmt.Sprint(m.RetrievalCases) }},
	{"hit@1", func(m Metrics) string { return fmtRetrieval(m, m.HitAt1) }},
	{"hit@3", func(m Metrics) string { return fmtRetrieval(m, m.HitAt3) }},
	{"MRR", func(m Metrics) string { return fmtRetrieval(m, m.MRR) }},
	{"confident wrong topic", func(m Metrics) string { return fmtRatio(m.ConfidentWrongTopic) }},
	{"confident off passage", func(m Metrics) string { return fmtRatio(m.ConfidentOffPassage) }},
	{"latency p50 (ms)", func(m Metrics) string { return fmt.Sprintf("%.1f", m.LatencyP50MS) }},
	{"latency p95 (ms)", func(m Metrics) string { return fmt.Sprintf("%.1f", m.LatencyP95MS) }},
	{"latency p99 (ms)", func(m Metrics) string { return fmt.Sprintf("%.1f", m.LatencyP99MS) }},
}

// WriteText prints res as tables: with one variant, its summary, breakdowns
// by family and kind, and its failures; with several, one comparison table
// (rows are metrics, columns variants, family and kind pass rates included)
// followed by the primary variant's failures.
func WriteText(w io.Writer, res *Results) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "metric")
	for _, v := range res.Variants {
		fmt.Fprintf(tw, "\t%s", v.Variant)
	}
	fmt.Fprintln(tw)
	for _, row := range metricRows {
		fmt.Fprint(tw, row.Name)
		for _, v := range res.Variants {
			fmt.Fprintf(tw, "\t%s", row.Value(v.Metrics))
		}
		fmt.Fprintln(tw)
	}
	if len(res.Variants) > 1 {
		writeGroupRows(tw, res, "family", func(m Metrics) []Group { return m.ByFamily })
		writeGroupRows(tw, res, "kind", func(m Metrics) []Group { return m.ByKind })
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	p := res.Primary()
	if p == nil {
		return nil
	}
	writeDatasetTable(w, p, res.Baseline != "")
	writeTargetMatrix(w, p)
	if len(res.Variants) == 1 {
		writeGroupTable(w, "family", p.Metrics.ByFamily)
		writeGroupTable(w, "kind", p.Metrics.ByKind)
	}
	return writeFailures(w, p)
}

// writeDatasetTable prints the pass rate of every dataset of v, its change
// against the baseline when compared, and its confident-wrong-topic rate.
func writeDatasetTable(w io.Writer, v *VariantResult, compared bool) {
	if len(v.Metrics.ByDataset) == 0 {
		return
	}
	fmt.Fprintf(w, "\nby dataset (%s)\n", v.Variant)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := []string{"dataset", "cases", "pass rate"}
	if compared {
		header = append(header, "vs baseline")
	}
	fmt.Fprintln(tw, strings.Join(append(header, "confident wrong topic"), "\t"))
	for _, d := range v.Metrics.ByDataset {
		row := []string{d.Name, strconv.Itoa(d.Cases), fmt.Sprintf("%.1f%%", 100*d.PassRate)}
		if compared {
			row = append(row, fmtChange(d))
		}
		fmt.Fprintln(tw, strings.Join(append(row, fmtRatio(d.ConfidentWrongTopic)), "\t"))
	}
	tw.Flush()
}

// writeTargetMatrix prints v's confusion matrix of expected (rows) and
// returned (columns) targets.
func writeTargetMatrix(w io.Writer, v *VariantResult) {
	t := v.Metrics.Targets
	if t.Total() == 0 {
		return
	}
	fmt.Fprintf(w, "\ntargets (%s), n=%d: expected (rows) vs got (columns)", v.Variant, t.Total())
	if t.MultiTarget > 0 {
		fmt.Fprintf(w, "; %d accepting several targets left out", t.MultiTarget)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "expected\\got\t"+strings.Join(t.Got, "\t"))
	for i, e := range t.Expected {
		row := []string{e}
		for _, n := range t.Counts[i] {
			row = append(row, strconv.Itoa(n))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
}

// fmtChange is a dataset's pass rate change against the baseline in
// percentage points ("+1.2 pp"), "—" without a baseline figure.
func fmtChange(d DatasetGroup) string {
	c, ok := d.Change()
	if !ok {
		return "—"
	}
	if c = math.Round(1000*c) / 10; c == 0 {
		return "±0.0 pp"
	}
	return fmt.Sprintf("%+.1f pp", c)
}

// writeGroupRows adds one pass-rate row per family (or kind) seen in any variant.
func writeGroupRows(w io.Writer, res *Results, label string, groups func(Metrics) []Group) {
	for _, name := range groupNames(res, groups) {
		fmt.Fprintf(w, "%s: %s", label, name)
		for _, v := range res.Variants {
			cell := "—"
			for _, g := range groups(v.Metrics) {
				if g.Name == name {
					cell = fmtRatio(Ratio{g.Passed, g.Cases, g.PassRate})
				}
			}
			fmt.Fprintf(w, "\t%s", cell)
		}
		fmt.Fprintln(w)
	}
}

// groupNames is the sorted union of group names over all variants.
func groupNames(res *Results, groups func(Metrics) []Group) []string {
	var names []string
	seen := map[string]bool{}
	for _, v := range res.Variants {
		for _, g := range groups(v.Metrics) {
			if !seen[g.Name] {
				seen[g.Name] = true
				names = append(names, g.Name)
			}
		}
	}
	slices.Sort(names)
	return names
}

func writeGroupTable(w io.Writer, label string, groups []Group) {
	if len(groups) == 0 {
		return
	}
	fmt.Fprintf(w, "\nby %s\n", label)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\tcases\tpassed\tpass rate\n", label)
	for _, g := range groups {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f%%\n", g.Name, g.Cases, g.Passed, 100*g.PassRate)
	}
	tw.Flush()
}

func writeFailures(w io.Writer, v *VariantResult) error {
	failures := v.Failures()
	if _, err := fmt.Fprintf(w, "\nfailures (%s): %d of %d\n", v.Variant, len(failures), len(v.Cases)); err != nil {
		return fmt.Errorf("write failures: %w", err)
	}
	for _, c := range failures {
		var labels []string
		if c.Kind != "" {
			labels = append(labels, "kind="+c.Kind)
		}
		if c.Family != "" {
			labels = append(labels, "family="+c.Family)
		}
		fmt.Fprintf(w, "\nFAIL %s %s\n", c.ID, strings.Join(labels, " "))
		fmt.Fprintf(w, "  query:   %s\n", excerpt(c.Query, excerptRunes))
		for _, f := range c.Failures {
			fmt.Fprintf(w, "  %-8s expected %s, got %s\n", f.Check+":", f.Expected, f.Got)
		}
		if c.Error == "" {
			fmt.Fprintf(w, "  answer:  %s\n", c.Answer)
			fmt.Fprintf(w, "  sources: %s\n", fmtSources(c.TopSources))
		}
	}
	return nil
}

func fmtRatio(q Ratio) string {
	if q.Total == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f%% (%d/%d)", 100*q.Value, q.Hits, q.Total)
}

func fmtRetrieval(m Metrics, x float64) string {
	if m.RetrievalCases == 0 {
		return "—"
	}
	return fmt.Sprintf("%.3f", x)
}

func fmtSources(ss []bot.Source) string {
	if len(ss) == 0 {
		return "(none)"
	}
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = fmt.Sprintf("%s (%.2f)", s.ID, s.Score)
	}
	return strings.Join(parts, ", ")
}
