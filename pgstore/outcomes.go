package pgstore

import (
	"context"
	"fmt"

	"github.com/posbot/posbot/bot"
)

// Record implements bot.Outcomes.
func (s *Store) Record(ctx context.Context, o bot.Outcome) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `INSERT INTO outcomes (conversation_id, passage_id, solved, at) VALUES ($1, $2, $3, $4)`,
		o.ConversationID, o.PassageID, o.Solved, o.At)
	if err != nil {
		return fmt.Errorf("record outcome: %w", err)
	}
	return nil
}

// OutcomeStats returns, per passage id, how many outcomes were solved ([0])
// and not solved ([1]), like bot.MemoryOutcomes.ByPassage.
func (s *Store) OutcomeStats(ctx context.Context) (map[string][2]int, error) {
	ctx, cancel := context.WithTimeout(ctx, statsTimeout)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT passage_id, count(*) FILTER (WHERE solved), count(*) FILTER (WHERE NOT solved) FROM outcomes GROUP BY passage_id`)
	if err != nil {
		return nil, fmt.Errorf("outcome stats: %w", err)
	}
	defer rows.Close()
	m := make(map[string][2]int)
	for rows.Next() {
		var id string
		var c [2]int
		if err := rows.Scan(&id, &c[0], &c[1]); err != nil {
			return nil, fmt.Errorf("outcome stats: %w", err)
		}
		m[id] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("outcome stats: %w", err)
	}
	return m, nil
}
