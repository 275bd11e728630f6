package telegram

import (
	"context"
	"errors"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"
)

// errStopped is returned by submit once the dispatcher has stopped.
var errStopped = errors.New("telegram: dispatcher stopped")

// dispatcher runs jobs on a fixed set of workers, each with its own queue. A
// chat always maps to the same worker, so one chat's updates are handled in
// order while different chats proceed in parallel, at most one per worker. A
// job that panics is logged and the worker carries on; each job runs under
// its own deadline.
type dispatcher struct {
	queues  []chan func(context.Context)
	timeout time.Duration
	grace   time.Duration
	log     *slog.Logger

	once sync.Once
	done chan struct{} // closed when run returns
}

func newDispatcher(workers, queueSize int, timeout, grace time.Duration, log *slog.Logger) *dispatcher {
	d := &dispatcher{
		queues:  make([]chan func(context.Context), workers),
		timeout: timeout,
		grace:   grace,
		log:     log,
		done:    make(chan struct{}),
	}
	for i := range d.queues {
		d.queues[i] = make(chan func(context.Context), queueSize)
	}
	return d
}

// shard maps a chat to its worker. The ids are mixed first (splitmix64) so
// that chats whose ids share a residue still spread over the workers.
func (d *dispatcher) shard(chatID int64) int {
	x := uint64(chatID)
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return int(x % uint64(len(d.queues)))
}

// submit queues job on chatID's worker. It waits while that queue is full and
// returns ctx's error if ctx ends first, or errStopped after run returned.
func (d *dispatcher) submit(ctx context.Context, chatID int64, job func(context.Context)) error {
	select {
	case <-d.done:
		return errStopped
	default:
	}
	select {
	case d.queues[d.shard(chatID)] <- job:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-d.done:
		return errStopped
	}
}

// run starts the workers and returns once ctx is done and every worker has
// finished its current job. Jobs still queued then are dropped (and logged).
func (d *dispatcher) run(ctx context.Context) {
	var wg sync.WaitGroup
	for i, q := range d.queues {
		wg.Go(func() { d.work(ctx, i, q) })
	}
	wg.Wait()
	d.once.Do(func() { close(d.done) })
}

func (d *dispatcher) work(ctx context.Context, worker int, q chan func(context.Context)) {
	for {
		// Check ctx first: select picks at random among ready cases.
		if ctx.Err() != nil {
			if n := len(q); n > 0 {
				d.log.Warn("updates dropped at shutdown", "worker", worker, "count", n)
			}
			return
		}
		select {
		case <-ctx.Done():
		case job := <-q:
			d.exec(ctx, job)
		}
	}
}

// exec runs one job under its own deadline. The job's context is not
// cancelled the moment shutdown starts: the merchant who is waiting for an
// answer gets it if it comes within the grace period.
func (d *dispatcher) exec(ctx context.Context, job func(context.Context)) {
	jctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.timeout)
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(d.grace, cancel)
		context.AfterFunc(jctx, func() { t.Stop() })
	})
	defer stop()
	defer func() {
		if v := recover(); v != nil {
			d.log.Error("panic handling update", "panic", v, "stack", string(debug.Stack()))
		}
	}()
	job(jctx)
}
