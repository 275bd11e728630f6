package channel

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// DefaultGrace is the Dispatcher's drain bound when DispatchConfig.Grace is zero.
const DefaultGrace = DefaultDrain

// DispatchConfig configures a Dispatcher; every zero field takes its default.
type DispatchConfig struct {
	// Workers is how many keys are served at once.
	Workers int
	// QueueSize times Workers is how many jobs may wait.
	QueueSize int
	// Timeout bounds each job.
	Timeout time.Duration
	// Grace bounds shutdown: once Run's context is done, the jobs already
	// accepted are still run for this long; jobs running at its end are
	// cancelled (cause ErrDrainExpired) and jobs not started are dropped
	// and logged.
	Grace time.Duration
	// Logger gets panics and what shutdown could not finish; nil means
	// slog.Default().
	Logger *slog.Logger
}

// Dispatcher runs jobs, functions of this process, through an Inbox in
// memory: one key's (a conversation's) jobs in order, different keys in
// parallel, at most Workers at once, so a key whose job hangs holds one
// worker and the other keys go on. A job that panics is logged; each job
// runs under its own deadline, which shutdown does not cut short until
// Grace has passed. Build it with NewDispatcher and call Run; Submit may be
// called from any goroutine, before or while Run runs.
//
// The jobs are lost if the process stops before running them; channels
// whose messages can be written down use an Inbox on a durable store.
type Dispatcher struct {
	in *Inbox

	mu   sync.Mutex
	seq  uint64
	jobs map[string]func(context.Context)
}

// NewDispatcher returns a Dispatcher; it does nothing until Run.
func NewDispatcher(cfg DispatchConfig) *Dispatcher {
	if cfg.Grace <= 0 {
		cfg.Grace = DefaultGrace
	}
	d := &Dispatcher{jobs: map[string]func(context.Context){}}
	d.in = NewInbox(InboxConfig{Workers: cfg.Workers, QueueSize: cfg.QueueSize, Timeout: cfg.Timeout,
		Drain: cfg.Grace, Logger: cfg.Logger, OnDrop: func(_ string, id []byte) { d.take(string(id)) }}, d.run)
	return d
}

func (d *Dispatcher) take(id string) func(context.Context) {
	d.mu.Lock()
	defer d.mu.Unlock()
	job := d.jobs[id]
	delete(d.jobs, id)
	return job
}

func (d *Dispatcher) run(ctx context.Context, _ string, id []byte) {
	if job := d.take(string(id)); job != nil {
		job(ctx)
	}
}

// Submit queues job on key. It waits while the queue is full and returns
// ctx's error if ctx ends first, or ErrStopped once shutdown began. A nil
// error means the job will run, or be logged as dropped if shutdown runs
// out of time before it starts.
func (d *Dispatcher) Submit(ctx context.Context, key string, job func(context.Context)) error {
	d.mu.Lock()
	d.seq++
	id := strconv.FormatUint(d.seq, 10)
	d.jobs[id] = job
	d.mu.Unlock()
	err := d.in.PutWait(ctx, key, []byte(id))
	if err != nil {
		d.take(id)
	}
	return err
}

// Run runs jobs until ctx is done, then stops taking new ones and finishes
// those already queued, within Grace. It returns when every worker is idle,
// having logged the keys of any job it could not finish.
func (d *Dispatcher) Run(ctx context.Context) { d.in.Run(ctx) }
