package redisstore

import (
	"context"
	"crypto/rand"
	"net"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/posbot/posbot/bot/storetest"
)

// testRedisURL is the real Redis to test against, "" to test against
// miniredis only. In CI a missing URL fails the run rather than skip it.
func testRedisURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("POSBOT_TEST_REDIS_URL")
	if u == "" && os.Getenv("CI") != "" {
		t.Fatal("POSBOT_TEST_REDIS_URL is not set; CI must test against a real Redis")
	}
	return u
}

// backend opens two Clients (two pools, as two replicas have) sharing one
// fresh key space, and the way to let time pass for their keys.
type backend struct {
	name string
	open func(t *testing.T) (a, b *Client, advance storetest.Advance)
}

// backends are miniredis always and the real Redis when POSBOT_TEST_REDIS_URL is set.
func backends(t *testing.T) []backend {
	bs := []backend{{name: "miniredis", open: openMiniredis}}
	if u := testRedisURL(t); u != "" {
		bs = append(bs, backend{name: "redis", open: func(t *testing.T) (*Client, *Client, storetest.Advance) {
			p := testPrefix(t)
			return openTest(t, u, p), openTest(t, u, p), time.Sleep
		}})
	}
	return bs
}

// openMiniredis starts a miniredis of its own, so that FastForward in one
// parallel test does not age another test's keys.
func openMiniredis(t *testing.T) (*Client, *Client, storetest.Advance) {
	mr := miniredis.RunT(t)
	u := "redis://" + mr.Addr() + "/0"
	return openTest(t, u, "posbot:"), openTest(t, u, "posbot:"), mr.FastForward
}

// openTest opens a Client on prefix and, when the test ends, deletes the
// prefix's keys and closes it.
func openTest(t testing.TB, url, prefix string) *Client {
	t.Helper()
	ctx := context.Background()
	c, err := Open(ctx, url, Options{Prefix: prefix})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		defer c.Close()
		iter := c.rdb.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			c.rdb.Del(ctx, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Logf("clean up %s*: %v", prefix, err)
		}
	})
	return c
}

var unsafeKey = regexp.MustCompile(`[^A-Za-z0-9_/-]+`)

// testPrefix is a key prefix no other test (or earlier run) uses.
func testPrefix(t testing.TB) string {
	return "posbot:test:" + unsafeKey.ReplaceAllString(t.Name(), "_") + ":" + rand.Text()[:8] + ":"
}

func startMiniredis(t *testing.T) *miniredis.Miniredis { return miniredis.RunT(t) }

// closedAddr is a loopback address nobody listens on (for a while at least).
func closedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestMain silences go-redis's own logger, which prints every failed dial to
// stderr; the Client logs outages itself.
func TestMain(m *testing.M) {
	redis.SetLogger(discardLogger{})
	os.Exit(m.Run())
}

type discardLogger struct{}

func (discardLogger) Printf(context.Context, string, ...any) {}
