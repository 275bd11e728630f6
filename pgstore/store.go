// Package pgstore is posbot's PostgreSQL store: the knowledge base indexed for
// hybrid search (pgvector HNSW for vectors, BM25 postings under a btree for
// words, a GIN-indexed code array for exact lookups), the outcomes merchants report,
// and the tickets and redacted transcripts of conversations handed to a human.
//
// Several stateless replicas share one database: migrations take an advisory
// lock (Migrate) and so does ingestion (Store.Ingest). pgx and pgvector types
// never leave this package; callers talk in knowledge, retrieval and bot types.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	pgxvec "github.com/pgvector/pgvector-go/pgx"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/retrieval"
)

var (
	_ retrieval.Searcher = (*Store)(nil)
	_ bot.Outcomes       = (*Store)(nil)
)

// ConnectTimeout bounds each connection attempt, so a configured but
// unreachable database fails start-up instead of hanging it. A
// connect_timeout in the URL takes precedence.
const ConnectTimeout = 5 * time.Second

// DefaultCallTimeout bounds each call made while serving a message (Record,
// tickets, transcripts, Ping) unless WithCallTimeout sets another, so a slow
// or hung database costs a message at most this long. Search is bounded by
// its caller (retrieval.Fallback when serving); Ingest and Migrate, admin
// commands that may rightly take minutes, only by their context.
const DefaultCallTimeout = time.Second

// Deadlines of the calls that are not made while serving a message.
const (
	readyTimeout = 2*ConnectTimeout + time.Second // Ready, at start-up, like Open's ping
	statsTimeout = 30 * time.Second               // OutcomeStats, a report over every outcome
)

// efSearch is the HNSW candidate list size per query. It must be at least the
// number of vector candidates Search asks for, or the index returns fewer.
const efSearch = retrieval.Candidates

// errInvalidURL is returned for a URL pgx cannot parse. pgx's own error quotes
// the URL with the password masked only on a best-effort basis, so it is not
// passed on.
var errInvalidURL = errors.New("invalid PostgreSQL URL (want postgres://user:password@host:port/database?sslmode=disable)")

// Store is posbot's PostgreSQL store. It holds a connection pool and all of
// posbot's SQL. Its zero value is not usable; use Open. It is safe for
// concurrent use.
type Store struct {
	pool        *pgxpool.Pool
	emb         retrieval.Embedder
	callTimeout time.Duration
}

// Option configures Open.
type Option func(*Store)

// WithEmbedder sets the embedder Search embeds queries with. It must be the
// one the passages were ingested with (Ready checks); the default is
// retrieval.NewHashEmbedder(0), as for the in-memory retriever.
func WithEmbedder(e retrieval.Embedder) Option {
	return func(s *Store) { s.emb = e }
}

// WithCallTimeout sets the deadline of each call made while serving a
// message; the default is DefaultCallTimeout.
func WithCallTimeout(d time.Duration) Option {
	return func(s *Store) {
		if d > 0 {
			s.callTimeout = d
		}
	}
}

// bound returns ctx with the deadline of one call made while serving.
func (s *Store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.callTimeout)
}

// Open connects to the database at url and checks that it answers. The schema
// must be migrated (Migrate) first: connections register the pgvector types,
// which exist only once the first migration created the extension. It fails
// within about ConnectTimeout when the database is unreachable.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, errInvalidURL
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = ConnectTimeout
	}
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		if err := pgxvec.RegisterTypes(ctx, c); err != nil {
			return fmt.Errorf("register pgvector types (has posbot migrate run?): %w", err)
		}
		if _, err := c.Exec(ctx, fmt.Sprintf("SET hnsw.ef_search = %d", efSearch)); err != nil {
			return fmt.Errorf("set hnsw.ef_search: %w", err)
		}
		return nil
	}
	s := &Store{emb: retrieval.NewHashEmbedder(0), callTimeout: DefaultCallTimeout}
	for _, o := range opts {
		o(s)
	}
	s.pool, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	// The ping's own deadline backs up ConnectTimeout when a host resolves to
	// several addresses or TLS falls back to plain text.
	pctx, cancel := context.WithTimeout(ctx, 2*cfg.ConnConfig.ConnectTimeout+time.Second)
	defer cancel()
	if err := s.pool.Ping(pctx); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	return s, nil
}

// Close closes the connection pool.
func (s *Store) Close() { s.pool.Close() }

// Ready checks that the knowledge base was ingested with the store's embedder,
// so Search will work: call it when serving starts. The error says what to run.
func (s *Store) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM passages`).Scan(&n); err != nil {
		return fmt.Errorf("count passages: %w", err)
	}
	if n == 0 {
		return errors.New("no passages: run posbot ingest")
	}
	name, err := s.meta(ctx, metaEmbedder)
	if err != nil {
		return err
	}
	if name != s.emb.Name() {
		return fmt.Errorf("passages were embedded with %q but queries would be embedded with %q: run posbot ingest with the serving configuration", name, s.emb.Name())
	}
	// A database migrated from before the postings has passages but no
	// word index: searches would rank by vectors alone.
	if fp, err := s.meta(ctx, metaPostings); err != nil {
		return err
	} else if fp == "" {
		return errors.New("the passages' words are not indexed yet: run posbot ingest")
	}
	return nil
}

// Keys of the meta table.
const (
	metaEmbedder = "embedder"
	metaPostings = "postings" // the fingerprint of the passages the postings index
)

// meta returns a meta value, "" if unset.
func (s *Store) meta(ctx context.Context, key string) (string, error) {
	return readMeta(ctx, s.pool, key)
}

// Ping checks that the database answers, for readiness probes.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping PostgreSQL: %w", err)
	}
	return nil
}

// analyzer reads queries with the embedded lexicons, as the in-memory
// retriever does, so that both backends rank the same words.
func (s *Store) analyzer() *retrieval.Analyzer { return retrieval.DefaultAnalyzer() }
