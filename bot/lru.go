package bot

import "time"

// lru is a map whose entries are kept in least-recently-used order, each with
// an expiry, for the in-memory stores. Every operation is O(1): expired
// entries are dropped when they are read and, a few per write, from the
// least recently used end, never by scanning the map; when the map is full a
// write evicts the least recently used entry. Its zero value is empty. It is
// not safe for concurrent use: its owner holds a lock.
type lru[V any] struct {
	m    map[string]*lruEntry[V]
	root lruEntry[V] // sentinel: root.next is the most recently used entry, root.prev the least
}

type lruEntry[V any] struct {
	key        string
	val        V
	expires    time.Time
	prev, next *lruEntry[V]
}

// expireBatch bounds how many expired entries one write drops from the least
// recently used end. It is more than the one entry a write can add, so
// expired entries drain under any traffic while a write stays O(1).
const expireBatch = 4

// get returns key's entry, now the most recently used, or nil if key has no
// entry or it expired (it is then removed).
func (l *lru[V]) get(key string, now time.Time) *lruEntry[V] {
	e := l.m[key]
	if e == nil {
		return nil
	}
	if !now.Before(e.expires) {
		l.remove(e)
		return nil
	}
	l.detach(e)
	l.pushFront(e)
	return e
}

// put returns key's entry, now the most recently used; added reports that it
// is new, with a zero val and expiry for the caller to set. Before adding, it
// drops up to expireBatch expired entries and then evicts least recently used
// ones until fewer than limit (at least 1) remain.
func (l *lru[V]) put(key string, now time.Time, limit int) (e *lruEntry[V], added bool) {
	if l.m == nil {
		l.m = make(map[string]*lruEntry[V])
		l.root.next, l.root.prev = &l.root, &l.root
	}
	for range expireBatch {
		if tail := l.root.prev; tail == &l.root || now.Before(tail.expires) {
			break
		}
		l.remove(l.root.prev)
	}
	if e := l.get(key, now); e != nil {
		return e, false
	}
	for len(l.m) >= max(limit, 1) {
		e = l.root.prev
		l.remove(e)
	}
	if e == nil {
		e = new(lruEntry[V])
	}
	*e = lruEntry[V]{key: key} // an evicted entry is reused
	l.pushFront(e)
	l.m[key] = e
	return e, true
}

// delete removes key's entry, if any.
func (l *lru[V]) delete(key string) {
	if e := l.m[key]; e != nil {
		l.remove(e)
	}
}

// len is the number of entries held, expired ones not yet dropped included.
func (l *lru[V]) len() int { return len(l.m) }

// pushFront links e in as the most recently used entry.
func (l *lru[V]) pushFront(e *lruEntry[V]) {
	e.prev, e.next = &l.root, l.root.next
	l.root.next.prev = e
	l.root.next = e
}

// detach unlinks e from the list; it stays in the map.
func (l *lru[V]) detach(e *lruEntry[V]) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

// remove drops e from the list and the map.
func (l *lru[V]) remove(e *lruEntry[V]) {
	l.detach(e)
	delete(l.m, e.key)
}
