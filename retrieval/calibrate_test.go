package retrieval

import (
	"math"
	"testing"
)

func TestCalibrate(t *testing.T) {
	t.Parallel()
	if p := Calibrate(Evidence{}); p != 0 {
		t.Errorf("Calibrate(no evidence) = %v, want 0", p)
	}
	weak := Evidence{Coverage: 0.3, Matched: 1.5, Core: 1.5, Similarity: 0.15, Margin: 0.01, Terms: 6, Unknown: 3}
	strong := Evidence{Coverage: 1, Matched: 12, Core: 12, Similarity: 0.55, Margin: 0.05, Terms: 4, Concepts: 1, Supported: 1, Display: true}
	pw, ps := Calibrate(weak), Calibrate(strong)
	if !(pw < 0.5 && ps > 0.9) {
		t.Errorf("Calibrate: weak %.3f, strong %.3f; want weak < 0.5 < 0.9 < strong", pw, ps)
	}
	// More coverage never lowers the probability.
	more := weak
	more.Coverage = 0.9
	if Calibrate(more) <= pw {
		t.Errorf("more coverage: %.3f, want above %.3f", Calibrate(more), pw)
	}
}

// TestFitCalibration: fitted on samples where only a quoted screen wording
// tells on-topic answers apart, the model weighs that feature most.
func TestFitCalibration(t *testing.T) {
	t.Parallel()
	var samples []Sample
	for i := range 200 {
		ev := Evidence{Coverage: 0.5, Matched: 4, Core: 4, Similarity: 0.3, Terms: 4, Display: i%2 == 0}
		samples = append(samples, Sample{Evidence: ev, OnTopic: ev.Display == (i%10 != 0)})
	}
	w := FitCalibration(samples)
	display := w[3+4] // FeatureNames index of "display"
	if FeatureNames[7] != "display" || display < 1 {
		t.Fatalf("weights %s: want a large display weight", FormatCalibration(w))
	}
	if again := FitCalibration(samples); FormatCalibration(again) != FormatCalibration(w) {
		t.Fatal("FitCalibration is not deterministic")
	}
	if math.IsNaN(w[0]) {
		t.Fatal("NaN weight")
	}
}
