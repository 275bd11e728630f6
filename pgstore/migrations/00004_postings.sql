-- +goose Up
-- postings is the in-memory retriever's BM25 index (retrieval.Lexical) kept
-- in PostgreSQL: for every term, the passages holding it with the term's
-- precomputed weight in each and whether a merchant can act on the passage,
-- heaviest first, in chunks of up to 500 (chunk 0 the heaviest). data packs
-- 9 bytes a posting: the passage's ord (int32) and the weight (float32
-- bits), little-endian, and 1 if the passage is actionable. A search reads
-- only the first chunks of each query term, so a common word costs no more
-- than a rare one, and sums the weights itself: a bytea travels and decodes
-- as it is, where arrays cost a header per element. Chunks (about 4.5 kB)
-- stay in the row, uncompressed. posbot ingest rebuilds the table whenever
-- the passages change (see pgstore/ingest.go); it replaces the tsvector
-- column.
CREATE TABLE postings (
    term  text    NOT NULL,
    chunk integer NOT NULL,
    data  bytea   NOT NULL,
    PRIMARY KEY (term, chunk)
);
ALTER TABLE postings ALTER COLUMN data SET STORAGE EXTERNAL;
ALTER TABLE postings SET (toast_tuple_target = 8160);

-- terms now also says which terms name things (retrieval's core terms).
ALTER TABLE terms ADD COLUMN core boolean NOT NULL DEFAULT false;

CREATE INDEX passages_ord ON passages (ord);
DROP INDEX passages_tsv_gin;
ALTER TABLE passages DROP COLUMN tsv;

-- +goose Down
ALTER TABLE passages ADD COLUMN tsv tsvector NOT NULL DEFAULT ''::tsvector;
CREATE INDEX passages_tsv_gin ON passages USING gin (tsv);
DROP INDEX passages_ord;
ALTER TABLE terms DROP COLUMN core;
DROP TABLE postings;
DELETE FROM meta WHERE key = 'postings';
