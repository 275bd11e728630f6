// Package redistest opens the test Redis for the tests of packages that
// keep state in Redis.
package redistest

import (
	"context"
	"crypto/rand"
	"os"
	"testing"

	"github.com/posbot/posbot/redisstore"
)

// Client opens the test Redis (POSBOT_TEST_REDIS_URL) under a key prefix
// of the test's own ("posbot:test:<name>:<random>:"), closed when the test
// ends. Without the variable the test is skipped, and fails when CI is set:
// CI must test against a real Redis.
func Client(t testing.TB, name string) *redisstore.Client {
	t.Helper()
	u := os.Getenv("POSBOT_TEST_REDIS_URL")
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("POSBOT_TEST_REDIS_URL is not set; CI must test against a real Redis")
		}
		t.Skip("POSBOT_TEST_REDIS_URL not set")
	}
	c, err := redisstore.Open(context.Background(), u, redisstore.Options{Prefix: "posbot:test:" + name + ":" + rand.Text()[:10] + ":"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
