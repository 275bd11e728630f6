package redisstore

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// CursorTTL is how long a cursor is kept after it was last read or
// written. An account quiet for longer starts again from WeCom's oldest
// kept messages (three days), which is harmless: by then every one of them
// is older than the adapter answers.
const CursorTTL = 30 * 24 * time.Hour

// Cursors keeps the read positions of feeds posbot pulls (WeCom
// sync_msg's next_cursor, per account) at "<prefix>cursor:<key>", shared by
// every replica, so a restart or another replica pulls from where the last
// pull ended. Every read and write renews the TTL. It implements
// wecom.Cursors and is safe for concurrent use.
type Cursors struct{ c *Client }

// Cursors returns the cursor store.
func (c *Client) Cursors() *Cursors { return &Cursors{c: c} }

// Cursor returns key's cursor, "" when none is stored.
func (s *Cursors) Cursor(ctx context.Context, key string) (string, error) {
	var v string
	err := s.c.call(ctx, "cursors", "get", func(ctx context.Context) (err error) {
		v, err = s.c.rdb.GetEx(ctx, s.c.key("cursor", key), CursorTTL).Result()
		if errors.Is(err, redis.Nil) {
			v, err = "", nil
		}
		return err
	})
	return v, err
}

// PutCursor stores key's cursor.
func (s *Cursors) PutCursor(ctx context.Context, key, cursor string) error {
	return s.c.call(ctx, "cursors", "put", func(ctx context.Context) error {
		return s.c.rdb.Set(ctx, s.c.key("cursor", key), cursor, CursorTTL).Err()
	})
}
