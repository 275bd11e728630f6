package eval

import "fmt"

// variantColors gives each known variant a stable colour across charts.
var variantColors = map[string]string{"lexical": "#7b8fc7", "vector": "#e9895d", "hybrid": "#3f9f7f"}

// Chart geometry, in SVG user units.
const (
	chartLabelW = 190
	chartBarW   = 440
	chartValueW = 110
	chartBarH   = 14
	chartGap    = 10
)

// chartView is a laid-out SVG bar chart: Go computes every coordinate so the
// template only prints them.
type chartView struct {
	Title  string
	Width  int
	Height int
	Legend []legendItem
	Rows   []chartRowView
	Axis   []axisTick
}

type legendItem struct {
	X, TextX    int
	Color, Name string
}

type axisTick struct {
	X, Y1, Y2, LabelY int
	Label             string
}

type chartRowView struct {
	Label, Full    string
	LabelX, LabelY int
	Bars           []barView
}

type barView struct {
	X, Y, W, H   int
	TextX, TextY int
	Color, Text  string
	Tip          string
}

// chartSeries is one labelled value per variant; ok is false when the
// variant has no figure for the label.
type chartSeries struct {
	label  string
	values []float64
	ok     []bool
	notes  []string
}

// checkSeries is the pass rate and every check accuracy, per variant.
func checkSeries(res *Results) []chartSeries {
	metrics := []struct {
		label string
		get   func(Metrics) (float64, bool, string)
	}{
		{"pass rate", func(m Metrics) (float64, bool, string) { return m.PassRate, m.Cases > 0, counts(m.Passed, m.Cases) }},
		{"code", ratioOf(func(m Metrics) Ratio { return m.Code })},
		{"target", ratioOf(func(m Metrics) Ratio { return m.Target })},
		{"clarify", ratioOf(func(m Metrics) Ratio { return m.Clarify })},
		{"handoff", ratioOf(func(m Metrics) Ratio { return m.Handoff })},
		{"mention coverage", ratioOf(func(m Metrics) Ratio { return m.Mention })},
		{"hit@1", func(m Metrics) (float64, bool, string) { return m.HitAt1, m.RetrievalCases > 0, "" }},
		{"hit@3", func(m Metrics) (float64, bool, string) { return m.HitAt3, m.RetrievalCases > 0, "" }},
		{"MRR", func(m Metrics) (float64, bool, string) { return m.MRR, m.RetrievalCases > 0, "" }},
	}
	var out []chartSeries
	for _, mt := range metrics {
		s := chartSeries{label: mt.label}
		for _, vr := range res.Variants {
			x, ok, note := mt.get(vr.Metrics)
			s.values, s.ok, s.notes = append(s.values, x), append(s.ok, ok), append(s.notes, note)
		}
		out = append(out, s)
	}
	return out
}

func ratioOf(get func(Metrics) Ratio) func(Metrics) (float64, bool, string) {
	return func(m Metrics) (float64, bool, string) {
		q := get(m)
		return q.Value, q.Total > 0, counts(q.Hits, q.Total)
	}
}

func counts(a, b int) string { return fmt.Sprintf("%d/%d", a, b) }

// groupSeries is the pass rate of every family (or kind), per variant.
func groupSeries(res *Results, groups func(Metrics) []Group) []chartSeries {
	var out []chartSeries
	for _, name := range groupNames(res, groups) {
		s := chartSeries{label: name}
		for _, vr := range res.Variants {
			var found bool
			for _, g := range groups(vr.Metrics) {
				if g.Name == name {
					s.values, s.ok, s.notes = append(s.values, g.PassRate), append(s.ok, true), append(s.notes, counts(g.Passed, g.Cases))
					found = true
				}
			}
			if !found {
				s.values, s.ok, s.notes = append(s.values, 0), append(s.ok, false), append(s.notes, "")
			}
		}
		out = append(out, s)
	}
	return out
}

// newChart lays out a horizontal grouped bar chart: one row per series, one
// bar per variant, values in [0,1].
func newChart(title string, variants []string, series []chartSeries) chartView {
	c := chartView{Title: title, Width: chartLabelW + chartBarW + chartValueW}
	top := 8
	if len(variants) > 1 {
		for i, name := range variants {
			x := chartLabelW + i*120
			c.Legend = append(c.Legend, legendItem{X: x, TextX: x + 16, Color: variantColor(name, i), Name: name})
		}
		top = 30
	}
	y := top
	for _, s := range series {
		row := chartRowView{
			Label:  shorten(s.label, 22),
			Full:   s.label,
			LabelX: chartLabelW - 8,
			LabelY: y + len(variants)*chartBarH/2 + 4,
		}
		for i, name := range variants {
			b := barView{
				X: chartLabelW, Y: y + i*chartBarH, H: chartBarH - 1,
				TextX: chartLabelW + 6, TextY: y + i*chartBarH + 11,
				Color: variantColor(name, i), Text: "—",
			}
			if s.ok[i] {
				b.W = int(s.values[i]*chartBarW + 0.5)
				b.Text = fmt.Sprintf("%.1f%%", 100*s.values[i])
				b.TextX = chartLabelW + b.W + 6
			}
			b.Tip = fmt.Sprintf("%s · %s: %s", s.label, name, b.Text)
			if s.notes[i] != "" {
				b.Tip += " (" + s.notes[i] + ")"
			}
			row.Bars = append(row.Bars, b)
		}
		c.Rows = append(c.Rows, row)
		y += len(variants)*chartBarH + chartGap
	}
	c.Height = y + 18
	for _, f := range []float64{0, 0.25, 0.5, 0.75, 1} {
		c.Axis = append(c.Axis, axisTick{
			X: chartLabelW + int(f*chartBarW), Y1: top - 4, Y2: y,
			LabelY: y + 12, Label: fmt.Sprintf("%.0f%%", 100*f),
		})
	}
	return c
}

func variantColor(name string, i int) string {
	if c, ok := variantColors[name]; ok {
		return c
	}
	fallback := []string{"#6b7fb8", "#d4774d", "#2f8f6f", "#a05fb0"}
	return fallback[i%len(fallback)]
}

func shorten(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
