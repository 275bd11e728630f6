package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"

	"github.com/posbot/posbot/prompts"
)

// Defaults for the rate limiter and the answer cache, in memory and in Redis alike.
const (
	// DefaultRateLimit is how many messages one chat may send per DefaultRateWindow.
	DefaultRateLimit = 20
	// DefaultRateWindow is the rate-limit window.
	DefaultRateWindow = time.Minute
	// DefaultAnswerTTL is how long a cached model answer is reused.
	DefaultAnswerTTL = 6 * time.Hour
)

// Limiter limits how often one key (a chat) may be served.
//
// Allow counts one message for key and reports whether it may be answered;
// when it may not, retryAfter (> 0) says when the next one would be. An error
// means the limit could not be decided, for example because the shared store
// is down: Allow then reports ok == true, and callers answer anyway and log a
// warning. posbot fails open because a merchant without an answer is worse
// than a chat that briefly exceeds its limit.
type Limiter interface {
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
}

// AnswerCache keeps model-written answers so that a repeated question about
// the same code does not call the model again. Keys come from AnswerKey.
//
// Get reports ok == false for a missing or expired key. An error means the
// cache is unavailable; callers treat it as a miss.
type AnswerCache interface {
	Get(ctx context.Context, key string) (answer string, ok bool, err error)
	Put(ctx context.Context, key, answer string) error
}

// AnswerKey returns the answer-cache key for a draft: what decides the
// answer, not how the merchant worded the question. That is the language,
// the code, the intro sentence, the passages with their content versions
// and the prompt templates' version, so the same code asked in other words
// reuses the answer, and a change of knowledge or prompts starts afresh. It
// is a hash: keys are short and hold no merchant text.
func AnswerKey(d Draft) string {
	h := sha256.New()
	parts := []string{d.Lang, d.Code, d.Intro, prompts.Version}
	for _, p := range d.Passages {
		parts = append(parts, p.ID, p.Version)
	}
	for _, s := range parts {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return "v2:" + hex.EncodeToString(h.Sum(nil)[:16])
}

var (
	_ Limiter     = (*MemoryLimiter)(nil)
	_ AnswerCache = (*MemoryAnswerCache)(nil)
)

// DefaultLimiterKeys is how many keys MemoryLimiter tracks when MaxKeys is zero.
const DefaultLimiterKeys = 100_000

// MemoryLimiter is a fixed-window rate limiter for a single process: at most
// Limit messages per key in each Window, the window starting at a key's first
// message. It tracks at most MaxKeys keys: a new key beyond that evicts the
// least recently used one, whose count is forgotten (it fails open, like a
// shared limiter that is down). Ended windows are dropped a few per call, so
// every call is O(1). Its zero value is ready to use and it is safe for
// concurrent use. Allow never returns an error.
type MemoryLimiter struct {
	Limit   int              // 0 means DefaultRateLimit
	Window  time.Duration    // 0 means DefaultRateWindow
	MaxKeys int              // 0 means DefaultLimiterKeys
	Now     func() time.Time // nil means time.Now

	mu  sync.Mutex
	lru lru[int] // messages in the key's window; the entry expires when the window ends
}

// Allow implements Limiter.
func (l *MemoryLimiter) Allow(_ context.Context, key string) (bool, time.Duration, error) {
	limit, window, keys := l.Limit, l.Window, l.MaxKeys
	if limit <= 0 {
		limit = DefaultRateLimit
	}
	if window <= 0 {
		window = DefaultRateWindow
	}
	if keys <= 0 {
		keys = DefaultLimiterKeys
	}
	now := nowOr(l.Now)
	l.mu.Lock()
	defer l.mu.Unlock()
	w, added := l.lru.put(key, now, keys)
	if added {
		w.expires = now.Add(window)
	}
	w.val++
	if w.val > limit {
		return false, w.expires.Sub(now), nil
	}
	return true, 0, nil
}

// MemoryAnswerCache is an AnswerCache for a single process, each entry
// expiring TTL after it was written. Its zero value is ready to use and it is
// safe for concurrent use. It never returns an error.
type MemoryAnswerCache struct {
	TTL time.Duration    // 0 means DefaultAnswerTTL
	Now func() time.Time // nil means time.Now

	mu     sync.Mutex
	m      map[string]cachedAnswer
	writes int
}

type cachedAnswer struct {
	text    string
	expires time.Time
}

// Get implements AnswerCache.
func (c *MemoryAnswerCache) Get(_ context.Context, key string) (string, bool, error) {
	now := nowOr(c.Now)
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.m[key]
	if !ok || !now.Before(a.expires) {
		delete(c.m, key)
		return "", false, nil
	}
	return a.text, true, nil
}

// Put implements AnswerCache.
func (c *MemoryAnswerCache) Put(_ context.Context, key, answer string) error {
	ttl := c.TTL
	if ttl <= 0 {
		ttl = DefaultAnswerTTL
	}
	now := nowOr(c.Now)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]cachedAnswer)
	}
	sweep(c.m, &c.writes, func(a cachedAnswer) bool { return !now.Before(a.expires) })
	c.m[key] = cachedAnswer{text: answer, expires: now.Add(ttl)}
	return nil
}

func nowOr(now func() time.Time) time.Time {
	if now != nil {
		return now()
	}
	return time.Now()
}

// sweep deletes expired entries every 1024 writes, so a long-running process
// does not keep every key it ever saw, at an amortised O(1) cost per write.
func sweep[V any](m map[string]V, writes *int, expired func(V) bool) {
	*writes++
	if *writes%1024 != 0 {
		return
	}
	for k, v := range m {
		if expired(v) {
			delete(m, k)
		}
	}
}
