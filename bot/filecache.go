package bot

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

var _ AnswerCache = (*FileAnswerCache)(nil)

// DefaultFileCacheEntries is how many answers a FileAnswerCache keeps when
// MaxEntries is zero.
const DefaultFileCacheEntries = 10_000

// FileAnswerCache is an AnswerCache in a directory, for the commands that
// start a new process for each question (posbot ask, posbot chat), where an
// answer cached in memory would not outlive the question. It holds what the
// other caches hold: model-written answers that passed Validate and repeat
// nothing particular to one merchant (Engine decides; the engine validates a
// cached answer again when it reads it), under AnswerKey, a hash, so that
// file names hold no merchant text. Each answer is one file, readable by its
// owner only, written to a temporary file and renamed into place; it expires
// TTL after it was written. Expired answers are removed when another is
// written, and beyond MaxEntries the oldest go.
//
// Dir must be set; it is created on the first Put. A FileAnswerCache is safe
// for concurrent use, by several processes too. Get reports a missing,
// expired or unreadable entry as a miss; errors are those of the file
// system (a directory that cannot be read or written).
type FileAnswerCache struct {
	Dir        string
	TTL        time.Duration    // 0 means DefaultAnswerTTL
	MaxEntries int              // 0 means DefaultFileCacheEntries
	Now        func() time.Time // nil means time.Now
}

// fileCacheHeader starts every entry, followed by its expiry (Unix
// nanoseconds) and a newline, then the answer.
const fileCacheHeader = "posbot-answer/1 "

// path returns the file of key, or an error for a key AnswerKey cannot
// have made (anything but letters, digits and colons could leave Dir).
func (c *FileAnswerCache) path(key string) (string, error) {
	if c.Dir == "" {
		return "", errors.New("answer cache: no directory")
	}
	if key == "" || len(key) > 128 || strings.TrimLeft(key, "abcdefghijklmnopqrstuvwxyz0123456789:") != "" {
		return "", fmt.Errorf("answer cache: bad key %q", key)
	}
	return filepath.Join(c.Dir, strings.ReplaceAll(key, ":", "-")+".txt"), nil
}

// Get implements AnswerCache.
func (c *FileAnswerCache) Get(_ context.Context, key string) (string, bool, error) {
	p, err := c.path(key)
	if err != nil {
		return "", false, err
	}
	b, err := os.ReadFile(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("answer cache: %w", err)
	}
	answer, expires, ok := parseEntry(string(b))
	if !ok || !nowOr(c.Now).Before(expires) {
		_ = os.Remove(p) // expired or broken; another process may have removed it already
		return "", false, nil
	}
	return answer, true, nil
}

// parseEntry splits a cache file into its answer and expiry.
func parseEntry(s string) (answer string, expires time.Time, ok bool) {
	head, answer, found := strings.Cut(s, "\n")
	nanos, err := strconv.ParseInt(strings.TrimPrefix(head, fileCacheHeader), 10, 64)
	if !found || !strings.HasPrefix(head, fileCacheHeader) || err != nil {
		return "", time.Time{}, false
	}
	return answer, time.Unix(0, nanos), true
}

// Put implements AnswerCache.
func (c *FileAnswerCache) Put(_ context.Context, key, answer string) error {
	p, err := c.path(key)
	if err != nil {
		return err
	}
	ttl := c.TTL
	if ttl <= 0 {
		ttl = DefaultAnswerTTL
	}
	now := nowOr(c.Now)
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return fmt.Errorf("answer cache: %w", err)
	}
	c.prune(now)
	f, err := os.CreateTemp(c.Dir, ".tmp-*") // 0600
	if err != nil {
		return fmt.Errorf("answer cache: %w", err)
	}
	_, err = fmt.Fprintf(f, "%s%d\n%s", fileCacheHeader, now.Add(ttl).UnixNano(), answer)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("answer cache: %w", err)
	}
	return nil
}

// prune removes expired entries, and the oldest beyond MaxEntries - 1 to
// make room for one more. Reading each entry's first line is cheap next to
// the model call that precedes a Put. Failures are ignored: pruning is
// housekeeping, and another process may be pruning too.
func (c *FileAnswerCache) prune(now time.Time) {
	entries, err := os.ReadDir(c.Dir)
	if err != nil {
		return
	}
	type entry struct {
		path    string
		expires time.Time
	}
	var live []entry
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasSuffix(name, ".txt") {
			continue
		}
		p := filepath.Join(c.Dir, name)
		expires, ok := entryExpiry(p)
		if !ok || !now.Before(expires) {
			_ = os.Remove(p)
			continue
		}
		live = append(live, entry{p, expires})
	}
	limit := c.MaxEntries
	if limit <= 0 {
		limit = DefaultFileCacheEntries
	}
	if len(live) < limit {
		return
	}
	// The ones that expire first were written first.
	slices.SortFunc(live, func(a, b entry) int { return a.expires.Compare(b.expires) })
	for _, e := range live[:len(live)-limit+1] {
		_ = os.Remove(e.path)
	}
}

// entryExpiry reads the expiry from the first line of the entry at p.
func entryExpiry(p string) (time.Time, bool) {
	f, err := os.Open(p)
	if err != nil {
		return time.Time{}, false
	}
	defer f.Close()
	head, err := bufio.NewReaderSize(f, 64).ReadString('\n')
	if err != nil {
		return time.Time{}, false
	}
	_, expires, ok := parseEntry(head)
	return expires, ok
}
