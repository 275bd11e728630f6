package wecom

import (
	"context"
	"sync"
)

// Cursors keeps the sync_msg cursor of each customer-service account
// (key "<corpid>:<open_kfid>"), so that a restarted adapter, or another
// replica, pulls from where the last pull ended. MemoryCursors serves one
// process; redisstore.Cursors is shared by replicas. Implementations are
// safe for concurrent use.
type Cursors interface {
	// Cursor returns key's cursor, "" when none is stored.
	Cursor(ctx context.Context, key string) (string, error)
	// PutCursor stores key's cursor.
	PutCursor(ctx context.Context, key, cursor string) error
}

var _ Cursors = (*MemoryCursors)(nil)

// MemoryCursors keeps cursors in process memory: a restart forgets them,
// and the next pull starts from WeCom's oldest kept messages (three days),
// of which those older than Config.MaxAge are skipped and the rest answered
// unless dedup remembers them. Its zero value is ready to use.
type MemoryCursors struct {
	mu sync.Mutex
	m  map[string]string
}

// Cursor implements Cursors.
func (m *MemoryCursors) Cursor(_ context.Context, key string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.m[key], nil
}

// PutCursor implements Cursors.
func (m *MemoryCursors) PutCursor(_ context.Context, key, cursor string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[string]string{}
	}
	m.m[key] = cursor
	return nil
}
