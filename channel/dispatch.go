package channel

import (
	"context"
	"errors"
	"hash/maphash"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"time"
)

// ErrStopped is returned by Dispatcher.Submit once the dispatcher has begun
// to shut down: the caller should tell the platform to deliver again later.
var ErrStopped = errors.New("channel: dispatcher stopped")

// Defaults used for zero DispatchConfig fields.
const (
	DefaultWorkers   = 8
	DefaultQueueSize = 64
	DefaultTimeout   = 60 * time.Second
	DefaultGrace     = 10 * time.Second
)

// DispatchConfig configures a Dispatcher; every zero field takes its default.
type DispatchConfig struct {
	// Workers is how many keys are served at once.
	Workers int
	// QueueSize is how many jobs wait per worker.
	QueueSize int
	// Timeout bounds each job.
	Timeout time.Duration
	// Grace bounds shutdown: once Run's context is done, the jobs already
	// accepted are still run for this long; jobs running at its end are
	// cancelled and jobs not started are dropped and logged.
	Grace time.Duration
	// Logger gets panics and what shutdown could not finish; nil means
	// slog.Default().
	Logger *slog.Logger
}

// Dispatcher runs jobs on a fixed set of workers, each with its own queue. A
// key (a conversation) always maps to the same worker, so one key's jobs run
// in order while different keys proceed in parallel, at most one per worker.
// A job that panics is logged and the worker carries on; each job runs under
// its own deadline, which shutdown does not cut short until Grace has
// passed. Build it with NewDispatcher and call Run; Submit may be called from
// any goroutine, before or while Run runs.
type Dispatcher struct {
	cfg    DispatchConfig
	seed   maphash.Seed
	queues []chan task

	mu      sync.RWMutex // held for reading while a job is queued, for writing to stop
	stopped bool
}

type task struct {
	key string
	job func(context.Context)
}

// NewDispatcher returns a Dispatcher; it does nothing until Run.
func NewDispatcher(cfg DispatchConfig) *Dispatcher {
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Grace <= 0 {
		cfg.Grace = DefaultGrace
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	d := &Dispatcher{cfg: cfg, seed: maphash.MakeSeed(), queues: make([]chan task, cfg.Workers)}
	for i := range d.queues {
		d.queues[i] = make(chan task, cfg.QueueSize)
	}
	return d
}

func (d *Dispatcher) shard(key string) int {
	return int(maphash.String(d.seed, key) % uint64(len(d.queues)))
}

// Submit queues job on key's worker. It waits while that queue is full and
// returns ctx's error if ctx ends first, or ErrStopped once shutdown began.
// A nil error means the job will run, or be logged as dropped if shutdown
// runs out of time before it starts.
func (d *Dispatcher) Submit(ctx context.Context, key string, job func(context.Context)) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.stopped {
		return ErrStopped
	}
	select {
	case d.queues[d.shard(key)] <- task{key: key, job: job}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run runs jobs until ctx is done, then stops taking new ones and finishes
// those already queued, within Grace. It returns when every worker is idle,
// having logged the keys of any job it could not finish.
func (d *Dispatcher) Run(ctx context.Context) {
	expired, expire := context.WithCancel(context.Background())
	defer expire()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		dropped []string
	)
	for _, q := range d.queues {
		wg.Go(func() {
			for t := range q {
				if expired.Err() != nil {
					mu.Lock()
					dropped = append(dropped, t.key)
					mu.Unlock()
					continue
				}
				d.exec(ctx, expired, t)
			}
		})
	}
	<-ctx.Done()
	timer := time.AfterFunc(d.cfg.Grace, expire)
	defer timer.Stop()
	// Workers keep draining while the lock waits for submitters blocked on
	// a full queue; after it, nothing more is queued and the queues close.
	d.mu.Lock()
	d.stopped = true
	for _, q := range d.queues {
		close(q)
	}
	d.mu.Unlock()
	wg.Wait()
	if len(dropped) > 0 {
		slices.Sort(dropped)
		d.cfg.Logger.Warn("jobs not finished at shutdown", "count", len(dropped), "keys", slices.Compact(dropped),
			"grace_ms", d.cfg.Grace.Milliseconds())
	}
}

// exec runs one job under its own deadline. The job's context is not
// cancelled the moment shutdown starts: the merchant who is waiting for an
// answer gets it if it comes within the grace period.
func (d *Dispatcher) exec(ctx, expired context.Context, t task) {
	jctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.Timeout)
	defer cancel()
	stop := context.AfterFunc(expired, cancel)
	defer stop()
	defer func() {
		if v := recover(); v != nil {
			d.cfg.Logger.Error("panic in a channel job", "key", t.key, "panic", v, "stack", string(debug.Stack()))
		}
	}()
	t.job(jctx)
}
