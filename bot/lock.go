package bot

import (
	"context"
	"sync"
)

// Locker serialises the handling of one conversation, so that two goroutines
// (or, with a shared implementation, two replicas) never answer messages of
// one chat at the same time and so never overwrite each other's state.
//
// Lock waits until it holds the lock for key or ctx is done. It always returns
// a non-nil unlock function, which is safe to call more than once and is a
// no-op after the first call or when err is non-nil, so
//
//	unlock, err := l.Lock(ctx, key)
//	defer unlock()
//
// is always correct. A lock is mutual exclusion, not a queue: messages that
// wait for the same lock are let in in no guaranteed order.
//
// An error means the lock is not held. When ctx is done, it is ctx's error and
// the message should be dropped (there is no time left to answer). Any other
// error means the lock could not be decided, for example because the shared
// store is down; callers answer anyway, without the lock, and log a warning:
// posbot fails open because a merchant without an answer is worse than a rare
// out-of-order one.
type Locker interface {
	Lock(ctx context.Context, key string) (unlock func(), err error)
}

var _ Locker = (*MemoryLocker)(nil)

// MemoryLocker is a keyed mutex for a single process. Its zero value is ready
// to use and it is safe for concurrent use. Waiters are let in roughly in
// arrival order; entries are freed when nobody holds or waits for a key.
type MemoryLocker struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

// keyLock is one key's mutex: a one-slot channel that holds a token while the
// lock is taken, so waiting can be abandoned when ctx is done.
type keyLock struct {
	ch   chan struct{}
	refs int // holders and waiters
}

// Lock implements Locker. It returns ctx's error if ctx is done before the
// lock is acquired.
func (l *MemoryLocker) Lock(ctx context.Context, key string) (func(), error) {
	if err := ctx.Err(); err != nil {
		return func() {}, err
	}
	l.mu.Lock()
	if l.m == nil {
		l.m = make(map[string]*keyLock)
	}
	k := l.m[key]
	if k == nil {
		k = &keyLock{ch: make(chan struct{}, 1)}
		l.m[key] = k
	}
	k.refs++
	l.mu.Unlock()

	select {
	case k.ch <- struct{}{}: // free: most messages find it so, and need not wait on ctx
	default:
		select {
		case k.ch <- struct{}{}:
		case <-ctx.Done():
			l.release(key, k)
			return func() {}, ctx.Err()
		}
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-k.ch
			l.release(key, k)
		})
	}, nil
}

func (l *MemoryLocker) release(key string, k *keyLock) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k.refs--
	if k.refs == 0 {
		delete(l.m, key)
	}
}
