package retrieval

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Defaults used for zero FallbackOptions fields.
const (
	// DefaultFallbackTimeout is the deadline of one primary search.
	DefaultFallbackTimeout = 800 * time.Millisecond
	// DefaultBreakerFailures is how many primary failures in a row open the circuit.
	DefaultBreakerFailures = 3
	// DefaultBreakerCoolDown is how long an open circuit skips the primary.
	DefaultBreakerCoolDown = 30 * time.Second
)

// Reasons a Fallback answered from its secondary, as passed to OnFallback.
const (
	FallbackError   = "error"   // the primary returned an error
	FallbackTimeout = "timeout" // the primary did not answer within the deadline
	FallbackOpen    = "open"    // the circuit was open: the primary was not asked
)

// FallbackOptions configure a Fallback. The zero value is usable.
type FallbackOptions struct {
	// Timeout bounds each primary search; 0 means DefaultFallbackTimeout.
	Timeout time.Duration
	// Failures is how many primary failures in a row open the circuit; 0
	// means DefaultBreakerFailures.
	Failures int
	// CoolDown is how long an open circuit skips the primary before one
	// search probes it again; 0 means DefaultBreakerCoolDown.
	CoolDown time.Duration
	// Logger gets one line per change of the primary's state (failing,
	// skipped, answering again), never one per search; nil discards them.
	Logger *slog.Logger
	// OnFallback, if set, is called once for every search the secondary
	// answered, with FallbackError, FallbackTimeout or FallbackOpen. It must
	// be safe for concurrent use; a metrics counter fits.
	OnFallback func(reason string)
	// Now is the clock of the circuit breaker; nil means time.Now.
	Now func() time.Time
}

// Fallback is a Searcher that asks a primary (PostgreSQL) under a short
// deadline and answers from a secondary (the in-memory Retriever over the
// embedded knowledge base) when the primary fails or is too slow, so a slow
// or dead database costs a message at most the deadline, never its answer.
//
// A circuit breaker spares even the deadline: after Failures failures in a
// row the primary is skipped for CoolDown, then one search probes it while
// the others keep using the secondary; a probe that succeeds closes the
// circuit. A search whose caller gave up is not counted against the primary.
//
// Build it with NewFallback. It is safe for concurrent use.
type Fallback struct {
	primary, secondary Searcher
	opts               FallbackOptions

	mu        sync.Mutex
	failures  int       // primary failures in a row
	openUntil time.Time // while the circuit is open: when to probe again
	probing   bool      // a probe of an open circuit is in flight
}

var _ Searcher = (*Fallback)(nil)

// NewFallback returns a Fallback that searches primary and falls back to
// secondary.
func NewFallback(primary, secondary Searcher, opts FallbackOptions) *Fallback {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultFallbackTimeout
	}
	if opts.Failures <= 0 {
		opts.Failures = DefaultBreakerFailures
	}
	if opts.CoolDown <= 0 {
		opts.CoolDown = DefaultBreakerCoolDown
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Fallback{primary: primary, secondary: secondary, opts: opts}
}

// Search implements Searcher. It returns an error only when the caller's
// context ends or the secondary fails.
func (f *Fallback) Search(ctx context.Context, q Query) (Result, error) {
	probe, ok := f.admit()
	if !ok {
		return f.fallback(ctx, q, FallbackOpen)
	}
	pctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	defer cancel()
	res, err := f.searchPrimary(pctx, q)
	switch {
	case err == nil:
		f.succeeded(ctx)
		return res, nil
	case ctx.Err() != nil: // the caller gave up: no verdict on the primary
		f.abandon(probe)
		return Result{}, ctx.Err()
	}
	reason := FallbackError
	if pctx.Err() != nil {
		reason, err = FallbackTimeout, pctx.Err()
	}
	f.failed(ctx, probe, reason, err)
	return f.fallback(ctx, q, reason)
}

// searchPrimary returns the primary's answer, or ctx's error as soon as ctx
// ends even if the primary does not heed it; its late answer is dropped.
func (f *Fallback) searchPrimary(ctx context.Context, q Query) (Result, error) {
	type answer struct {
		res Result
		err error
	}
	done := make(chan answer, 1)
	go func() {
		res, err := f.primary.Search(ctx, q)
		done <- answer{res, err}
	}()
	select {
	case a := <-done:
		return a.res, a.err
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

func (f *Fallback) fallback(ctx context.Context, q Query, reason string) (Result, error) {
	if f.opts.OnFallback != nil {
		f.opts.OnFallback(reason)
	}
	return f.secondary.Search(ctx, q)
}

// admit reports whether to ask the primary, and whether that search is the
// probe of an open circuit.
func (f *Fallback) admit() (probe, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.openUntil.IsZero() {
		return false, true
	}
	if f.probing || f.opts.Now().Before(f.openUntil) {
		return false, false
	}
	f.probing = true
	return true, true
}

func (f *Fallback) succeeded(ctx context.Context) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failures > 0 {
		f.opts.Logger.InfoContext(ctx, "primary search answering again", "failures", f.failures)
	}
	f.failures, f.openUntil, f.probing = 0, time.Time{}, false
}

func (f *Fallback) abandon(probe bool) {
	if probe {
		f.mu.Lock()
		f.probing = false
		f.mu.Unlock()
	}
}

func (f *Fallback) failed(ctx context.Context, probe bool, reason string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures++
	switch {
	case probe:
		f.probing = false
		f.openUntil = f.opts.Now().Add(f.opts.CoolDown)
		f.opts.Logger.DebugContext(ctx, "primary search still failing", "reason", reason, "err", err)
	case !f.openUntil.IsZero():
		// A search admitted before the circuit opened: already reported.
	case f.failures >= f.opts.Failures:
		f.openUntil = f.opts.Now().Add(f.opts.CoolDown)
		f.opts.Logger.WarnContext(ctx, "primary search failing; skipping it and answering from the fallback",
			"failures", f.failures, "cool_down_ms", f.opts.CoolDown.Milliseconds(), "reason", reason, "err", err)
	case f.failures == 1:
		f.opts.Logger.WarnContext(ctx, "primary search failed; answering from the fallback",
			"reason", reason, "err", err)
	}
}
