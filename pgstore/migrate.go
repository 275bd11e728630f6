package pgstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migration names one schema migration: its version and its file's name
// without the extension ("00002_handoff").
type Migration struct {
	Version int64
	Name    string
}

// MigrateResult says what a migration run did.
type MigrateResult struct {
	// Applied lists the migrations applied by this run, in order; it is
	// empty when the schema was already up to date (or another replica
	// brought it up to date while this one waited for the lock).
	Applied []Migration
	// Version is the schema version afterwards.
	Version int64
}

// Migrate brings the database at url to the latest schema. It holds a
// PostgreSQL advisory lock while it runs, so replicas that start together
// migrate once and the others wait (up to five minutes) and find nothing to do.
//
// It uses database/sql rather than a Store because a Store's connections need
// the vector type, which the first migration creates.
func Migrate(ctx context.Context, url string) error {
	_, err := MigrateUp(ctx, url)
	return err
}

// MigrateUp is Migrate, reporting the migrations it applied and the version
// the schema is at afterwards.
func MigrateUp(ctx context.Context, url string) (MigrateResult, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return MigrateResult{}, errInvalidURL
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = ConnectTimeout
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	pctx, cancel := context.WithTimeout(ctx, 2*cfg.ConnectTimeout)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		return MigrateResult{}, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	p, err := newProvider(db)
	if err != nil {
		return MigrateResult{}, err
	}
	applied, err := p.Up(ctx)
	if err != nil {
		return MigrateResult{}, fmt.Errorf("migrate: %w", err)
	}
	var res MigrateResult
	for _, a := range applied {
		name := strings.TrimSuffix(path.Base(a.Source.Path), path.Ext(a.Source.Path))
		res.Applied = append(res.Applied, Migration{Version: a.Source.Version, Name: name})
	}
	if res.Version, err = p.GetDBVersion(ctx); err != nil {
		return res, fmt.Errorf("schema version: %w", err)
	}
	return res, nil
}

func newProvider(db *sql.DB) (*goose.Provider, error) {
	// Poll for the lock every second, for up to five minutes.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}
