package pgstore

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	pgvector "github.com/pgvector/pgvector-go"

	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/retrieval"
)

// candidates is how many passages each of the lexical and vector rankings
// contributes to the fusion. Beyond it a reciprocal rank adds under 1/160,
// too little to lift a passage into the top few.
const candidates = efSearch

// minIDF is the idf below which a query term neither selects nor ranks
// lexical candidates: ln 10, a term in more than about a tenth of the
// passages (失败, 交易). Such terms match most passages, so matching them
// costs the most and tells the least (BM25 gives them little weight too);
// dropping them lifted hit@5 on the evaluation set from 0.91 to 0.94. The
// rarest query term is always kept.
const minIDF = 2.302585092994046 // ln 10

// rrfK is the reciprocal-rank-fusion constant, the in-memory retriever's 60;
// searchSQL spells it out, with the 0.6 for non-actionable passages.
const rrfK = 60

// searchSQL is the hybrid search in one statement. Parameters: $1 the
// response code (empty for none), $2 the distinct query tokens, $3 the query
// vector (NULL without text), $4 k, $5 and $7 the lexical and vector
// candidate counts, $6 minIDF.
//
//   - exact: the passage whose own code is $1;
//   - q: the OR tsquery of the query tokens with idf >= $6, plus the rarest;
//   - lex: passages matching q ranked by ts_rank_cd, through the GIN index on
//     tsv (q is a scalar subquery so the planner can use the index);
//   - vec: the nearest passages by cosine distance to $3, through the HNSW
//     index; like the memory retriever, only positive similarity counts;
//   - related: passages listing $1 among their codes, through the GIN index
//     on codes, which rank right after the exact one;
//   - fused: reciprocal rank fusion (k = 60) of lex and vec, scaled by 0.6
//     for passages a merchant cannot act on, plus 1/60 for related ones.
//
// It returns the exact passage first, then the k best fused, with each
// passage's cosine similarity and the idf of the known query tokens (the
// same on every row), which the confidence needs.
const searchSQL = `
WITH exact AS (
	SELECT id FROM passages WHERE $1 <> '' AND code = $1
),
qterms AS (
	SELECT term, idf FROM terms WHERE term = ANY($2)
),
q AS (
	SELECT to_tsquery('simple', string_agg(quote_literal(term), ' | ')) AS tsq FROM (
		SELECT term FROM qterms WHERE idf >= $6
		UNION
		(SELECT term FROM qterms ORDER BY idf DESC LIMIT 1)
	) t
),
lex AS (
	SELECT id, row_number() OVER (ORDER BY r DESC, ord) AS rank FROM (
		SELECT p.id, p.ord, ts_rank_cd(p.tsv, (SELECT tsq FROM q)) AS r
		FROM passages p
		WHERE p.tsv @@ (SELECT tsq FROM q)
		ORDER BY r DESC, p.ord
		LIMIT $5
	) l
),
vec AS (
	SELECT id, rank FROM (
		SELECT id, dist, row_number() OVER (ORDER BY dist, ord) AS rank FROM (
			SELECT id, ord, embedding <=> $3 AS dist
			FROM passages
			ORDER BY embedding <=> $3
			LIMIT $7
		) n
	) v
	WHERE dist < 1
),
related AS (
	SELECT id FROM passages WHERE $1 <> '' AND codes @> ARRAY[$1::text]
),
rrf AS (
	SELECT id, sum(s) AS s FROM (
		SELECT id, 1.0 / (60 + rank) AS s FROM lex
		UNION ALL
		SELECT id, 1.0 / (60 + rank) FROM vec
	) x GROUP BY id
),
fused AS (
	SELECT p.id, p.ord,
		coalesce(rrf.s, 0) * CASE WHEN p.actionable THEN 1 ELSE 0.6 END
		+ CASE WHEN related.id IS NULL THEN 0 ELSE 1.0 / 60 END AS score
	FROM (SELECT id FROM rrf UNION SELECT id FROM related) c
	JOIN passages p ON p.id = c.id
	LEFT JOIN rrf ON rrf.id = c.id
	LEFT JOIN related ON related.id = c.id
	WHERE c.id NOT IN (SELECT id FROM exact)
),
hits AS (
	SELECT id, 1.0::float8 AS score, true AS exact, -1 AS ord FROM exact
	UNION ALL
	(SELECT id, score::float8, false, ord FROM fused WHERE score > 0 ORDER BY score DESC, ord LIMIT $4)
)
SELECT p.body, h.score, h.exact, 1 - (p.embedding <=> $3),
	(SELECT coalesce(jsonb_object_agg(term, idf), '{}') FROM qterms)
FROM hits h JOIN passages p ON p.id = h.id
ORDER BY h.exact DESC, h.score DESC, h.ord
LIMIT $4`

// Search implements retrieval.Searcher with the same hybrid ranking as the
// in-memory retriever (retrieval.ModeHybrid), in one SQL statement. The
// confidence is retrieval.HybridConfidence, as in memory; 1 for an exact code.
func (s *Store) Search(ctx context.Context, q retrieval.Query) (retrieval.Result, error) {
	k := q.K
	if k <= 0 {
		k = 5
	}
	code := strings.ToUpper(strings.TrimSpace(q.Code))
	// Rank and judge on what tells causes apart, as the memory retriever
	// does; a message of generic words only falls back to its expansion
	// (and gets confidence 0).
	lower := strings.ToLower(q.Text)
	terms := distinct(retrieval.Tokens(s.analyzer().Informative(lower)))
	if len(terms) == 0 {
		terms = distinct(retrieval.Tokens(s.analyzer().Expand(lower)))
	}
	info := distinct(retrieval.Tokens(s.analyzer().Informative(lower)))

	// Without text there is nothing to embed: the query vector is NULL and
	// the vector ranking asks for no candidates.
	vecLimit := 0
	var qv *pgvector.Vector
	if strings.TrimSpace(q.Text) != "" {
		vs, err := s.emb.Embed(ctx, []string{q.Text})
		if err != nil {
			return retrieval.Result{}, fmt.Errorf("embed query: %w", err)
		}
		if len(vs) != 1 {
			return retrieval.Result{}, fmt.Errorf("embed query: %s returned %d vectors for 1 text", s.emb.Name(), len(vs))
		}
		v := pgvector.NewVector(vs[0])
		qv, vecLimit = &v, candidates
	}

	rows, err := s.pool.Query(ctx, searchSQL, code, terms, qv, k, candidates, minIDF, vecLimit)
	if err != nil {
		return retrieval.Result{}, fmt.Errorf("search passages: %w", err)
	}
	defer rows.Close()
	var res retrieval.Result
	var topCos *float64
	var idf map[string]float64
	for rows.Next() {
		var body []byte
		var h retrieval.Hit
		var cos *float64
		if err := rows.Scan(&body, &h.Score, &h.Exact, &cos, &idf); err != nil {
			return retrieval.Result{}, fmt.Errorf("read search hit: %w", err)
		}
		if err := json.Unmarshal(body, &h.Passage); err != nil {
			return retrieval.Result{}, fmt.Errorf("decode passage: %w", err)
		}
		h.Passage.Version = h.Passage.ContentVersion()
		if !h.Exact {
			h.Score = round(h.Score * rrfK / 2)
		}
		if len(res.Hits) == 0 {
			topCos = cos
		}
		res.Hits = append(res.Hits, h)
	}
	if err := rows.Err(); err != nil {
		return retrieval.Result{}, fmt.Errorf("search passages: %w", err)
	}
	switch {
	case len(res.Hits) == 0:
	case res.Hits[0].Exact:
		res.Confidence = 1
	default:
		res.Confidence = confidence(info, idf, res.Hits[0].Passage, topCos)
	}
	return res, nil
}

// confidence is retrieval.HybridConfidence over the query's informative
// terms: their idf comes from the terms table, filled at ingest with the same
// BM25 idf the memory index uses.
func confidence(terms []string, idf map[string]float64, top knowledge.Passage, cos *float64) float64 {
	inTop := make(map[string]bool)
	for _, t := range retrieval.Tokens(retrieval.Document(top)) {
		inTop[t] = true
	}
	var mass, hit float64
	for _, t := range terms {
		w, ok := idf[t]
		if !ok {
			continue
		}
		mass += w
		if inTop[t] {
			hit += w
		}
	}
	if mass == 0 {
		return 0
	}
	var c float64
	if cos != nil {
		c = *cos
	}
	return retrieval.HybridConfidence(hit/mass, hit, c)
}

func distinct(toks []string) []string {
	seen := make(map[string]bool, len(toks))
	out := make([]string, 0, len(toks))
	for _, t := range toks {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

func round(x float64) float64 { return math.Round(x*1e4) / 1e4 }
