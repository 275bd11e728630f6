-- +goose Up
CREATE EXTENSION IF NOT EXISTS vector;

-- meta holds the store's own settings, such as the embedder the passage
-- vectors were computed with.
CREATE TABLE meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);

-- passages is the knowledge base as searched by posbot serve. body is the
-- knowledge.Passage as JSON, so Search returns full passages.
--
-- embedding has no fixed dimension here on purpose: the dimension is the
-- configured embedder's (512 for the hash embedder, 1024 for bge-m3), and
-- posbot ingest sets it (ALTER COLUMN ... TYPE vector(n)) and builds the HNSW
-- index whenever the embedder changes. See pgstore/ingest.go.
CREATE TABLE passages (
    id           text PRIMARY KEY,
    ord          integer NOT NULL,            -- load order, for stable ties
    code         text,                        -- the passage's own response code
    codes        text[] NOT NULL DEFAULT '{}', -- own code and related codes
    actionable   boolean NOT NULL,
    body         jsonb NOT NULL,
    body_hash    text NOT NULL,               -- sha256 of body
    embed_hash   text NOT NULL,               -- sha256 of retrieval.EmbedText
    tsv          tsvector NOT NULL,           -- 'simple' over retrieval.Tokens(retrieval.Document(p))
    embedding    vector
);
-- Keep vectors in the row: vector's default storage, and any row over 2 kB,
-- moves them to TOAST, which makes a sequential scan look cheaper to the
-- planner than it is, so it would pass over the HNSW index.
ALTER TABLE passages ALTER COLUMN embedding SET STORAGE MAIN;
ALTER TABLE passages SET (toast_tuple_target = 8160);
CREATE UNIQUE INDEX passages_code_key ON passages (code) WHERE code IS NOT NULL;
CREATE INDEX passages_codes_gin ON passages USING gin (codes);
CREATE INDEX passages_tsv_gin ON passages USING gin (tsv);

-- terms holds the inverse document frequency of every token of the indexed
-- passages (BM25's idf, as retrieval.Lexical computes it), recomputed by
-- ingest; Search uses it for the confidence.
CREATE TABLE terms (
    term text PRIMARY KEY,
    idf  double precision NOT NULL
);

-- +goose Down
DROP TABLE terms;
DROP TABLE passages;
DROP TABLE meta;
