package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/llm"
	"github.com/posbot/posbot/pgstore"
	"github.com/posbot/posbot/retrieval"
)

// errNoPostgres is returned by the commands that need PostgreSQL when
// POSBOT_POSTGRES_URL is not set.
var errNoPostgres = errors.New("POSBOT_POSTGRES_URL: not set; migrate and ingest need PostgreSQL (see DEVELOPERS.md)")

// embedderFor returns the embedder that ingest and serve must share: the
// model's when POSBOT_EMBED_MODEL is set, the hash embedder otherwise.
func embedderFor(cfg config) retrieval.Embedder {
	if cfg.OpenAIBaseURL != "" && cfg.EmbedModel != "" {
		return llm.New(llm.Config{BaseURL: cfg.OpenAIBaseURL, APIKey: cfg.OpenAIAPIKey, EmbedModel: cfg.EmbedModel, Timeout: cfg.LLMTimeout})
	}
	return retrieval.NewHashEmbedder(0)
}

// openPostgres opens the PostgreSQL store for serving: it searches with emb,
// which must be the embedder the knowledge base was ingested with. It fails
// within seconds, naming POSBOT_POSTGRES_URL, when the database is
// unreachable, not migrated or not ingested.
func openPostgres(ctx context.Context, url string, emb retrieval.Embedder) (*pgstore.Store, error) {
	s, err := pgstore.Open(ctx, url, pgstore.WithEmbedder(emb))
	if err != nil {
		return nil, fmt.Errorf("POSBOT_POSTGRES_URL: %w", err)
	}
	if err := s.Ready(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("POSBOT_POSTGRES_URL: %w", err)
	}
	return s, nil
}

// runMigrate is posbot migrate: it brings the schema up to date. Replicas
// may run it together; one migrates while the others wait.
func runMigrate(ctx context.Context, url string, out io.Writer) error {
	if url == "" {
		return errNoPostgres
	}
	res, err := pgstore.MigrateUp(ctx, url)
	if err != nil {
		return fmt.Errorf("POSBOT_POSTGRES_URL: %w", err)
	}
	return writeMigrateResult(out, res)
}

// writeMigrateResult says what posbot migrate did: one line per migration
// applied, then the schema's version.
func writeMigrateResult(w io.Writer, res pgstore.MigrateResult) error {
	var b strings.Builder
	for _, m := range res.Applied {
		fmt.Fprintf(&b, "applied migration %d: %s\n", m.Version, m.Name)
	}
	if len(res.Applied) == 0 {
		fmt.Fprintf(&b, "schema up to date (version %d)\n", res.Version)
	} else {
		fmt.Fprintf(&b, "schema now at version %d\n", res.Version)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// runIngest is posbot ingest: it migrates if needed, then loads base into
// PostgreSQL, embedding with emb only what changed, with progress on out.
func runIngest(ctx context.Context, url string, base *knowledge.Base, emb retrieval.Embedder, out io.Writer) error {
	if url == "" {
		return errNoPostgres
	}
	if err := pgstore.Migrate(ctx, url); err != nil {
		return fmt.Errorf("POSBOT_POSTGRES_URL: %w", err)
	}
	s, err := pgstore.Open(ctx, url)
	if err != nil {
		return fmt.Errorf("POSBOT_POSTGRES_URL: %w", err)
	}
	defer s.Close()
	if _, err := s.Ingest(ctx, base, emb, out); err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	return nil
}
