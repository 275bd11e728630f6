package channel

import (
	"context"
	"errors"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Errors of an Inbox and its stores.
var (
	// ErrStopped is returned by Inbox.Put once shutdown began: the caller
	// should tell the platform to deliver again later (to another replica).
	ErrStopped = errors.New("channel: shutting down")
	// ErrFull is returned by Inbox.Put when the conversation's inbox, or an
	// in-memory store, holds as many messages as it may.
	ErrFull = errors.New("channel: inbox full")
	// ErrNotOwner is returned by an InboxStore when this process no longer
	// owns the conversation: its lease ran out and another process took it.
	ErrNotOwner = errors.New("channel: conversation owned by another process")
	// ErrDrainExpired is the cause with which a job's context is cancelled
	// when shutdown's drain bound ran out (context.Cause).
	ErrDrainExpired = errors.New("channel: drain bound reached at shutdown")
)

// Defaults used for zero InboxConfig fields.
const (
	DefaultWorkers   = 32
	DefaultQueueSize = 64
	DefaultTimeout   = 60 * time.Second
	DefaultDrain     = 20 * time.Second
	// DefaultPoll is how often an inbox on a shared store looks for
	// conversations that no process owns (left by a replica that stopped).
	DefaultPoll = time.Second
	// DefaultRenew is how often the lease of a conversation being answered
	// is renewed in a shared store.
	DefaultRenew = 5 * time.Second
	// DefaultDownloadTimeout bounds the download of one screenshot.
	DefaultDownloadTimeout = 15 * time.Second
	// DefaultSendTimeout bounds the sending of one reply (retries
	// included), whatever is left of its message's time (see Outlive).
	DefaultSendTimeout = 30 * time.Second
)

// Entry is one message in a conversation's inbox: its id in the store and
// what the channel put there.
type Entry struct {
	ID      string
	Payload []byte
}

// InboxStore keeps the inboxes of conversations: each a queue of entries,
// owned by at most one process at a time while it answers them. MemoryInbox
// keeps them in this process; redisstore.Inbox shares them between replicas,
// so that another replica answers what a stopped one left, and a
// conversation is answered by one replica at a time, in the order its
// messages arrived, wherever they arrived.
type InboxStore interface {
	// Push appends payload to key's inbox; ErrFull when it holds too many.
	Push(ctx context.Context, key string, payload []byte) error
	// Claim takes up to max conversations that have entries and no owner,
	// for this process.
	Claim(ctx context.Context, max int) ([]string, error)
	// Head returns the first entry of an owned conversation's inbox and
	// renews the ownership; ok is false when the inbox is empty, and the
	// conversation is then given up. ErrNotOwner when it was lost.
	Head(ctx context.Context, key string) (e Entry, ok bool, err error)
	// Pop removes entry id, which must be the first, and reports whether
	// more wait; when none do the conversation is given up.
	Pop(ctx context.Context, key, id string) (more bool, err error)
	// Renew extends the ownership of a conversation being answered.
	Renew(ctx context.Context, key string) error
	// Release gives an owned conversation up at once, its entries kept for
	// the next process to claim it.
	Release(ctx context.Context, key string) error
	// Durable reports whether entries outlive this process.
	Durable() bool
}

// InboxConfig configures an Inbox; every zero field takes its default.
type InboxConfig struct {
	// Store keeps the inboxes; nil means a MemoryInbox holding at most
	// Workers × QueueSize messages.
	Store InboxStore
	// Workers is how many conversations are answered at once.
	Workers int
	// QueueSize sizes the default store (messages waiting per worker).
	QueueSize int
	// Timeout bounds the handling of one message.
	Timeout time.Duration
	// Drain bounds shutdown: once Run's context is done, no message is
	// accepted; a durable store's conversations finish the message under
	// way and are handed over; an in-memory store's messages are still
	// answered. When Drain has passed, running handlers are cancelled
	// (cause ErrDrainExpired) and what is left is logged and given to
	// OnDrop.
	Drain time.Duration
	// Poll is how often a durable store is asked for conversations no
	// process owns; Renew how often an owned one's lease is renewed.
	Poll, Renew time.Duration
	// Logger gets panics, store failures and what shutdown left.
	Logger *slog.Logger
	// OnDrop is called at the end of Run with each message of a store that
	// is not durable that was not answered; nil means they are only logged.
	OnDrop func(key string, payload []byte)
}

// Inbox accepts the messages a channel acknowledges and hands them to its
// handler: one conversation's messages one at a time, in the order they were
// put, different conversations in parallel, at most Workers at once. A
// conversation that waits on something slow (a download that hangs) holds
// one worker; the others go on. Build it with NewInbox and call Run; Put may
// be called from any goroutine, before or while Run runs.
//
// On a durable store (Redis) a message is safe once Put returns: if this
// process stops, another one answers it. A message may then be handled
// twice (the process stopped after answering, before it could note so),
// never lost while the store keeps it.
type Inbox struct {
	cfg      InboxConfig
	store    InboxStore
	fallback *MemoryInbox // takes messages while a durable store fails
	handle   func(ctx context.Context, key string, payload []byte)

	wake     chan struct{}
	stopping atomic.Bool

	gate    sync.RWMutex // held for reading while a message is put, for writing to stop
	stopped bool

	mu     sync.Mutex
	active map[string]InboxStore // conversations being answered by this process, and from which store
	space  chan struct{}         // closed and replaced when a message was taken out
}

// NewInbox returns an Inbox that calls handle for each message, under the
// message's deadline; it does nothing until Run.
func NewInbox(cfg InboxConfig, handle func(ctx context.Context, key string, payload []byte)) *Inbox {
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Drain <= 0 {
		cfg.Drain = DefaultDrain
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.Renew <= 0 {
		cfg.Renew = DefaultRenew
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	q := &Inbox{cfg: cfg, store: cfg.Store, handle: handle, wake: make(chan struct{}, 1),
		active: map[string]InboxStore{}, space: make(chan struct{})}
	if q.store == nil {
		q.store = NewMemoryInbox(cfg.Workers * cfg.QueueSize)
	} else if q.store.Durable() {
		q.fallback = NewMemoryInbox(cfg.Workers * cfg.QueueSize)
	}
	return q
}

// Durable reports whether a message is safe from this process stopping once
// Put returned.
func (q *Inbox) Durable() bool { return q.store.Durable() }

// Put accepts payload for conversation key. A nil error means it will be
// handled (by another process, if this one stops, when the store is
// durable). It returns ErrStopped once shutdown began and ErrFull when the
// conversation, or this process, holds too many messages. When a durable
// store fails, the message is kept in memory instead, with a warning: an
// answer that would be lost if this process stopped beats no answer.
func (q *Inbox) Put(ctx context.Context, key string, payload []byte) error {
	// Shutdown waits for the puts under way: none lands after the drain.
	q.gate.RLock()
	defer q.gate.RUnlock()
	if q.stopped {
		return ErrStopped
	}
	err := q.store.Push(ctx, key, payload)
	if err != nil && q.fallback != nil && !errors.Is(err, ErrFull) && ctx.Err() == nil {
		q.cfg.Logger.WarnContext(ctx, "inbox store failed; the message is kept in memory", "key", key, "err", err)
		err = q.fallback.Push(ctx, key, payload)
	}
	if err == nil {
		q.signal()
	}
	return err
}

// PutWait is Put waiting while the inbox is full, until ctx is done.
func (q *Inbox) PutWait(ctx context.Context, key string, payload []byte) error {
	for {
		space := q.spaceFreed()
		err := q.Put(ctx, key, payload)
		if !errors.Is(err, ErrFull) {
			return err
		}
		select {
		case <-space:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (q *Inbox) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// spaceFreed returns a channel closed when a message is next taken out.
func (q *Inbox) spaceFreed() <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.space
}

func (q *Inbox) freed() {
	q.mu.Lock()
	close(q.space)
	q.space = make(chan struct{})
	q.mu.Unlock()
}

// stores are where the pump takes conversations from: the fallback first
// (messages that would be lost if this process stopped), then the store.
func (q *Inbox) stores() []InboxStore {
	if q.fallback != nil {
		return []InboxStore{q.fallback, q.store}
	}
	return []InboxStore{q.store}
}

// Run answers messages until ctx is done, then drains (see
// InboxConfig.Drain) and returns when every worker is idle.
func (q *Inbox) Run(ctx context.Context) {
	expired, expire := context.WithCancelCause(context.Background())
	defer expire(nil)
	var wg sync.WaitGroup
	poll := time.NewTicker(q.cfg.Poll)
	defer poll.Stop()
	// claim starts workers on claimable conversations of the stores that
	// may still be taken from.
	claim := func(durableToo bool) {
		for _, s := range q.stores() {
			if s.Durable() && !durableToo {
				continue
			}
			q.mu.Lock()
			free := q.cfg.Workers - len(q.active)
			q.mu.Unlock()
			if free <= 0 {
				return
			}
			keys, err := s.Claim(context.WithoutCancel(ctx), free)
			if err != nil {
				q.cfg.Logger.Warn("inbox: conversations not claimed", "err", err)
				continue
			}
			for _, k := range keys {
				q.mu.Lock()
				holder, busy := q.active[k]
				if !busy {
					q.active[k] = s
				}
				q.mu.Unlock()
				switch {
				case busy && holder != s: // in the other store's hands here: later
					_ = s.Release(context.WithoutCancel(ctx), k)
				case !busy:
					wg.Go(func() { q.work(ctx, expired, s, k) })
				} // else being answered here already (a claim repeated)
			}
		}
	}
	for ctx.Err() == nil {
		claim(true)
		select {
		case <-q.wake:
		case <-poll.C:
		case <-ctx.Done():
		}
	}

	// Shutdown: accept nothing more; answer what memory holds, hand the
	// durable store's conversations over after the message under way.
	q.gate.Lock()
	q.stopped = true
	q.gate.Unlock()
	q.stopping.Store(true)
	timer := time.AfterFunc(q.cfg.Drain, func() { expire(ErrDrainExpired) })
	defer timer.Stop()
	idle := make(chan struct{})
	go func() {
		for expired.Err() == nil {
			claim(false)
			q.mu.Lock()
			n := len(q.active)
			q.mu.Unlock()
			if n == 0 && q.emptyInMemory() {
				break
			}
			select {
			case <-q.wake:
			case <-expired.Done():
			}
		}
		close(idle)
	}()
	<-idle
	wg.Wait()
	q.logLeftovers()
}

// emptyInMemory reports whether the stores that do not outlive this
// process hold no message.
func (q *Inbox) emptyInMemory() bool {
	for _, s := range q.stores() {
		if m, ok := s.(*MemoryInbox); ok && m.Len() > 0 {
			return false
		}
	}
	return true
}

// logLeftovers logs, and gives to OnDrop, the messages that stores not
// outliving this process still hold.
func (q *Inbox) logLeftovers() {
	var keys []string
	n := 0
	for _, s := range q.stores() {
		m, ok := s.(*MemoryInbox)
		if !ok {
			continue
		}
		for key, payloads := range m.Leftovers() {
			keys = append(keys, key)
			n += len(payloads)
			if q.cfg.OnDrop != nil {
				for _, p := range payloads {
					q.cfg.OnDrop(key, p)
				}
			}
		}
	}
	if n > 0 {
		slices.Sort(keys)
		q.cfg.Logger.Warn("messages not finished at shutdown", "count", n, "keys", keys,
			"drain_ms", q.cfg.Drain.Milliseconds())
	}
}

// work answers conversation key, claimed from s, until its inbox is empty,
// shutdown hands it over, or the drain bound passes.
func (q *Inbox) work(ctx, expired context.Context, s InboxStore, key string) {
	bg := context.WithoutCancel(ctx)
	defer func() {
		q.mu.Lock()
		delete(q.active, key)
		q.mu.Unlock()
		q.signal()
	}()
	for {
		if expired.Err() != nil || (s.Durable() && q.stopping.Load()) {
			if err := s.Release(bg, key); err != nil && !errors.Is(err, ErrNotOwner) {
				q.cfg.Logger.Warn("inbox: conversation not handed over; another replica takes it when the lease ends", "key", key, "err", err)
			}
			return
		}
		e, ok, err := s.Head(bg, key)
		if err != nil {
			if !errors.Is(err, ErrNotOwner) {
				q.cfg.Logger.Warn("inbox: next message not read", "key", key, "err", err)
				_ = s.Release(bg, key)
			}
			return
		}
		if !ok {
			return
		}
		if !q.exec(ctx, expired, s, key, e) {
			continue // cut by the drain bound: kept (released above, or left over)
		}
		more, err := s.Pop(bg, key, e.ID)
		q.freed()
		if err != nil {
			if !errors.Is(err, ErrNotOwner) {
				q.cfg.Logger.Warn("inbox: answered message not removed; it may be answered again", "key", key, "err", err)
				_ = s.Release(bg, key)
			}
			return
		}
		if !more {
			return
		}
	}
}

// exec runs the handler for one message under its own deadline, renewing
// the conversation's lease in a durable store meanwhile. The message's
// context is not cancelled when shutdown starts, only when the drain bound
// passes (cause ErrDrainExpired); exec reports false then.
func (q *Inbox) exec(ctx, expired context.Context, s InboxStore, key string, e Entry) (finished bool) {
	cctx, cancelCause := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancelCause(nil)
	jctx, cancel := context.WithTimeout(cctx, q.cfg.Timeout)
	defer cancel()
	stop := context.AfterFunc(expired, func() { cancelCause(ErrDrainExpired) })
	defer stop()
	if s.Durable() {
		done := make(chan struct{})
		defer close(done)
		go func() {
			t := time.NewTicker(q.cfg.Renew)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					if err := s.Renew(context.WithoutCancel(ctx), key); err != nil {
						q.cfg.Logger.Warn("inbox: lease not renewed", "key", key, "err", err)
					}
				}
			}
		}()
	}
	defer func() {
		if v := recover(); v != nil {
			// Logged and taken off the inbox: handled again, it would panic again.
			q.cfg.Logger.Error("panic in a channel job", "key", key, "panic", v, "stack", string(debug.Stack()))
		}
		finished = !errors.Is(context.Cause(cctx), ErrDrainExpired)
	}()
	q.handle(jctx, key, e.Payload)
	return true // set by the deferred function
}

// Outlive returns a context for a call that must happen even when ctx, a
// message's context, is spent: an apology or a reply after a slow
// download. It keeps ctx's values, has its own deadline d, and is cancelled
// only when ctx is cancelled because shutdown's drain bound passed.
func Outlive(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	cctx, cancelCause := context.WithCancelCause(context.WithoutCancel(ctx))
	if errors.Is(context.Cause(ctx), ErrDrainExpired) {
		cancelCause(ErrDrainExpired)
	}
	stop := context.AfterFunc(ctx, func() {
		if errors.Is(context.Cause(ctx), ErrDrainExpired) {
			cancelCause(ErrDrainExpired)
		}
	})
	tctx, cancel := context.WithTimeout(cctx, d)
	return tctx, func() {
		stop()
		cancel()
		cancelCause(nil)
	}
}
