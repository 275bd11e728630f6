package pgstore_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/posbot/posbot/pgstore"
	"github.com/posbot/posbot/retrieval"
)

// TestMigrateConcurrently starts migrations as replicas starting together
// would: the advisory lock lets one apply them while the others wait and find
// nothing to do.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	dsn := newDatabase(t)
	ctx := context.Background()
	const replicas = 3
	var wg sync.WaitGroup
	errs := make([]error, replicas)
	for i := range replicas {
		wg.Go(func() { errs[i] = pgstore.Migrate(ctx, dsn) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate #%d: %v", i, err)
		}
	}
	if err := pgstore.Migrate(ctx, dsn); err != nil {
		t.Errorf("Migrate again: %v", err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var applied int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM goose_db_version WHERE version_id > 0 AND is_applied`).Scan(&applied); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if applied != len(files) {
		t.Errorf("%d migrations recorded, want %d (each applied once)", applied, len(files))
	}
	for _, table := range []string{"passages", "terms", "meta", "tickets", "transcripts", "outcomes"} {
		var ok bool
		if err := conn.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, table).Scan(&ok); err != nil || !ok {
			t.Errorf("table %s missing after Migrate (%v)", table, err)
		}
	}
}

// TestOpenBeforeMigrate: a store's connections need the vector type, so
// opening an unmigrated database says what to run.
func TestOpenBeforeMigrate(t *testing.T) {
	t.Parallel()
	dsn := newDatabase(t)
	_, err := pgstore.Open(context.Background(), dsn)
	if err == nil || !strings.Contains(err.Error(), "posbot migrate") {
		t.Errorf("Open(unmigrated) = %v, want an error mentioning posbot migrate", err)
	}
}

// TestUnreachable: a configured database that does not answer is an error
// within the connect timeout, not a hang, for Open and Migrate alike.
func TestUnreachable(t *testing.T) {
	t.Parallel()
	// A server that accepts connections and never answers, like a database
	// behind a dropped firewall rule: only the connect timeout ends the wait.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { silent.Close() })
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	for _, tc := range []struct{ name, url string }{
		{"refused", "postgres://posbot:secret@127.0.0.1:1/posbot?sslmode=disable"},
		{"silent", "postgres://posbot:secret@" + silent.Addr().String() + "/posbot?sslmode=disable"},
		{"invalid", "postgres://posbot:secret@127.0.0.1:notaport/posbot"},
	} {
		for name, f := range map[string]func(context.Context, string) error{
			"Open":    func(ctx context.Context, u string) error { _, err := pgstore.Open(ctx, u); return err },
			"Migrate": pgstore.Migrate,
		} {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				start := time.Now()
				err := f(context.Background(), tc.url)
				if err == nil {
					t.Fatal("succeeded")
				}
				if d := time.Since(start); d > pgstore.ConnectTimeout+2*time.Second {
					t.Errorf("took %v", d)
				}
				t.Log(err)
				if strings.Contains(err.Error(), "secret") {
					t.Errorf("error shows the password: %v", err)
				}
			})
		}
	}
}

// TestMigrateUpReports: the first run reports every embedded migration, in
// order, and the version; a second run applies nothing at the same version.
func TestMigrateUpReports(t *testing.T) {
	t.Parallel()
	dsn := newDatabase(t)
	files, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	var want []pgstore.Migration
	for _, f := range files {
		name := strings.TrimSuffix(f.Name(), ".sql")
		v, err := strconv.ParseInt(name[:strings.IndexByte(name, '_')], 10, 64)
		if err != nil {
			t.Fatalf("migration %s: %v", f.Name(), err)
		}
		want = append(want, pgstore.Migration{Version: v, Name: name})
	}
	last := want[len(want)-1].Version

	res, err := pgstore.MigrateUp(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(pgstore.MigrateResult{Applied: want, Version: last}, res); d != "" {
		t.Errorf("first run (-want +got):\n%s", d)
	}
	res, err = pgstore.MigrateUp(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(pgstore.MigrateResult{Version: last}, res); d != "" {
		t.Errorf("second run (-want +got):\n%s", d)
	}
}

// TestReadyAfterUpgrade: a database that held passages before the postings
// existed is not ready until ingest has indexed their words, and is after.
func TestReadyAfterUpgrade(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	base := embedded(t)
	s, dsn := migratedStore(t)
	if _, err := s.Ingest(ctx, base, retrieval.NewHashEmbedder(0), nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Ready(ctx); err != nil {
		t.Fatalf("Ready after ingest: %v", err)
	}
	// What migrating a store of the tsvector days leaves: passages, no index.
	exec(t, dsn, `DELETE FROM postings; DELETE FROM meta WHERE key = 'postings'`)
	if err := s.Ready(ctx); err == nil || !strings.Contains(err.Error(), "posbot ingest") {
		t.Errorf("Ready without postings = %v, want an error saying to run posbot ingest", err)
	}
	rep, err := s.Ingest(ctx, base, retrieval.NewHashEmbedder(0), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Unchanged != base.Len() {
		t.Errorf("re-ingest: %v, want every passage unchanged", rep)
	}
	if err := s.Ready(ctx); err != nil {
		t.Errorf("Ready after re-ingest: %v", err)
	}
	res, err := s.Search(ctx, retrieval.Query{Text: "打印机不出小票", K: 3})
	if err != nil || len(res.Hits) == 0 || res.Confidence == 0 {
		t.Errorf("search after re-ingest: %+v, %v; want hits found by their words", res, err)
	}
}
