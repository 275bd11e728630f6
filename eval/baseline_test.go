package eval

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCheckFloor(t *testing.T) {
	t.Parallel()
	base := Baseline{PassRate: 0.93, Cases: 100, Datasets: map[string]DatasetBaseline{"handoff": {Cases: 60, PassRate: 0.95}}}
	sets := func(rate float64, cases int) []DatasetGroup {
		return []DatasetGroup{{Group: Group{Name: "handoff", Cases: cases, PassRate: rate}}}
	}
	tests := []struct {
		name     string
		m        Metrics
		wantFail string // substring of the error; "" means the floor holds
	}{
		{"same", Metrics{Cases: 100, PassRate: 0.93}, ""},
		{"better", Metrics{Cases: 100, PassRate: 0.97}, ""},
		{"exactly one point lower", Metrics{Cases: 100, PassRate: 0.92}, ""},
		{"more than one point lower", Metrics{Cases: 100, PassRate: 0.919}, "pass rate 0.9190 is below baseline 0.9300"},
		{"forbid violation", Metrics{Cases: 100, PassRate: 0.99, ForbidViolations: 1}, "1 forbidden string"},
		{"a set three points lower", Metrics{Cases: 100, PassRate: 0.93, ByDataset: sets(0.92, 60)}, ""},
		{"a set more than three points lower", Metrics{Cases: 100, PassRate: 0.93, ByDataset: sets(0.9, 60)}, "dataset handoff: pass rate 0.9000 is below its baseline 0.9500"},
		{"a small set lower", Metrics{Cases: 100, PassRate: 0.93, ByDataset: sets(0.5, 20)}, ""},
		{"both", Metrics{Cases: 100, PassRate: 0.5, ForbidViolations: 2}, "pass rate 0.5000 is below baseline 0.9300 by more than 0.01; 2 forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			msg, err := CheckFloor(tt.m, base)
			if tt.wantFail == "" {
				if err != nil {
					t.Fatalf("CheckFloor: %v, want ok", err)
				}
				if !strings.HasPrefix(msg, "quality floor: ok (pass rate ") {
					t.Errorf("message = %q", msg)
				}
				return
			}
			if !errors.Is(err, ErrQualityFloor) {
				t.Fatalf("CheckFloor: err = %v, want ErrQualityFloor", err)
			}
			if !strings.Contains(err.Error(), tt.wantFail) {
				t.Errorf("error %q does not say %q", err, tt.wantFail)
			}
		})
	}
}

func TestBaselineRoundTrip(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "baseline.json")
	m := Metrics{
		Cases: 3, PassRate: 2.0 / 3, Code: Ratio{Value: 1.0 / 3}, HitAt1: 0.123456, MRR: 0.99999,
		LatencyP50MS: 12.34567, LatencyP95MS: 99,
		ByDataset: []DatasetGroup{{Group: Group{"cases", 2, 1, 0.5}}, {Group: Group{"dev2", 1, 1, 1}}},
	}
	if err := WriteBaseline(path, NewBaseline(m)); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), "\n  \"pass_rate\": 0.6667,\n") {
		t.Errorf("baseline is not indented JSON rounded to 4 decimals:\n%s", raw)
	}
	got, err := ReadBaseline(path)
	if err != nil {
		t.Fatal(err)
	}
	want := Baseline{Cases: 3, PassRate: 0.6667, CodeAccuracy: 0.3333, HitAt1: 0.1235, MRR: 1, LatencyP50MS: 12.3457, LatencyP95MS: 99,
		Datasets: map[string]DatasetBaseline{"cases": {2, 0.5}, "dev2": {1, 1}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestReadBaselineRequiresPassRate(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "baseline.json")
	if err := os.WriteFile(path, []byte(`{"cases": 10}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadBaseline(path); err == nil || !strings.Contains(err.Error(), "pass_rate") {
		t.Errorf("ReadBaseline without pass_rate: err = %v", err)
	}
}

func TestCompareWith(t *testing.T) {
	t.Parallel()
	m := Metrics{ByDataset: []DatasetGroup{
		{Group: Group{"cases", 10, 9, 0.9}}, {Group: Group{"dev2", 4, 1, 0.25}}, {Group: Group{"new", 2, 2, 1}},
	}}
	m.compareWith(Baseline{PassRate: 0.8, Datasets: map[string]DatasetBaseline{"cases": {10, 0.85}, "dev2": {4, 0.25}, "gone": {3, 1}}})
	tests := []struct {
		name, text string
		ok         bool
		change     float64
	}{
		{"cases", "+5.0 pp", true, 0.05},
		{"dev2", "±0.0 pp", true, 0},
		{"new", "—", false, 0},
	}
	for i, tt := range tests {
		d := m.ByDataset[i]
		c, ok := d.Change()
		if d.Name != tt.name || ok != tt.ok || math.Abs(c-tt.change) > 1e-9 || fmtChange(d) != tt.text {
			t.Errorf("%s: change %v, %v, %q; want %v, %v, %q", d.Name, c, ok, fmtChange(d), tt.change, tt.ok, tt.text)
		}
	}
	if got := fmtChange(DatasetGroup{Group: Group{PassRate: 0.5}, BaselinePassRate: ptr(0.5123)}); got != "-1.2 pp" {
		t.Errorf("a fall shows as %q, want -1.2 pp", got)
	}
}
