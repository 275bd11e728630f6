package eval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
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
	Charts   []chartView
	Failures []failureSection
}

type reportRow struct {
	Name   string
	Values []string
}

type failureSection struct {
	Variant string
	Open    bool
	Total   int
	Cases   []CaseResult
}

func newReportView(res *Results) reportView {
	v := reportView{Title: ReportTitle, Results: res}
	if p := res.Primary(); p != nil {
		v.Primary = p.Variant
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

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"join":  strings.Join,
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
body { margin: 0; padding: 24px 32px 48px; background: #f6f7f9; color: #1f2430;
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 10px; }
.meta { color: #5b6275; margin: 0 0 16px; }
.card { background: #fff; border: 1px solid #dde1e8; border-radius: 8px; padding: 16px 20px; margin-bottom: 16px; }
.chart { overflow-x: auto; }
.card > h2:first-child { margin-top: 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid #e8ebf0; vertical-align: top; }
th { background: #f0f2f6; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.summary { width: auto; min-width: 420px; }
svg { display: block; }
svg text { font-size: 12px; fill: #1f2430; }
svg text.axis { fill: #8a90a0; font-size: 10px; }
details { margin-top: 12px; }
summary { cursor: pointer; font-weight: 600; font-size: 15px; }
.fail td { font-size: 13px; }
.id { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; white-space: nowrap; }
.tags { color: #5b6275; font-size: 12px; }
.check { white-space: nowrap; font-weight: 600; color: #b3261e; }
.answer { color: #3b4252; max-width: 480px; overflow-wrap: anywhere; }
.query { max-width: 300px; overflow-wrap: anywhere; }
.sources { font-size: 12px; color: #5b6275; overflow-wrap: anywhere; }
ul.checks { margin: 0; padding-left: 0; list-style: none; }
ul.checks li { margin-bottom: 2px; overflow-wrap: anywhere; }
.ok { color: #2f7d4f; font-weight: 600; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="meta">Generated {{.Results.GeneratedAt.Format "2006-01-02 15:04:05 MST"}} · datasets: {{join .Results.Datasets ", "}} · variants: {{join .Variants ", "}}{{if gt (len .Variants) 1}} · failures and quality floor use <b>{{.Primary}}</b>{{end}}</p>

<div class="card">
<h2>Summary</h2>
<table class="summary">
<thead><tr><th>metric</th>{{range .Variants}}<th class="num">{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr><td>{{.Name}}</td>{{range .Values}}<td class="num">{{.}}</td>{{end}}</tr>
{{end}}</tbody>
</table>
</div>

{{range .Charts}}<div class="card chart">
<h2>{{.Title}}</h2>
{{if .Rows}}<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{{.Title}}" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}">
{{range .Legend}}<rect x="{{.X}}" y="6" width="12" height="12" rx="2" fill="{{.Color}}"></rect><text x="{{.TextX}}" y="16">{{.Name}}</text>
{{end}}{{range .Axis}}<line x1="{{.X}}" x2="{{.X}}" y1="{{.Y1}}" y2="{{.Y2}}" stroke="#e3e6ec"></line><text class="axis" x="{{.X}}" y="{{.LabelY}}" text-anchor="middle">{{.Label}}</text>
{{end}}{{range .Rows}}<g><title>{{.Full}}</title><text x="{{.LabelX}}" y="{{.LabelY}}" text-anchor="end">{{.Label}}</text>
{{range .Bars}}<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" fill="{{.Color}}"><title>{{.Tip}}</title></rect><text x="{{.TextX}}" y="{{.TextY}}">{{.Text}}</text>
{{end}}</g>
{{end}}</svg>{{else}}<p class="meta">No data.</p>{{end}}
</div>
{{end}}
{{range .Failures}}<details class="card"{{if .Open}} open{{end}}>
<summary>Failures — {{.Variant}}: {{len .Cases}} of {{.Total}}</summary>
{{if .Cases}}<table class="fail">
<thead><tr><th>case</th><th>query</th><th>failed checks (expected → got)</th><th>answer excerpt</th><th>top sources</th></tr></thead>
<tbody>
{{range .Cases}}<tr>
<td><span class="id">{{.ID}}</span><div class="tags">{{.Kind}}{{if and .Kind .Family}} · {{end}}{{.Family}}</div></td>
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
