package pgstore

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/jackc/pgx/v5"
	pgvector "github.com/pgvector/pgvector-go"

	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/retrieval"
)

// IngestReport says what Ingest did. Added, Updated, Unchanged and Deleted
// count passages by how their content compares with the database; Reembedded
// counts the embeddings computed, which is every passage after a change of
// embedder even when none of them changed.
type IngestReport struct {
	Added      int
	Updated    int
	Unchanged  int
	Deleted    int
	Reembedded int
	// Embedder is the name of the embedder the passages are now embedded with.
	Embedder string
	// Dimension is the embedding dimension.
	Dimension int
}

// String renders the report as one line for the ingest command.
func (r IngestReport) String() string {
	return fmt.Sprintf("%d added, %d updated, %d unchanged, %d deleted; %d embedded with %s (%d dimensions)",
		r.Added, r.Updated, r.Unchanged, r.Deleted, r.Reembedded, r.Embedder, r.Dimension)
}

// ingestLock is the advisory lock key that serialises ingests, so two
// replicas or operators ingesting at once do not interleave.
const ingestLock = 0x706f73626f74 // "posbot"

// embedBatch is how many texts go to the embedder per call.
const embedBatch = 64

// maxHNSWDim is the largest vector(n) pgvector can index with HNSW. Above it
// Search falls back to an exact scan, which is fast at knowledge-base sizes.
const maxHNSWDim = 2000

// row is one passage as stored.
type row struct {
	id, code             string
	ord                  int
	codes                []string
	actionable           bool
	body                 []byte
	bodyHash, embedHash  string
	embedText            string
	embedding            []float32
	added, changed, embd bool
}

// current is what the database holds about a passage.
type current struct {
	ord                 int
	bodyHash, embedHash string
	hasEmbedding        bool
}

// Ingest loads the knowledge base into the store: it adds new passages,
// updates changed ones, deletes those no longer in base, and embeds with emb
// only what changed: a passage whose embed text (retrieval.EmbedText) has the
// same hash keeps its vector. A different embedder (by Name) re-embeds
// everything and, if the dimension differs, resizes the embedding column and
// rebuilds the HNSW index. It reports progress on progress (a bar on a
// terminal, plain lines otherwise; nil for none).
//
// Everything happens in one transaction under an advisory lock: replicas keep
// searching the previous contents until it commits, and a failure leaves them
// untouched. After a change of dimension, searches wait for the commit.
func (s *Store) Ingest(ctx context.Context, base *knowledge.Base, emb retrieval.Embedder, progress io.Writer) (IngestReport, error) {
	rep := IngestReport{Embedder: emb.Name()}
	p := newProgress(progress)
	rows, err := prepare(base)
	if err != nil {
		return rep, err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return rep, fmt.Errorf("begin ingest: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(ingestLock)); err != nil {
		return rep, fmt.Errorf("ingest lock: %w", err)
	}

	oldEmbedder, err := readMeta(ctx, tx, metaEmbedder)
	if err != nil {
		return rep, err
	}
	cur, err := currentPassages(ctx, tx)
	if err != nil {
		return rep, err
	}
	newModel := oldEmbedder != emb.Name()

	var toEmbed []*row
	var ordIDs []string
	var ords []int32
	seen := make(map[string]bool, len(rows))
	for i := range rows {
		r := &rows[i]
		seen[r.id] = true
		c, ok := cur[r.id]
		switch {
		case !ok:
			r.added = true
			rep.Added++
		case c.bodyHash != r.bodyHash || c.embedHash != r.embedHash:
			r.changed = true
			rep.Updated++
		default:
			rep.Unchanged++
			if c.ord != r.ord {
				ordIDs, ords = append(ordIDs, r.id), append(ords, int32(r.ord))
			}
		}
		if newModel || !ok || !c.hasEmbedding || c.embedHash != r.embedHash {
			r.embd = true
			toEmbed = append(toEmbed, r)
		}
	}
	var stale []string
	for id := range cur {
		if !seen[id] {
			stale = append(stale, id)
		}
	}
	rep.Deleted = len(stale)
	p.linef("ingest: %d passages (%d new, %d changed, %d gone); %d to embed with %s",
		len(rows), rep.Added, rep.Updated, rep.Deleted, len(toEmbed), emb.Name())

	if err := embedRows(ctx, emb, toEmbed, p); err != nil {
		return rep, err
	}
	rep.Reembedded = len(toEmbed)

	dim, err := columnDimension(ctx, tx)
	if err != nil {
		return rep, err
	}
	if len(toEmbed) > 0 {
		newDim := len(toEmbed[0].embedding)
		if newDim != dim {
			if !newModel {
				// Same name, different size: the embedder is misconfigured.
				return rep, fmt.Errorf("embedder %s returns %d dimensions but the store holds %d", emb.Name(), newDim, dim)
			}
			if err := resize(ctx, tx, newDim); err != nil {
				return rep, err
			}
			dim = newDim
		}
	}
	rep.Dimension = dim

	if len(stale) > 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM passages WHERE id = ANY($1)`, stale); err != nil {
			return rep, fmt.Errorf("delete stale passages: %w", err)
		}
	}
	if len(ordIDs) > 0 {
		if _, err := tx.Exec(ctx, `UPDATE passages p SET ord = u.ord FROM unnest($1::text[], $2::int[]) AS u(id, ord) WHERE p.id = u.id`, ordIDs, ords); err != nil {
			return rep, fmt.Errorf("reorder passages: %w", err)
		}
	}
	var write []*row
	for i := range rows {
		if r := &rows[i]; r.added || r.changed || r.embd {
			write = append(write, r)
		}
	}
	if len(write) > 0 {
		p.linef("ingest: writing %d passages", len(write))
		if err := upsert(ctx, tx, write); err != nil {
			return rep, err
		}
	}
	// The postings' weights depend on every passage (idf, average length),
	// so any change rebuilds them all; a fingerprint of the passages in
	// order says whether anything did.
	indexed, err := readMeta(ctx, tx, metaPostings)
	if err != nil {
		return rep, err
	}
	if fp := fingerprint(rows); fp != indexed {
		p.linef("ingest: indexing the words of %d passages", len(rows))
		if err := rebuildPostings(ctx, tx, base); err != nil {
			return rep, err
		}
		if err := writeMeta(ctx, tx, metaPostings, fp); err != nil {
			return rep, err
		}
	}
	if dim > 0 && dim <= maxHNSWDim {
		built, err := ensureIndex(ctx, tx)
		if err != nil {
			return rep, err
		}
		if built {
			p.linef("ingest: built the HNSW index")
		}
	}
	if newModel {
		if err := writeMeta(ctx, tx, metaEmbedder, emb.Name()); err != nil {
			return rep, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return rep, fmt.Errorf("commit ingest: %w", err)
	}
	p.linef("ingest: %s", rep)
	return rep, nil
}

// prepare computes what is stored for every passage of base.
func prepare(base *knowledge.Base) ([]row, error) {
	rows := make([]row, base.Len())
	for i, p := range base.All() {
		body, err := json.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("encode passage %s: %w", p.ID, err)
		}
		et := retrieval.EmbedText(p)
		codes := make([]string, 0, len(p.Codes)+1)
		if p.Code != "" {
			codes = append(codes, p.Code)
		}
		for _, c := range p.Codes {
			if !slices.Contains(codes, c) {
				codes = append(codes, c)
			}
		}
		rows[i] = row{
			id: p.ID, code: p.Code, ord: i, codes: codes, actionable: p.Actionable,
			body: body, bodyHash: hash(body), embedHash: hash([]byte(et)), embedText: et,
		}
	}
	return rows, nil
}

func hash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func currentPassages(ctx context.Context, tx pgx.Tx) (map[string]current, error) {
	rs, err := tx.Query(ctx, `SELECT id, ord, body_hash, embed_hash, embedding IS NOT NULL FROM passages`)
	if err != nil {
		return nil, fmt.Errorf("read passages: %w", err)
	}
	defer rs.Close()
	cur := make(map[string]current)
	for rs.Next() {
		var id string
		var c current
		if err := rs.Scan(&id, &c.ord, &c.bodyHash, &c.embedHash, &c.hasEmbedding); err != nil {
			return nil, fmt.Errorf("read passages: %w", err)
		}
		cur[id] = c
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("read passages: %w", err)
	}
	return cur, nil
}

// embedRows computes the embeddings of rs in batches.
func embedRows(ctx context.Context, emb retrieval.Embedder, rs []*row, p *progress) error {
	if len(rs) == 0 {
		return nil
	}
	p.start(len(rs), "embedding")
	defer p.finish()
	dim := 0
	for start := 0; start < len(rs); start += embedBatch {
		batch := rs[start:min(start+embedBatch, len(rs))]
		texts := make([]string, len(batch))
		for i, r := range batch {
			texts[i] = r.embedText
		}
		vecs, err := emb.Embed(ctx, texts)
		if err != nil {
			return fmt.Errorf("embed passages: %w", err)
		}
		if len(vecs) != len(batch) {
			return fmt.Errorf("embed passages: %s returned %d vectors for %d texts", emb.Name(), len(vecs), len(batch))
		}
		for i, v := range vecs {
			if dim == 0 {
				dim = len(v)
			}
			if len(v) != dim || dim == 0 {
				return fmt.Errorf("embed passages: %s returned vectors of %d and %d dimensions", emb.Name(), dim, len(v))
			}
			batch[i].embedding = v
		}
		p.add(len(batch))
	}
	return nil
}

// columnDimension returns the embedding column's dimension, 0 if unset.
func columnDimension(ctx context.Context, tx pgx.Tx) (int, error) {
	var typmod int
	err := tx.QueryRow(ctx, `SELECT atttypmod FROM pg_attribute WHERE attrelid = 'passages'::regclass AND attname = 'embedding'`).Scan(&typmod)
	if err != nil {
		return 0, fmt.Errorf("read embedding dimension: %w", err)
	}
	return max(typmod, 0), nil
}

// resize gives the embedding column a new dimension. Every vector is dropped
// (the caller re-embeds them all) and so is the index, rebuilt after loading.
func resize(ctx context.Context, tx pgx.Tx, dim int) error {
	stmts := []string{
		`DROP INDEX IF EXISTS passages_embedding_hnsw`,
		fmt.Sprintf(`ALTER TABLE passages ALTER COLUMN embedding TYPE vector(%d) USING NULL`, dim),
		// A new type brings its default storage back; see 00001_init.sql.
		`ALTER TABLE passages ALTER COLUMN embedding SET STORAGE MAIN`,
	}
	for _, q := range stmts {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("resize embeddings to %d: %w", dim, err)
		}
	}
	return nil
}

// upsert writes rs through a staging table filled by COPY, which is what
// makes ingesting 100k passages take seconds rather than minutes. A row
// without a new embedding keeps the stored one.
func upsert(ctx context.Context, tx pgx.Tx, rs []*row) error {
	_, err := tx.Exec(ctx, `CREATE TEMP TABLE ingest_rows (
		id text, ord integer, code text, codes text[], actionable boolean, body jsonb,
		body_hash text, embed_hash text, embedding vector) ON COMMIT DROP`)
	if err != nil {
		return fmt.Errorf("create staging table: %w", err)
	}
	cols := []string{"id", "ord", "code", "codes", "actionable", "body", "body_hash", "embed_hash", "embedding"}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"ingest_rows"}, cols, pgx.CopyFromSlice(len(rs), func(i int) ([]any, error) {
		r := rs[i]
		var code, vec any
		if r.code != "" {
			code = r.code
		}
		if r.embedding != nil {
			vec = pgvector.NewVector(r.embedding)
		}
		return []any{r.id, int32(r.ord), code, r.codes, r.actionable, string(r.body), r.bodyHash, r.embedHash, vec}, nil
	}))
	if err != nil {
		return fmt.Errorf("copy passages: %w", err)
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO passages (id, ord, code, codes, actionable, body, body_hash, embed_hash, embedding)
		SELECT id, ord, code, codes, actionable, body, body_hash, embed_hash, embedding
		FROM ingest_rows
		ON CONFLICT (id) DO UPDATE SET
			ord = EXCLUDED.ord, code = EXCLUDED.code, codes = EXCLUDED.codes,
			actionable = EXCLUDED.actionable, body = EXCLUDED.body, body_hash = EXCLUDED.body_hash,
			embed_hash = EXCLUDED.embed_hash,
			embedding = COALESCE(EXCLUDED.embedding, passages.embedding)`)
	if err != nil {
		return fmt.Errorf("upsert passages: %w", err)
	}
	return nil
}

// readMeta returns a meta value read through q (the pool, or an ingest's
// transaction), "" if unset.
func readMeta(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, key string) (string, error) {
	var v string
	err := q.QueryRow(ctx, `SELECT value FROM meta WHERE key = $1`, key).Scan(&v)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("read meta %s: %w", key, err)
	}
	return v, nil
}

// writeMeta sets a meta value in tx.
func writeMeta(ctx context.Context, tx pgx.Tx, key, value string) error {
	_, err := tx.Exec(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, key, value)
	if err != nil {
		return fmt.Errorf("record %s: %w", key, err)
	}
	return nil
}

// fingerprint identifies the passages in order, which is all the postings
// depend on.
func fingerprint(rows []row) string {
	h := sha256.New()
	for _, r := range rows {
		h.Write([]byte(r.bodyHash))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// chunkSize is how many postings one row of the postings table holds.
const chunkSize = 500

// rebuildPostings refills the terms and postings tables from
// retrieval.NewLexical over base, the in-memory retriever's index, so both
// rank alike: each term's postings heaviest first (then by ord), in chunks
// of chunkSize. DELETE rather than TRUNCATE: concurrent searches keep
// reading the old postings until commit.
func rebuildPostings(ctx context.Context, tx pgx.Tx, base *knowledge.Base) error {
	all := base.All()
	type termRow struct {
		term string
		idf  float64
		core bool
	}
	type chunkRow struct {
		term  string
		chunk int32
		data  []byte
	}
	var terms []termRow
	var chunks []chunkRow
	type posting struct {
		ord int32
		w   float32
	}
	retrieval.NewLexical(all).EachTerm(func(term string, idf float64, core bool, docs []int32, ws []float32) {
		terms = append(terms, termRow{term, idf, core})
		ps := make([]posting, len(docs))
		for i, d := range docs {
			ps[i] = posting{d, ws[i]}
		}
		slices.SortFunc(ps, func(a, b posting) int {
			if c := cmp.Compare(b.w, a.w); c != 0 {
				return c
			}
			return cmp.Compare(a.ord, b.ord)
		})
		for c := 0; c*chunkSize < len(ps); c++ {
			part := ps[c*chunkSize : min((c+1)*chunkSize, len(ps))]
			data := make([]byte, 0, len(part)*postingBytes)
			for _, p := range part {
				data = appendPosting(data, p.ord, p.w, all[p.ord].Actionable)
			}
			chunks = append(chunks, chunkRow{term: term, chunk: int32(c), data: data})
		}
	})
	for _, q := range []string{`DELETE FROM terms`, `DELETE FROM postings`} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("clear the index: %w", err)
		}
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"terms"}, []string{"term", "idf", "core"}, pgx.CopyFromSlice(len(terms), func(i int) ([]any, error) {
		return []any{terms[i].term, terms[i].idf, terms[i].core}, nil
	}))
	if err != nil {
		return fmt.Errorf("copy terms: %w", err)
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"postings"}, []string{"term", "chunk", "data"}, pgx.CopyFromSlice(len(chunks), func(i int) ([]any, error) {
		return []any{chunks[i].term, chunks[i].chunk, chunks[i].data}, nil
	}))
	if err != nil {
		return fmt.Errorf("copy postings: %w", err)
	}
	return nil
}

// ensureIndex builds the HNSW cosine index if it does not exist.
func ensureIndex(ctx context.Context, tx pgx.Tx) (bool, error) {
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT to_regclass('passages_embedding_hnsw') IS NOT NULL`).Scan(&exists); err != nil {
		return false, fmt.Errorf("look up HNSW index: %w", err)
	}
	if exists {
		return false, nil
	}
	// The build is much faster when the graph fits in maintenance_work_mem
	// (about 200 MB for 100k passages of 512 dimensions).
	for _, q := range []string{
		`SET LOCAL maintenance_work_mem = '512MB'`,
		`CREATE INDEX passages_embedding_hnsw ON passages USING hnsw (embedding vector_cosine_ops)`,
	} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return false, fmt.Errorf("build HNSW index: %w", err)
		}
	}
	return true, nil
}
