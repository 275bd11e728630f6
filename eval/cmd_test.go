package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// closingFake is a fake Answerer that records being closed.
type closingFake struct {
	*fakeAnswerer
	closed *[]string
	name   string
}

func (c closingFake) Close() error {
	*c.closed = append(*c.closed, c.name)
	return nil
}

// mainEnv runs Main with fake Answerers sharing one clock.
type mainEnv struct {
	clock    *fakeClock
	built    []string
	closed   []string
	buildErr error
}

func (e *mainEnv) newAnswerer(variant string) (Answerer, error) {
	if e.buildErr != nil {
		return nil, e.buildErr
	}
	e.built = append(e.built, variant)
	f := newFake()
	f.clock = e.clock
	return closingFake{fakeAnswerer: f, closed: &e.closed, name: variant}, nil
}

func (e *mainEnv) run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	if e.clock == nil {
		e.clock = newFake().clock
	}
	var out, errOut bytes.Buffer
	err = Main(context.Background(), args, &out, &errOut, e.newAnswerer, WithClock(e.clock.Now))
	return out.String(), errOut.String(), err
}

// passingDataset writes the fixture's passing cases to a temporary file.
func passingDataset(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	var keep []string
	for _, line := range strings.Split(string(raw), "\n") {
		for _, id := range []string{`"id":"ok"`, `"id":"no-code-expected"`, `"id":"multi"`} {
			if strings.Contains(line, id+",") {
				keep = append(keep, line)
			}
		}
	}
	path := filepath.Join(t.TempDir(), "passing.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(keep, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestMainText(t *testing.T) {
	t.Parallel()
	var env mainEnv
	stdout, stderr, err := env.run(t, "--dataset", fixturePath)
	if err != nil {
		t.Fatalf("Main: %v\nstderr:\n%s", err, stderr)
	}
	for _, want := range []string{
		"pass rate              27.3% (3/11)",
		"forbid violations      1",
		"hit@1                  0.250",
		"confident wrong topic  25.0% (1/4)",
		"\nby dataset (hybrid)\ndataset  cases  pass rate  confident wrong topic\ncases    11     27.3%      25.0% (1/4)\n",
		"\ntargets (hybrid), n=1: expected (rows) vs got (columns); 1 accepting several targets left out\n",
		"\nby family\n",
		"\nby kind\n",
		"failures (hybrid): 8 of 11",
		"FAIL bad-code kind=code family=05",
		`code:    expected "05", got "51"`,
		`forbid:  expected no "cvv", got found "cvv"`,
		"sources: kb-51 (0.80), kb-05 (0.70)",
		"error:   expected a reply, got fake: no canned reply",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if !regexp.MustCompile(`(?m)^metric +hybrid$`).MatchString(stdout) {
		t.Errorf("stdout lacks the summary header:\n%s", stdout)
	}
	if !strings.Contains(stderr, "eval hybrid: 11/11 cases") {
		t.Errorf("stderr lacks plain progress lines:\n%s", stderr)
	}
	if diff := cmp.Diff([]string{"hybrid"}, env.built); diff != "" {
		t.Errorf("answerers built (-want +got):\n%s", diff)
	}
}

func TestMainAllVariants(t *testing.T) {
	t.Parallel()
	var env mainEnv
	stdout, stderr, err := env.run(t, "--dataset", fixturePath, "--retriever", "all")
	if err != nil {
		t.Fatalf("Main: %v\nstderr:\n%s", err, stderr)
	}
	if diff := cmp.Diff([]string{"lexical", "vector", "hybrid"}, env.built); diff != "" {
		t.Errorf("answerers built (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"lexical", "vector", "hybrid"}, env.closed); diff != "" {
		t.Errorf("answerers closed (-want +got):\n%s", diff)
	}
	headers := regexp.MustCompile(`(?m)^metric +lexical +vector +hybrid$`).FindAllString(stdout, -1)
	if len(headers) != 1 || strings.Count(stdout, "\nmetric") != 0 {
		t.Errorf("want exactly one comparison table, got:\n%s", stdout)
	}
	for _, want := range []string{"family: 05 ", "kind: multi_turn ", "failures (hybrid): 8 of 11"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "failures (lexical)") || strings.Contains(stdout, "\nby family") {
		t.Errorf("comparison output should show only the hybrid failures:\n%s", stdout)
	}
}

func TestMainJSON(t *testing.T) {
	t.Parallel()
	var env mainEnv
	stdout, _, err := env.run(t, "--dataset", fixturePath, "--json", "--retriever", "vector")
	if err != nil {
		t.Fatalf("Main: %v", err)
	}
	var res Results
	dec := json.NewDecoder(strings.NewReader(stdout))
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	if dec.More() {
		t.Errorf("stdout holds more than one JSON document")
	}
	if len(res.Variants) != 1 || res.Variants[0].Variant != "vector" {
		t.Fatalf("variants = %+v", res.Variants)
	}
	m := res.Variants[0].Metrics
	if m.Cases != 11 || m.Passed != 3 || m.ForbidViolations != 1 || len(res.Variants[0].Cases) != 11 {
		t.Errorf("metrics = %+v", m)
	}
}

func TestMainBaseline(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	baseline := filepath.Join(dir, "baseline.json")
	passing := passingDataset(t)

	var env mainEnv
	if _, stderr, err := env.run(t, "--dataset", passing, "--write-baseline", baseline); err != nil {
		t.Fatalf("write baseline: %v\n%s", err, stderr)
	}
	b, err := ReadBaseline(baseline)
	if err != nil {
		t.Fatal(err)
	}
	if b.PassRate != 1 || b.Cases != 3 || b.ForbidViolations != 0 {
		t.Errorf("written baseline = %+v", b)
	}

	stdout, _, err := env.run(t, "--dataset", passing, "--baseline", baseline)
	if err != nil {
		t.Fatalf("floor against own baseline: %v", err)
	}
	if !strings.Contains(stdout, "quality floor: ok (pass rate 1.0000 vs baseline 1.0000)") {
		t.Errorf("stdout lacks the floor verdict:\n%s", stdout)
	}

	// The full fixture passes 3/11 and has a forbid violation.
	stdout, _, err = env.run(t, "--dataset", fixturePath, "--baseline", baseline)
	if !errors.Is(err, ErrQualityFloor) {
		t.Fatalf("floor on the failing fixture: err = %v, want ErrQualityFloor", err)
	}
	for _, want := range []string{"pass rate 0.2727 is below baseline 1.0000", "1 forbidden string"} {
		if !strings.Contains(err.Error(), want) || !strings.Contains(stdout, want) {
			t.Errorf("error and stdout should say %q; err = %v", want, err)
		}
	}
}

func TestMainReport(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "report")
	var env mainEnv
	stdout, _, err := env.run(t, "--dataset", fixturePath, "--report", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "report: "+dir+"/index.html") {
		t.Errorf("stdout does not name the report:\n%s", stdout)
	}
	page, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(page, []byte("bad-forbid")) {
		t.Errorf("index.html lacks a failing case")
	}
	raw, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res Results
	if err := json.Unmarshal(raw, &res); err != nil || len(res.Variants) != 1 {
		t.Errorf("results.json: err = %v, variants = %d", err, len(res.Variants))
	}
}

func TestMainDefaultDataset(t *testing.T) {
	// t.Chdir forbids t.Parallel.
	raw, err := os.ReadFile(passingDataset(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	clock := newFake().clock
	env := mainEnv{clock: clock}
	var out, errOut bytes.Buffer
	err = Main(context.Background(), nil, &out, &errOut, env.newAnswerer, WithClock(clock.Now), WithDefaultDataset(raw))
	if err != nil {
		t.Fatalf("Main: %v", err)
	}
	if !strings.Contains(errOut.String(), "3 cases from embedded:"+DefaultDatasetPath) {
		t.Errorf("stderr = %q, want the embedded dataset", errOut.String())
	}

	// Without an embedded copy the missing default file is an error.
	_, _, err = env.run(t)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("no dataset at all: err = %v, want ErrNotExist", err)
	}
}

func TestMainErrors(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	if err := os.WriteFile(bad, []byte("{\"id\":\"a\",\"query\":\"q\"}\n{oops\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		buildErr error
		want     string
	}{
		{"unknown retriever", []string{"--retriever", "bm25"}, nil, `--retriever "bm25"`},
		{"positional argument", []string{"extra"}, nil, `unexpected argument "extra"`},
		{"parse error names the line", []string{"--dataset", bad}, nil, bad + ":2:"},
		{"duplicate ids across datasets", []string{"--dataset", fixturePath, "--dataset", fixturePath}, nil, `duplicate id "ok"`},
		{"missing baseline", []string{"--dataset", fixturePath, "--baseline", "/nonexistent/baseline.json"}, nil, "read baseline"},
		{"answerer cannot be built", []string{"--dataset", fixturePath}, errors.New("no database"), "build hybrid answerer: no database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := mainEnv{buildErr: tt.buildErr}
			_, _, err := env.run(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	var env mainEnv
	if _, _, err := env.run(t, "-h"); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: err = %v, want flag.ErrHelp", err)
	}
}

func TestIsTerminal(t *testing.T) {
	t.Parallel()
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(&bytes.Buffer{}) || isTerminal(f) {
		t.Error("a buffer or a regular file is not a terminal")
	}
}

// TestMainDatasetsAgainstBaseline: with --baseline the per-dataset table
// shows each dataset's change in points, "—" for one the baseline lacks,
// in the text and in the JSON.
func TestMainDatasetsAgainstBaseline(t *testing.T) {
	t.Parallel()
	baseline := filepath.Join(t.TempDir(), "baseline.json")
	if err := os.WriteFile(baseline, []byte(`{"pass_rate": 0.2, "datasets": {"cases": {"cases": 11, "pass_rate": 0.5}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var env mainEnv
	// The fixture's forbidden string fails the floor; the tables are printed first.
	stdout, _, err := env.run(t, "--dataset", fixturePath, "--dataset", secondPath, "--baseline", baseline)
	if !errors.Is(err, ErrQualityFloor) {
		t.Fatalf("err = %v, want the fixture's forbid violation", err)
	}
	for _, want := range []string{
		"dataset  cases  pass rate  vs baseline  confident wrong topic\n",
		"cases    11     27.3%      -22.7 pp     25.0% (1/4)\n",
		"second   3      66.7%      —            50.0% (1/2)\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}

	stdout, _, _ = env.run(t, "--dataset", fixturePath, "--dataset", secondPath, "--baseline", baseline, "--json")
	var res Results
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	ds := res.Variants[0].Metrics.ByDataset
	if res.Baseline != baseline || len(ds) != 2 || ds[0].BaselinePassRate == nil || *ds[0].BaselinePassRate != 0.5 || ds[1].BaselinePassRate != nil {
		t.Errorf("JSON baseline %q, datasets %+v", res.Baseline, ds)
	}
	if !strings.Contains(stdout, `"confident_wrong_topic": {`) || !strings.Contains(stdout, `"target_matrix": {`) || !strings.Contains(stdout, `"confidence_histogram": [`) {
		t.Errorf("JSON lacks the new metrics:\n%.2000s", stdout)
	}
}
