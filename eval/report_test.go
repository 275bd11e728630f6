package eval

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fixtureResults runs the fixture through two variants so reports show the
// side-by-side charts.
func fixtureResults(t *testing.T) *Results {
	t.Helper()
	res := &Results{
		GeneratedAt: time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC),
		Datasets:    []string{fixturePath},
	}
	for _, v := range []string{"lexical", "hybrid"} {
		cases, _ := runFixture(t, v)
		res.Variants = append(res.Variants, VariantResult{Variant: v, Metrics: Compute(cases), Cases: cases})
	}
	return res
}

func TestRenderHTMLIsSelfContainedAndEscaped(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := RenderHTML(&buf, fixtureResults(t)); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{
		`<meta charset="utf-8">`, "<title>" + ReportTitle + "</title>", "<style>", "<svg",
		"Pass rate by family", "Pass rate by kind", "Check accuracy",
		"bad-forbid", "卡被拒了怎么办", "&lt;script&gt;undefinedEvalFn()",
		"Failures — hybrid: 8 of 11", "Failures — lexical: 8 of 11",
		// The primary variant's tables: datasets, targets, confidence.
		"By dataset — hybrid", "<td>cases</td><td class=\"num\">11</td><td class=\"num\">27.3%</td><td class=\"num\">25.0% (1/4)</td>",
		"Targets — hybrid", `<td class="num hit">1</td>`, "several targets are left out (1)",
		"Reply confidence — hybrid", "0.35 answered", "confidence 0.9–1.0: 2 replies, 1 failed",
		// Every bar says its sample size.
		"Pass rate by dataset", "27.3% (3/11)", "25.0% (1/4)", "(n=4)",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// Self-contained: nothing is fetched and no script runs.
	for _, banned := range []string{"<script", "<link", "<img", "src=", "url(", "@import", "@font-face"} {
		if strings.Contains(page, banned) {
			t.Errorf("report contains %q", banned)
		}
	}
}

// chromium returns the path of a Chromium binary, failing in CI and
// skipping elsewhere when there is none.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium (or chromium-browser) not found in PATH; CI must provide it")
	}
	t.Skip("chromium not found in PATH")
	return ""
}

func TestReportRendersInChromium(t *testing.T) {
	t.Parallel()
	bin := chromium(t)
	dir := t.TempDir()
	if err := WriteReport(filepath.Join(dir, "report"), fixtureResults(t)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(dir, "profile"),
		"--enable-logging=stderr", "--v=0",
		"--dump-dom", "file://"+filepath.Join(dir, "report", "index.html"),
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\nstderr:\n%s", err, stderr.String())
	}
	dom := stdout.String()
	for _, want := range []string{ReportTitle, "bad-forbid", "<svg", "卡被拒了怎么办"} {
		if !strings.Contains(dom, want) {
			t.Errorf("dumped DOM lacks %q", want)
		}
	}
	// The report runs no script, so any console line (INFO:CONSOLE for an
	// uncaught exception in current Chromium, ERROR:CONSOLE in others) is a bug.
	for _, line := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(line, "Uncaught") || strings.Contains(line, ":CONSOLE") {
			t.Errorf("chromium console error: %s", line)
		}
	}
}
