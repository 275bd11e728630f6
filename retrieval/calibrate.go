package retrieval

import (
	"fmt"
	"math"
	"strings"
)

// Calibration turns a search's Evidence into the probability that its top
// passage is about what the merchant asked: a logistic model over a few
// evidence features, fitted on labelled evaluation questions (posbot eval
// --fit-calibration prints the weights of a run). Every Searcher reports the
// same Evidence, so the probability means the same on every backend.

// FeatureNames name the features of Features, in order.
var FeatureNames = []string{"bias", "coverage", "matched", "similarity", "margin", "unknown", "concepts", "display", "terms", "core"}

// Features returns the model's inputs for ev, each scaled to about [0, 1].
func Features(ev Evidence) []float64 {
	terms := float64(max(1, ev.Terms))
	b := func(v bool) float64 {
		if v {
			return 1
		}
		return 0
	}
	return []float64{
		1,
		ev.Coverage,
		math.Min(1, ev.Matched/matchedEnough),
		similarity(ev.Similarity),
		math.Min(1, math.Max(0, ev.Margin)),
		float64(ev.Unknown) / terms,
		b(ev.Concepts > 0),
		b(ev.Display),
		math.Log(1 + terms),
		math.Min(1, ev.Core/matchedEnough),
	}
}

// calibration are the model's weights, in FeatureNames order, fitted with
// `posbot eval --fit-calibration` on the datasets cases.jsonl and dev2 …
// dev18 (505 answered questions without a code that name their passages);
// the datasets written
// later (dev19 …) were held out to check it.
var calibration = []float64{-0.3269, 1.0642, 0.6183, 1.1401, 0.1765, -1.0678, 0.2198, 1.2636, -0.3750, 0.4513}

// Calibrate returns the probability that ev's top passage is on the
// merchant's topic, 0 when nothing matched.
func Calibrate(ev Evidence) float64 {
	if ev.Matched == 0 {
		return 0
	}
	return sigmoid(dotF(calibration, Features(ev)))
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-math.Max(-30, math.Min(30, z)))) }

func dotF(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// Sample is one labelled search for fitting: its evidence and whether its
// top passage was on the topic.
type Sample struct {
	Evidence Evidence
	OnTopic  bool
}

// FitCalibration fits the logistic model to samples by gradient descent
// with light L2 regularisation (deterministic: same samples, same weights).
func FitCalibration(samples []Sample) []float64 {
	w := make([]float64, len(FeatureNames))
	if len(samples) == 0 {
		return w
	}
	xs := make([][]float64, len(samples))
	for i, s := range samples {
		xs[i] = Features(s.Evidence)
	}
	const rate, l2, steps = 0.2, 0.005, 4000
	g := make([]float64, len(w))
	for range steps {
		clear(g)
		for i, x := range xs {
			y := 0.0
			if samples[i].OnTopic {
				y = 1
			}
			d := sigmoid(dotF(w, x)) - y
			for j := range g {
				g[j] += d * x[j]
			}
		}
		for j := range w {
			reg := 0.0
			if j > 0 {
				reg = l2 * w[j]
			}
			w[j] -= rate * (g[j]/float64(len(xs)) + reg)
		}
	}
	return w
}

// FormatCalibration writes weights as the Go literal of calibration.
func FormatCalibration(w []float64) string {
	parts := make([]string, len(w))
	for i, x := range w {
		parts[i] = fmt.Sprintf("%.4f", x)
	}
	return "[]float64{" + strings.Join(parts, ", ") + "}"
}
