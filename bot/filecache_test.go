package bot_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/bot/storetest"
)

// fakeClock is a time the test moves forward.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

func TestFileAnswerCache(t *testing.T) {
	t.Parallel()
	storetest.AnswerCache(t, func(t *testing.T, ttl time.Duration) (bot.AnswerCache, storetest.Advance) {
		clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
		return &bot.FileAnswerCache{Dir: filepath.Join(t.TempDir(), "answers"), TTL: ttl, Now: clock.Now}, clock.Advance
	})
}

// TestFileAnswerCacheFiles: entries are files of their owner only, named by
// the key's hash alone; expired ones and the oldest beyond MaxEntries are
// removed when another is written; a key that could name another path is
// refused.
func TestFileAnswerCacheFiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "answers")
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	c := &bot.FileAnswerCache{Dir: dir, TTL: time.Hour, MaxEntries: 3, Now: clock.Now}
	key := func(code string) string { return bot.AnswerKey(bot.Draft{Lang: "zh", Code: code}) }
	for _, code := range []string{"51", "55", "61"} {
		if err := c.Put(ctx, key(code), "answer "+code); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
	}
	files, err := os.ReadDir(dir)
	if err != nil || len(files) != 3 {
		t.Fatalf("%d files, %v; want 3", len(files), err)
	}
	for _, f := range files {
		info, _ := f.Info()
		if info.Mode().Perm() != 0o600 || !strings.HasPrefix(f.Name(), "v2-") {
			t.Errorf("%s: mode %v", f.Name(), info.Mode())
		}
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v, want 0700", st.Mode().Perm())
	}
	// A fourth: the oldest (51) goes.
	if err := c.Put(ctx, key("96"), "answer 96"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := c.Get(ctx, key("51")); ok {
		t.Error("the oldest entry was kept beyond MaxEntries")
	}
	if a, ok, _ := c.Get(ctx, key("55")); !ok || a != "answer 55" {
		t.Errorf("Get(55) = %q, %v", a, ok)
	}
	// An hour later all have expired; a new write clears them out.
	clock.Advance(time.Hour)
	if err := c.Put(ctx, key("05"), "answer 05"); err != nil {
		t.Fatal(err)
	}
	if files, _ := os.ReadDir(dir); len(files) != 1 {
		t.Errorf("%d files after the others expired, want 1", len(files))
	}
	for _, bad := range []string{"../x", "v2:ab/cd", "", "V2:AB"} {
		if err := c.Put(ctx, bad, "x"); err == nil {
			t.Errorf("Put(%q) accepted", bad)
		}
	}
	// A broken entry is a miss, not an error.
	if err := os.WriteFile(filepath.Join(dir, "v2-00.txt"), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := c.Get(ctx, "v2:00"); ok || err != nil {
		t.Errorf("broken entry: ok %v, err %v", ok, err)
	}
}
