package eval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// ReportTitle is the title of the HTML report.
const ReportTitle = "posbot eval report"

// WriteJSON writes res as one indented JSON document.
func WriteJSON(w io.Writer, res *Results) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		return fmt.Errorf("encode results: %w", err)
	}
	return nil
}

// WriteReport creates dir if needed and writes dir/index.html, one
// self-contained page (inline CSS and SVG, no scripts), and dir/results.json.
func WriteReport(dir string, res *Results) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create report dir: %w", err)
	}
	var page bytes.Buffer
	if err := RenderHTML(&page, res); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "index.html"), page.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, res); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), js.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// RenderHTML writes the HTML report of res to w.
func RenderHTML(w io.Writer, res *Results) error {
	if err := reportTemplate.Execute(w, newReportView(res)); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	return nil
}

type reportView struct {
	Title    string
	Results  *Results
	Primary  string
	Variants []string
	Rows     []reportRow
	Datasets datasetTable
	Targets  targetTable
	Charts   []chartView
	Hist     histView
	Failures []failureSection
}

type reportRow struct {
	Name   string
	Values []string
}

// datasetTable is the primary variant's per-dataset table.
type datasetTable struct {
	Compared bool
	Rows     []datasetRow
}

type datasetRow struct {
	Name, Cases, PassRate, Change, WrongTopic string
	// Trend is "up", "down" or "" for the change's colour.
	Trend string
}

// targetTable is the primary variant's target confusion matrix.
type targetTable struct {
	Got         []string
	Rows        []targetRow
	Total       int
	MultiTarget int
}

type targetRow struct {
	Expected string
	Cells    []targetCell
	Total    int
}

type targetCell struct {
	N int
	// Class is "hit" on the diagonal, "miss" for a wrong target with
	// cases, "" for an empty cell.
	Class string
}

type failureSection struct {
	Variant string
	Open    bool
	Total   int
	Cases   []CaseResult
}

func newReportView(res *Results) reportView {
	v := reportView{Title: ReportTitle, Results: res}
	p := res.Primary()
	if p != nil {
		v.Primary = p.Variant
		v.Datasets = newDatasetTable(p.Metrics.ByDataset, res.Baseline != "")
		v.Targets = newTargetTable(p.Metrics.Targets)
		v.Hist = newHistogram("Reply confidence — "+p.Variant, p.Metrics.Confidence,
			[]histMark{{0.15, "0.15 hedged"}, {ConfidentAt, "0.35 answered"}})
	}
	for _, vr := range res.Variants {
		v.Variants = append(v.Variants, vr.Variant)
	}
	for _, row := range metricRows {
		r := reportRow{Name: row.Name}
		for _, vr := range res.Variants {
			r.Values = append(r.Values, row.Value(vr.Metrics))
		}
		v.Rows = append(v.Rows, r)
	}
	v.Charts = []chartView{
		newChart("Pass rate by dataset", v.Variants, datasetSeries(res)),
		newChart("Check accuracy", v.Variants, checkSeries(res)),
		newChart("Pass rate by family", v.Variants, groupSeries(res, func(m Metrics) []Group { return m.ByFamily })),
		newChart("Pass rate by kind", v.Variants, groupSeries(res, func(m Metrics) []Group { return m.ByKind })),
	}
	for _, vr := range res.Variants {
		v.Failures = append(v.Failures, failureSection{
			Variant: vr.Variant,
			Open:    vr.Variant == v.Primary,
			Total:   len(vr.Cases),
			Cases:   vr.Failures(),
		})
	}
	return v
}

func newDatasetTable(groups []DatasetGroup, compared bool) datasetTable {
	t := datasetTable{Compared: compared}
	for _, d := range groups {
		row := datasetRow{
			Name: d.Name, Cases: fmt.Sprint(d.Cases),
			PassRate:   fmt.Sprintf("%.1f%%", 100*d.PassRate),
			Change:     fmtChange(d),
			WrongTopic: fmtRatio(d.ConfidentWrongTopic),
		}
		if c, ok := d.Change(); ok && math.Abs(c) >= 0.0005 {
			row.Trend = "up"
			if c < 0 {
				row.Trend = "down"
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

func newTargetTable(m TargetMatrix) targetTable {
	t := targetTable{Got: m.Got, Total: m.Total(), MultiTarget: m.MultiTarget}
	for i, e := range m.Expected {
		row := targetRow{Expected: e}
		for j, n := range m.Counts[i] {
			c := targetCell{N: n}
			switch {
			case j < len(m.Expected) && m.Expected[j] == e:
				c.Class = "hit"
			case n > 0:
				c.Class = "miss"
			}
			row.Cells = append(row.Cells, c)
			row.Total += n
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"join": strings.Join,
	"names": func(paths []string) []string {
		out := make([]string, len(paths))
		for i, p := range paths {
			out[i] = datasetName(p)
		}
		return out
	},
	"pct":   func(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) },
	"srcs":  fmtSources,
	"query": func(s string) string { return excerpt(s, excerptRunes) },
}).Parse(reportHTML))

const reportHTML = `<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1100px; padding: 24px 32px 48px; background: #f6f7f9; color: #1f2430;
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 10px; }
.meta { color: #5b6275; margin: 0 0 16px; overflow-wrap: anywhere; }
.note { color: #5b6275; font-size: 12px; margin: 8px 0 0; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(360px, 1fr)); gap: 0 16px; }
.card { background: #fff; border: 1px solid #dde1e8; border-radius: 8px; padding: 16px 20px; margin-bottom: 16px; min-width: 0; }
.card > h2:first-child { margin-top: 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid #e8ebf0; vertical-align: top; }
th { background: #f0f2f6; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.summary, table.datasets { width: auto; }
td.up { color: #2f7d4f; } td.down { color: #b3261e; font-weight: 600; }
table.matrix td.hit { background: #e3f3ea; font-weight: 600; }
table.matrix td.miss { background: #fbe4df; color: #8f1d14; font-weight: 600; }
table.matrix th.corner { font-weight: 400; color: #5b6275; font-size: 12px; }
svg { display: block; max-width: 100%; height: auto; }
svg text { font-size: 12px; fill: #1f2430; }
svg text.value { font-size: 11px; font-variant-numeric: tabular-nums; }
svg text.axis { fill: #5b6275; font-size: 10px; }
svg text.count { font-size: 10px; }
svg text.failed { fill: #b3261e; }
details { margin-top: 12px; }
summary { cursor: pointer; font-weight: 600; font-size: 15px; }
.fail td { font-size: 13px; }
.id { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; overflow-wrap: anywhere; }
.tags { color: #5b6275; font-size: 12px; }
.check { white-space: nowrap; font-weight: 600; color: #b3261e; }
.answer { color: #3b4252; max-width: 480px; overflow-wrap: anywhere; }
.query { max-width: 300px; overflow-wrap: anywhere; }
.sources { font-size: 12px; color: #5b6275; overflow-wrap: anywhere; }
ul.checks { margin: 0; padding-left: 0; list-style: none; }
ul.checks li { margin-bottom: 2px; overflow-wrap: anywhere; }
.ok { color: #2f7d4f; font-weight: 600; }
@media (max-width: 640px) {
  body { padding: 12px 10px 32px; }
  .card { padding: 12px; }
  th, td { padding: 4px 6px; }
  table { font-size: 12px; }
  th.num, td.num { white-space: normal; }
  .grid { display: block; }
  table.fail thead { display: none; }
  table.fail tr { display: block; border-bottom: 1px solid #dde1e8; padding: 6px 0; }
  table.fail td { display: block; border: 0; padding: 2px 0; max-width: none; }
}
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="meta">Generated {{.Results.GeneratedAt.Format "2006-01-02 15:04:05 MST"}} · {{len .Results.Datasets}} dataset files: {{join (names .Results.Datasets) ", "}} · variants: {{join .Variants ", "}}{{if gt (len .Variants) 1}} · tables of one variant and failures are <b>{{.Primary}}</b>{{end}}{{if .Results.Baseline}} · compared with {{.Results.Baseline}}{{end}}</p>

<div class="card">
<h2>Summary</h2>
<div class="scroll"><table class="summary">
<thead><tr><th>metric</th>{{range .Variants}}<th class="num">{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr><td>{{.Name}}</td>{{range .Values}}<td class="num">{{.}}</td>{{end}}</tr>
{{end}}</tbody>
</table></div>
</div>

{{with .Datasets}}{{if .Rows}}<div class="card">
<h2>By dataset — {{$.Primary}}</h2>
<div class="scroll"><table class="datasets">
<thead><tr><th>dataset</th><th class="num">n</th><th class="num">pass rate</th>{{if .Compared}}<th class="num">vs baseline</th>{{end}}<th class="num">confident wrong topic</th></tr></thead>
<tbody>
{{range .Rows}}<tr><td>{{.Name}}</td><td class="num">{{.Cases}}</td><td class="num">{{.PassRate}}</td>{{if $.Datasets.Compared}}<td class="num {{.Trend}}">{{.Change}}</td>{{end}}<td class="num">{{.WrongTopic}}</td></tr>
{{end}}</tbody>
</table></div>
<p class="note">Confident wrong topic: of the cases that name their passages (expect_ids), the share answered by a diagnosis with confidence ≥ 0.35, no question and no handoff, whose top source is none of them.{{if .Compared}} Changes are in percentage points against the baseline's pass rate for the dataset.{{end}}</p>
</div>{{end}}{{end}}

<div class="grid">
{{with .Targets}}{{if .Total}}<div class="card">
<h2>Targets — {{$.Primary}}</h2>
<div class="scroll"><table class="matrix">
<thead><tr><th class="corner">expected ↓ got →</th>{{range .Got}}<th class="num">{{.}}</th>{{end}}<th class="num">n</th></tr></thead>
<tbody>
{{range .Rows}}<tr><th>{{.Expected}}</th>{{range .Cells}}<td class="num {{.Class}}">{{.N}}</td>{{end}}<td class="num">{{.Total}}</td></tr>
{{end}}</tbody>
</table></div>
<p class="note">n={{.Total}}: the cases that accept exactly one target; green is right, red is a wrong target.{{if .MultiTarget}} Cases accepting several targets are left out ({{.MultiTarget}}).{{end}}</p>
</div>{{end}}{{end}}

{{with .Hist}}<div class="card">
<h2>{{.Title}}</h2>
{{if .Empty}}<p class="meta">No replies.</p>{{else}}<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{{.Title}}" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}">
{{range .Marks}}<line x1="{{.X}}" x2="{{.X}}" y1="{{.Y1}}" y2="{{.Y2}}" stroke="#8a90a0" stroke-dasharray="3 3"></line><text class="axis" x="{{.X}}" y="{{.LabelY}}" dx="3">{{.Label}}</text>
{{end}}{{range .Bars}}<g><title>{{.Tip}}</title><rect x="{{.X}}" y="{{.PassY}}" width="{{.W}}" height="{{.PassH}}" fill="{{.PassColor}}"></rect><rect x="{{.X}}" y="{{.FailY}}" width="{{.W}}" height="{{.FailH}}" fill="{{.FailColor}}"></rect><text class="count" x="{{.LabelX}}" y="{{.LabelY}}" text-anchor="middle">{{.Label}}</text>{{if .Failed}}<text class="count failed" x="{{.LabelX}}" y="{{.FailedY}}" text-anchor="middle">{{.Failed}}</text>{{end}}</g>
{{end}}<line x1="{{.PlotX0}}" x2="{{.PlotX1}}" y1="{{.AxisY}}" y2="{{.AxisY}}" stroke="#8a90a0"></line>
{{range .Ticks}}<line x1="{{.X}}" x2="{{.X}}" y1="{{.Y1}}" y2="{{.Y2}}" stroke="#8a90a0"></line><text class="axis" x="{{.X}}" y="{{.LabelY}}" text-anchor="middle">{{.Label}}</text>
{{end}}<rect x="{{.PlotX0}}" y="{{.LegendY}}" width="10" height="10" fill="#3f9f7f" transform="translate(0,-9)"></rect><text x="{{.PlotX0}}" y="{{.LegendY}}" dx="14">passed</text><rect x="{{.PlotX0}}" y="{{.LegendY}}" width="10" height="10" fill="#c8553d" transform="translate(70,-9)"></rect><text x="{{.PlotX0}}" y="{{.LegendY}}" dx="84">failed</text>
</svg>
<p class="note">Replies by retrieval confidence in bins of 0.1: over each bar its number of replies and, in red, of failed cases. Below 0.15 the engine asks, from 0.35 it answers without hedging.</p>{{end}}
</div>{{end}}
</div>

<div class="grid">
{{range .Charts}}<div class="card">
<h2>{{.Title}}</h2>
{{if .Rows}}<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{{.Title}}" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}">
{{range .Legend}}<rect x="{{.X}}" y="4" width="12" height="12" rx="2" fill="{{.Color}}"></rect><text x="{{.TextX}}" y="14">{{.Name}}</text>
{{end}}{{range .Rows}}<g><title>{{.Full}}</title><text x="0" y="{{.LabelY}}">{{.Label}}</text>
{{range .Bars}}<g><title>{{.Tip}}</title><rect x="{{.X}}" y="{{.Y}}" width="{{.TrackW}}" height="{{.H}}" fill="#eef0f4"></rect><rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" fill="{{.Color}}"></rect><text class="value" x="{{.TextX}}" y="{{.TextY}}" text-anchor="end">{{.Text}}</text></g>
{{end}}</g>
{{end}}</svg>{{else}}<p class="meta">No data.</p>{{end}}
</div>
{{end}}</div>

{{range .Failures}}<details class="card"{{if .Open}} open{{end}}>
<summary>Failures — {{.Variant}}: {{len .Cases}} of {{.Total}}</summary>
{{if .Cases}}<table class="fail">
<thead><tr><th>case</th><th>query</th><th>failed checks (expected → got)</th><th>answer excerpt</th><th>top sources</th></tr></thead>
<tbody>
{{range .Cases}}<tr>
<td><span class="id">{{.ID}}</span><div class="tags">{{.Dataset}}{{if .Kind}} · {{.Kind}}{{end}}{{if .Family}} · {{.Family}}{{end}}</div></td>
<td class="query">{{query .Query}}</td>
<td><ul class="checks">{{range .Failures}}<li><span class="check">{{.Check}}</span>: {{.Expected}} → {{.Got}}</li>{{end}}</ul></td>
<td class="answer">{{.Answer}}</td>
<td class="sources">{{srcs .TopSources}}</td>
</tr>
{{end}}</tbody>
</table>{{else}}<p class="ok">All cases passed.</p>{{end}}
</details>
{{end}}
</body>
</html>
`
