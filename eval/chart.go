package eval

import (
	"fmt"
	"math"
	"slices"
)

// variantColors gives each known variant a stable colour across charts.
var variantColors = map[string]string{"lexical": "#7b8fc7", "vector": "#e9895d", "hybrid": "#3f9f7f"}

// Chart geometry, in SVG user units. Charts are drawn narrow enough for a
// phone held upright (about 360 CSS pixels across) and keep that size on a
// desktop, so their text is never scaled below its font size.
const (
	chartW      = 340 // whole chart
	chartValueW = 120 // the value column right of the bars: "100.0% (2747/2748)"
	chartBarH   = 12
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
}

type legendItem struct {
	X, TextX    int
	Color, Name string
}

type chartRowView struct {
	Label, Full    string
	LabelX, LabelY int
	Bars           []barView
}

// barView is one bar over its track (the full 100% width, TrackW).
type barView struct {
	X, Y, W, H, TrackW int
	TextX, TextY       int
	Color, Text, Tip   string
}

// chartSeries is one labelled value in [0,1] per variant, with the text
// shown beside its bar (value and sample size); ok is false when the variant
// has no figure for the label.
type chartSeries struct {
	label  string
	values []float64
	ok     []bool
	text   []string
}

func (s *chartSeries) add(x float64, ok bool, text string) {
	s.values, s.ok, s.text = append(s.values, x), append(s.ok, ok), append(s.text, text)
}

// fmtShare is a share with its sample: "93.3% (14/15)".
func fmtShare(x float64, hits, total int) string {
	return fmt.Sprintf("%.1f%% (%d/%d)", 100*x, hits, total)
}

// checkSeries is the pass rate and every check accuracy, per variant.
func checkSeries(res *Results) []chartSeries {
	ratio := func(get func(Metrics) Ratio) func(Metrics) (float64, bool, string) {
		return func(m Metrics) (float64, bool, string) {
			q := get(m)
			return q.Value, q.Total > 0, fmtShare(q.Value, q.Hits, q.Total)
		}
	}
	retrieval := func(get func(Metrics) float64) func(Metrics) (float64, bool, string) {
		return func(m Metrics) (float64, bool, string) {
			x, n := get(m), m.RetrievalCases
			return x, n > 0, fmtShare(x, int(math.Round(x*float64(n))), n)
		}
	}
	metrics := []struct {
		label string
		get   func(Metrics) (float64, bool, string)
	}{
		{"pass rate", func(m Metrics) (float64, bool, string) {
			return m.PassRate, m.Cases > 0, fmtShare(m.PassRate, m.Passed, m.Cases)
		}},
		{"code", ratio(func(m Metrics) Ratio { return m.Code })},
		{"target", ratio(func(m Metrics) Ratio { return m.Target })},
		{"clarify", ratio(func(m Metrics) Ratio { return m.Clarify })},
		{"handoff", ratio(func(m Metrics) Ratio { return m.Handoff })},
		{"mention coverage", ratio(func(m Metrics) Ratio { return m.Mention })},
		{"hit@1", retrieval(func(m Metrics) float64 { return m.HitAt1 })},
		{"hit@3", retrieval(func(m Metrics) float64 { return m.HitAt3 })},
		{"MRR", func(m Metrics) (float64, bool, string) {
			return m.MRR, m.RetrievalCases > 0, fmt.Sprintf("%.3f (n=%d)", m.MRR, m.RetrievalCases)
		}},
		{"confident wrong topic", ratio(func(m Metrics) Ratio { return m.ConfidentWrongTopic })},
	}
	var out []chartSeries
	for _, mt := range metrics {
		s := chartSeries{label: mt.label}
		for _, vr := range res.Variants {
			s.add(mt.get(vr.Metrics))
		}
		out = append(out, s)
	}
	return out
}

// groupSeries is the pass rate of every family (or kind), per variant.
func groupSeries(res *Results, groups func(Metrics) []Group) []chartSeries {
	return namedSeries(res, groupNames(res, groups), func(m Metrics, name string) (Group, bool) {
		for _, g := range groups(m) {
			if g.Name == name {
				return g, true
			}
		}
		return Group{}, false
	})
}

// datasetSeries is the pass rate of every dataset, per variant, in the
// order the datasets were read.
func datasetSeries(res *Results) []chartSeries {
	var names []string
	for _, vr := range res.Variants {
		for _, d := range vr.Metrics.ByDataset {
			if !slices.Contains(names, d.Name) {
				names = append(names, d.Name)
			}
		}
	}
	return namedSeries(res, names, func(m Metrics, name string) (Group, bool) {
		for _, d := range m.ByDataset {
			if d.Name == name {
				return d.Group, true
			}
		}
		return Group{}, false
	})
}

// namedSeries is one pass-rate series per name, find giving each variant's
// group of that name.
func namedSeries(res *Results, names []string, find func(Metrics, string) (Group, bool)) []chartSeries {
	var out []chartSeries
	for _, name := range names {
		s := chartSeries{label: name}
		for _, vr := range res.Variants {
			g, ok := find(vr.Metrics, name)
			s.add(g.PassRate, ok, fmtShare(g.PassRate, g.Passed, g.Cases))
		}
		out = append(out, s)
	}
	return out
}

// newChart lays out a horizontal bar chart for a narrow screen: each series
// is a label line, then one bar per variant over a light track of 100%,
// with the value and its sample size at the right.
func newChart(title string, variants []string, series []chartSeries) chartView {
	c := chartView{Title: title, Width: chartW}
	barW := chartW - chartValueW
	y := 0
	if len(variants) > 1 {
		x := 0
		for i, name := range variants {
			c.Legend = append(c.Legend, legendItem{X: x, TextX: x + 16, Color: variantColor(name, i), Name: name})
			x += 16 + 8*len(name) + 18
		}
		y = 24
	}
	for _, s := range series {
		row := chartRowView{Label: shorten(s.label, 44), Full: s.label, LabelY: y + 12}
		y += 17
		for i, name := range variants {
			b := barView{
				Y: y, H: chartBarH, TrackW: barW, TextX: chartW, TextY: y + chartBarH - 2,
				Color: variantColor(name, i), Text: "—",
			}
			if s.ok[i] {
				b.W = int(math.Round(min(max(s.values[i], 0), 1) * float64(barW)))
				b.Text = s.text[i]
			}
			b.Tip = fmt.Sprintf("%s · %s: %s", s.label, name, b.Text)
			row.Bars = append(row.Bars, b)
			y += chartBarH + 3
		}
		c.Rows = append(c.Rows, row)
		y += chartGap
	}
	c.Height = y
	return c
}

// histView is a laid-out vertical histogram of reply confidence.
type histView struct {
	Title          string
	Width, Height  int
	Bars           []histBar
	Ticks, Marks   []histTick
	AxisY, LegendY int
	PlotX0, PlotX1 int
	Empty          bool
}

type histBar struct {
	X, W                 int
	PassY, PassH         int
	FailY, FailH         int
	LabelX, LabelY       int
	Label, Tip           string
	Failed               string // the failures over the count, "" for none
	FailedY              int
	PassColor, FailColor string
}

type histTick struct {
	X, Y1, Y2, LabelY int
	Label             string
}

// Colours of the histogram's passed and failed cases.
const (
	passColor = "#3f9f7f"
	failColor = "#c8553d"
)

// histMark is a value marked on the histogram's axis.
type histMark struct {
	at    float64
	label string
}

// newHistogram lays out bins as stacked bars (passed below, failed above),
// each labelled with its number of replies, with marks drawn as dashed lines.
func newHistogram(title string, bins []ConfidenceBin, marks []histMark) histView {
	const x0, top, plotH = 8, 46, 130 // room above the plot for mark labels and counts
	h := histView{Title: title, Width: chartW, PlotX0: x0, PlotX1: chartW - 8}
	h.AxisY = top + plotH
	h.LegendY = h.AxisY + 34
	h.Height = h.LegendY + 8
	peak, total := 0, 0
	for _, b := range bins {
		peak = max(peak, b.Passed+b.Failed)
		total += b.Passed + b.Failed
	}
	h.Empty = total == 0
	if h.Empty || len(bins) == 0 {
		return h
	}
	slot := float64(h.PlotX1-x0) / float64(len(bins))
	scale := func(n int) int { return int(math.Round(float64(n) / float64(peak) * plotH)) }
	for i, b := range bins {
		n := b.Passed + b.Failed
		x := x0 + int(math.Round(float64(i)*slot)) + 2
		w := int(math.Round(slot)) - 4
		passH, failH := scale(b.Passed), scale(b.Failed)
		if n > 0 && passH+failH == 0 {
			passH = 1 // a non-empty bin is never invisible
			if b.Passed == 0 {
				passH, failH = 0, 1
			}
		}
		bar := histBar{
			X: x, W: w,
			PassY: h.AxisY - passH, PassH: passH,
			FailY: h.AxisY - passH - failH, FailH: failH,
			LabelX: x + w/2, LabelY: h.AxisY - passH - failH - 4,
			Label:     fmt.Sprint(n),
			Tip:       fmt.Sprintf("confidence %.1f–%.1f: %d replies, %d failed", b.From, b.To, n, b.Failed),
			PassColor: passColor, FailColor: failColor,
		}
		if b.Failed > 0 {
			bar.Failed, bar.FailedY = fmt.Sprintf("✗%d", b.Failed), bar.LabelY-12
		}
		h.Bars = append(h.Bars, bar)
	}
	at := func(v float64) int { return x0 + int(math.Round(v*float64(h.PlotX1-x0))) }
	for _, v := range []float64{0, 0.2, 0.4, 0.6, 0.8, 1} {
		h.Ticks = append(h.Ticks, histTick{X: at(v), Y1: h.AxisY, Y2: h.AxisY + 4, LabelY: h.AxisY + 16, Label: fmt.Sprintf("%.1f", v)})
	}
	// Marks are labelled right of their line, one row each, so that close
	// ones do not overlap.
	for i, m := range marks {
		labelY := 10 + 12*i
		h.Marks = append(h.Marks, histTick{X: at(m.at), Y1: labelY - 8, Y2: h.AxisY, LabelY: labelY, Label: m.label})
	}
	return h
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
