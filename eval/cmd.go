package eval

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/retrieval"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
)

// DefaultDatasetPath is the dataset read when no --dataset is given, relative
// to the working directory.
const DefaultDatasetPath = "eval/testdata/cases.jsonl"

// Variants are the retriever variants `--retriever all` runs, in column order.
var Variants = []string{"lexical", "vector", "hybrid"}

// progressEvery is how often plain (non-terminal) progress lines are printed.
const progressEvery = 50

// Option configures Main.
type Option func(*config)

type config struct {
	defaultData []byte
	now         func() time.Time
}

// WithDefaultDataset supplies the dataset to use when no --dataset is given
// and DefaultDatasetPath does not exist, typically the embedded copy of
// eval/testdata/cases.jsonl.
func WithDefaultDataset(data []byte) Option {
	return func(c *config) { c.defaultData = data }
}

// WithClock sets the clock used for latency and the report's timestamp.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// listFlag collects a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// Main runs `posbot eval` with args (the arguments after "eval"). It builds
// one Answerer per retriever variant with newAnswerer (closing it afterwards
// if it is an io.Closer), runs the datasets, and prints tables, or JSON with
// --json, to stdout; progress goes to stderr. It returns flag.ErrHelp for
// -h, an error wrapping ErrQualityFloor when --baseline is not met, and
// other errors for bad flags, unreadable datasets or a cancelled ctx.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, newAnswerer func(retriever string) (Answerer, error), opts ...Option) error {
	cfg := config{now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	var (
		datasets      listFlag
		fset          = flag.NewFlagSet("posbot eval", flag.ContinueOnError)
		retriever     = fset.String("retriever", "hybrid", "retriever variant: lexical, vector, hybrid or all")
		asJSON        = fset.Bool("json", false, "print the full results as one JSON document")
		reportDir     = fset.String("report", "", "write `DIR`/index.html and DIR/results.json")
		baselinePath  = fset.String("baseline", "", "fail when the run falls below the baseline in `FILE`")
		writeBaseline = fset.String("write-baseline", "", "write the run's figures as a baseline to `FILE`")
		caseTimeout   = fset.Duration("timeout", 2*time.Minute, "time limit for one case, all turns included")
		fitCalib      = fset.Bool("fit-calibration", false, "fit the confidence model on the run's answered questions and print its weights")
	)
	fset.SetOutput(stderr)
	fset.Var(&datasets, "dataset", "JSON Lines dataset `FILE` (repeatable; default "+DefaultDatasetPath+")")
	if err := fset.Parse(args); err != nil {
		return err
	}
	if fset.NArg() > 0 {
		return fmt.Errorf("eval: unexpected argument %q", fset.Arg(0))
	}
	variants, err := selectVariants(*retriever)
	if err != nil {
		return err
	}
	if newAnswerer == nil {
		return errors.New("eval: no answerer factory")
	}

	// Read the baseline before a run that may take minutes, so a typo fails fast.
	var baseline *Baseline
	if *baselinePath != "" {
		b, err := ReadBaseline(*baselinePath)
		if err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		baseline = &b
	}
	cases, names, err := loadDatasets(datasets, cfg.defaultData)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	fmt.Fprintf(stderr, "eval: %d cases from %s\n", len(cases), strings.Join(names, ", "))

	base, err := knowledge.Embedded()
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	related, err := Related(ctx, base)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	res := &Results{GeneratedAt: cfg.now(), Datasets: names}
	defer func() {
		if *fitCalib && len(res.Variants) > 0 {
			samples := CalibrationSamples(res.Variants[0].Cases)
			fmt.Fprintf(stdout, "calibration fitted on %d answered questions without a code:\n%s\n",
				len(samples), retrieval.FormatCalibration(retrieval.FitCalibration(samples)))
		}
	}()
	for _, v := range variants {
		vr, err := runVariant(ctx, v, cases, newAnswerer, stderr, RunOptions{CaseTimeout: *caseTimeout, Now: cfg.now, Related: related})
		if err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		res.Variants = append(res.Variants, vr)
	}

	primary := res.Primary()
	if baseline != nil {
		primary.Metrics.compareWith(*baseline)
		res.Baseline = *baselinePath
	}
	if *asJSON {
		err = WriteJSON(stdout, res)
	} else {
		err = WriteText(stdout, res)
	}
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	// With --json, stdout holds only the JSON document.
	notes := stdout
	if *asJSON {
		notes = stderr
	}
	if *reportDir != "" {
		if err := WriteReport(*reportDir, res); err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		fmt.Fprintf(notes, "report: %s\n", *reportDir+"/index.html")
	}
	if *writeBaseline != "" {
		if err := WriteBaseline(*writeBaseline, NewBaseline(primary.Metrics)); err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		fmt.Fprintf(notes, "baseline written: %s (%s)\n", *writeBaseline, primary.Variant)
	}
	if baseline != nil {
		msg, err := CheckFloor(primary.Metrics, *baseline)
		if err != nil {
			fmt.Fprintf(notes, "quality floor (%s): FAILED: %v\n", primary.Variant, err)
			return fmt.Errorf("eval: %s: %w", primary.Variant, err)
		}
		fmt.Fprintln(notes, msg)
	}
	return nil
}

func selectVariants(name string) ([]string, error) {
	switch name {
	case "all":
		return Variants, nil
	case "lexical", "vector", "hybrid":
		return []string{name}, nil
	}
	return nil, fmt.Errorf("eval: --retriever %q: want lexical, vector, hybrid or all", name)
}

// loadDatasets reads every path, or the default dataset when there are none,
// and rejects ids repeated across files.
func loadDatasets(paths []string, defaultData []byte) ([]Case, []string, error) {
	if len(paths) == 0 {
		_, err := os.Stat(DefaultDatasetPath)
		switch {
		case err == nil || defaultData == nil:
			paths = []string{DefaultDatasetPath}
		case errors.Is(err, fs.ErrNotExist):
			cases, err := ParseCases("embedded:"+DefaultDatasetPath, bytes.NewReader(defaultData))
			if err != nil {
				return nil, nil, err
			}
			return nonEmpty(cases, []string{"embedded:" + DefaultDatasetPath})
		default:
			return nil, nil, fmt.Errorf("stat dataset: %w", err)
		}
	}
	var all []Case
	where := map[string]string{}
	for _, p := range paths {
		cases, err := LoadFile(p)
		if err != nil {
			return nil, nil, err
		}
		for _, c := range cases {
			if first, dup := where[c.ID]; dup {
				return nil, nil, fmt.Errorf("%s: duplicate id %q (first at %s)", c.Source, c.ID, first)
			}
			where[c.ID] = c.Source
		}
		all = append(all, cases...)
	}
	return nonEmpty(all, paths)
}

func nonEmpty(cases []Case, names []string) ([]Case, []string, error) {
	if len(cases) == 0 {
		return nil, nil, fmt.Errorf("no cases in %s", strings.Join(names, ", "))
	}
	return cases, names, nil
}

// runVariant builds the variant's Answerer, runs every case and summarises.
func runVariant(ctx context.Context, variant string, cases []Case, newAnswerer func(string) (Answerer, error), stderr io.Writer, opts RunOptions) (VariantResult, error) {
	a, err := newAnswerer(variant)
	if err != nil {
		return VariantResult{}, fmt.Errorf("build %s answerer: %w", variant, err)
	}
	if c, ok := a.(io.Closer); ok {
		defer c.Close()
	}
	var finish func()
	opts.Progress, finish = newProgress(stderr, variant, len(cases))
	results, err := Run(ctx, a, variant, cases, opts)
	finish()
	if err != nil {
		return VariantResult{}, err
	}
	return VariantResult{Variant: variant, Metrics: Compute(results), Cases: results}, nil
}

// newProgress reports progress on stderr: a bar when it is a terminal, else a
// line every progressEvery cases and at the end. finish ends the bar's line.
func newProgress(stderr io.Writer, variant string, total int) (progress func(done, total int), finish func()) {
	if isTerminal(stderr) {
		bar := progressbar.NewOptions(total,
			progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription("eval "+variant),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
		)
		return func(done, _ int) { _ = bar.Set(done) }, func() { _ = bar.Finish(); fmt.Fprintln(stderr) }
	}
	return func(done, total int) {
		if done%progressEvery == 0 || done == total {
			fmt.Fprintf(stderr, "eval %s: %d/%d cases\n", variant, done, total)
		}
	}, func() {}
}

// isTerminal reports whether w is a character device such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
