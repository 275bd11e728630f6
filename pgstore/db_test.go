package pgstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/pgstore"
	"github.com/posbot/posbot/retrieval"
)

// testURL returns POSBOT_TEST_POSTGRES_URL. Without it the test is skipped,
// except in CI (CI set), where a missing database fails the run.
func testURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("POSBOT_TEST_POSTGRES_URL")
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("POSBOT_TEST_POSTGRES_URL is not set: CI needs PostgreSQL with pgvector (see DEVELOPERS.md)")
		}
		t.Skip("POSBOT_TEST_POSTGRES_URL is not set")
	}
	return u
}

// newDatabase creates an empty database for one test on the server of
// POSBOT_TEST_POSTGRES_URL, drops it when the test ends, and returns its URL.
func newDatabase(t testing.TB) string {
	t.Helper()
	admin := testURL(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "posbot_t_" + hex.EncodeToString(b[:])
	exec(t, admin, "CREATE DATABASE "+name)
	t.Cleanup(func() { exec(t, admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("POSBOT_TEST_POSTGRES_URL must be a postgres:// URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

func exec(t testing.TB, dsn, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to test database: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// migratedStore returns a store on a fresh, migrated database and its URL.
func migratedStore(t testing.TB, opts ...pgstore.Option) (*pgstore.Store, string) {
	t.Helper()
	dsn := newDatabase(t)
	ctx := context.Background()
	if err := pgstore.Migrate(ctx, dsn); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	s, err := pgstore.Open(ctx, dsn, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(s.Close)
	storeURLs.Store(s, dsn)
	return s, dsn
}

// storeURLs maps each store migratedStore made to its database URL.
var storeURLs sync.Map

// ingestedStore returns a store holding base, embedded with the hash embedder.
func ingestedStore(t testing.TB, base *knowledge.Base) *pgstore.Store {
	t.Helper()
	s, _ := migratedStore(t)
	if _, err := s.Ingest(context.Background(), base, retrieval.NewHashEmbedder(0), nil); err != nil {
		t.Fatalf("Ingest: %v", err)
	}
	return s
}

// countingEmbedder counts the texts it embeds and can pose as another model.
type countingEmbedder struct {
	retrieval.Embedder
	name  string // "" keeps the wrapped embedder's name
	texts atomic.Int64
}

func (c *countingEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	c.texts.Add(int64(len(texts)))
	return c.Embedder.Embed(ctx, texts)
}

func (c *countingEmbedder) Name() string {
	if c.name != "" {
		return c.name
	}
	return c.Embedder.Name()
}

func embedded(t testing.TB) *knowledge.Base {
	t.Helper()
	base, err := knowledge.Embedded()
	if err != nil {
		t.Fatalf("load knowledge: %v", err)
	}
	return base
}
