package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/handoff"
	"github.com/posbot/posbot/redact"
)

var (
	_ handoff.Tickets     = (*Store)(nil)
	_ handoff.Transcripts = (*Store)(nil)
)

const ticketColumns = `id, conversation_id, channel, status, reason, priority, target, code, summary, lang,
	supplied, considered, steps, packet, created_at, announced_at, coalesce(claimed_by, ''), claimed_at,
	lease_until, closed_at, coalesce(closed_by, ''), desk_refs`

// Create implements handoff.Tickets. A conversation has at most one ticket
// that is not closed (a partial unique index says so), so of concurrent
// creates on any replicas one inserts and the others find its ticket. The
// summary is redacted again before it is stored.
func (s *Store) Create(ctx context.Context, t handoff.Ticket) (handoff.Ticket, bool, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	r, err := ticketRow(t)
	if err != nil {
		return handoff.Ticket{}, false, fmt.Errorf("create ticket: %w", err)
	}
	// Two attempts: the existing ticket may be closed between the insert
	// that conflicts with it and the select that looks for it.
	for range 2 {
		got, err := scanTicket(s.pool.QueryRow(ctx, `
			INSERT INTO tickets (conversation_id, channel, status, reason, priority, target, code, summary, lang,
				supplied, considered, steps, packet, created_at, announced_at, lease_until, desk_refs)
			VALUES ($1, $2, 'open', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, coalesce($13, now()), $14, $15, $16)
			ON CONFLICT (conversation_id) WHERE status <> 'closed' DO NOTHING
			RETURNING `+ticketColumns,
			t.ConversationID, t.Channel, t.Reason, or(t.Priority, handoff.PriorityNormal), t.Target, t.Code,
			r.summary, or(t.Lang, "zh"), r.supplied, r.considered, r.steps, t.Packet,
			nullTime(t.CreatedAt), nullTime(t.AnnouncedAt), nullTime(t.LeaseUntil), r.refs))
		if err == nil {
			return got, true, nil
		}
		if !errors.Is(err, bot.ErrNotFound) {
			return handoff.Ticket{}, false, fmt.Errorf("create ticket: %w", err)
		}
		got, err = scanTicket(s.pool.QueryRow(ctx, `SELECT `+ticketColumns+` FROM tickets WHERE conversation_id = $1 AND status <> 'closed'`, t.ConversationID))
		if err == nil {
			return got, false, nil
		}
		if !errors.Is(err, bot.ErrNotFound) {
			return handoff.Ticket{}, false, fmt.Errorf("create ticket: %w", err)
		}
	}
	return handoff.Ticket{}, false, fmt.Errorf("create ticket for %s: conflicting concurrent changes", t.ConversationID)
}

// Ticket implements handoff.Tickets.
func (s *Store) Ticket(ctx context.Context, id int64) (handoff.Ticket, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	t, err := scanTicket(s.pool.QueryRow(ctx, `SELECT `+ticketColumns+` FROM tickets WHERE id = $1`, id))
	if err != nil {
		return handoff.Ticket{}, fmt.Errorf("ticket %d: %w", id, err)
	}
	return t, nil
}

// Active implements handoff.Tickets.
func (s *Store) Active(ctx context.Context) ([]handoff.Ticket, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+ticketColumns+` FROM tickets WHERE status <> 'closed' ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("active tickets: %w", err)
	}
	ts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (handoff.Ticket, error) { return scanTicket(r) })
	if err != nil {
		return nil, fmt.Errorf("active tickets: %w", err)
	}
	return ts, nil
}

// Update implements handoff.Tickets: the ticket's row is locked (SELECT …
// FOR UPDATE) while change runs, so updates from every replica queue up.
func (s *Store) Update(ctx context.Context, id int64, change func(*handoff.Ticket) error) (handoff.Ticket, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var out handoff.Ticket
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := scanTicket(tx.QueryRow(ctx, `SELECT `+ticketColumns+` FROM tickets WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return err
		}
		t := cur
		if err := change(&t); err != nil {
			out = cur
			return err
		}
		r, err := ticketRow(t)
		if err != nil {
			return err
		}
		out, err = scanTicket(tx.QueryRow(ctx, `
			UPDATE tickets SET channel = $2, status = $3, reason = $4, priority = $5, target = $6, code = $7,
				summary = $8, lang = $9, supplied = $10, considered = $11, steps = $12, packet = $13,
				announced_at = $14, claimed_by = nullif($15, ''), claimed_at = $16, lease_until = $17,
				closed_at = $18, closed_by = nullif($19, ''), desk_refs = $20
			WHERE id = $1
			RETURNING `+ticketColumns,
			id, t.Channel, t.Status, t.Reason, t.Priority, t.Target, t.Code, r.summary, t.Lang, r.supplied,
			r.considered, r.steps, t.Packet, nullTime(t.AnnouncedAt), t.ClaimedBy, nullTime(t.ClaimedAt),
			nullTime(t.LeaseUntil), nullTime(t.ClosedAt), t.ClosedBy, r.refs))
		return err
	})
	if err != nil {
		return out, fmt.Errorf("update ticket %d: %w", id, err)
	}
	return out, nil
}

// ticketCols holds a ticket's columns that need encoding.
type ticketCols struct {
	summary           string
	supplied, refs    []byte
	considered, steps []string
}

func ticketRow(t handoff.Ticket) (ticketCols, error) {
	sup, err := json.Marshal(t.Supplied)
	if err != nil {
		return ticketCols{}, err
	}
	refs := []byte("{}")
	if len(t.DeskRefs) > 0 {
		if refs, err = json.Marshal(t.DeskRefs); err != nil {
			return ticketCols{}, err
		}
	}
	return ticketCols{summary: redact.Redact(t.Summary).Text, supplied: sup, refs: refs,
		considered: nonNil(t.Considered), steps: nonNil(t.Steps)}, nil
}

func scanTicket(r pgx.Row) (handoff.Ticket, error) {
	var t handoff.Ticket
	var announced, claimed, lease, closed *time.Time
	var sup, refs []byte
	err := r.Scan(&t.ID, &t.ConversationID, &t.Channel, &t.Status, &t.Reason, &t.Priority, &t.Target, &t.Code,
		&t.Summary, &t.Lang, &sup, &t.Considered, &t.Steps, &t.Packet, &t.CreatedAt, &announced, &t.ClaimedBy,
		&claimed, &lease, &closed, &t.ClosedBy, &refs)
	if errors.Is(err, pgx.ErrNoRows) {
		return handoff.Ticket{}, bot.ErrNotFound
	}
	if err != nil {
		return handoff.Ticket{}, err
	}
	if err := json.Unmarshal(sup, &t.Supplied); err != nil {
		return handoff.Ticket{}, fmt.Errorf("ticket %d supplied: %w", t.ID, err)
	}
	if err := json.Unmarshal(refs, &t.DeskRefs); err != nil {
		return handoff.Ticket{}, fmt.Errorf("ticket %d desk refs: %w", t.ID, err)
	}
	if len(t.DeskRefs) == 0 {
		t.DeskRefs = nil
	}
	if len(t.Considered) == 0 {
		t.Considered = nil
	}
	if len(t.Steps) == 0 {
		t.Steps = nil
	}
	for _, p := range []struct {
		src *time.Time
		dst *time.Time
	}{{announced, &t.AnnouncedAt}, {claimed, &t.ClaimedAt}, {lease, &t.LeaseUntil}, {closed, &t.ClosedAt}} {
		if p.src != nil {
			*p.dst = *p.src
		}
	}
	return t, nil
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// AppendTranscript implements handoff.Transcripts. Turns should already be
// redacted (bot.State holds only redacted text); the text is redacted again
// anyway, since a transcript outlives the conversation.
func (s *Store) AppendTranscript(ctx context.Context, conversationID string, turns ...bot.Turn) error {
	if len(turns) == 0 {
		return nil
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	roles := make([]string, len(turns))
	texts := make([]string, len(turns))
	ats := make([]time.Time, len(turns))
	for i, t := range turns {
		roles[i], texts[i], ats[i] = t.Role, redact.Redact(t.Text).Text, t.At
	}
	// WITH ORDINALITY keeps the turns' order in the identity column seq.
	_, err := s.pool.Exec(ctx, `
		INSERT INTO transcripts (conversation_id, role, text, at)
		SELECT $1, role, text, at FROM unnest($2::text[], $3::text[], $4::timestamptz[]) WITH ORDINALITY AS t(role, text, at, n)
		ORDER BY n`, conversationID, roles, texts, ats)
	if err != nil {
		return fmt.Errorf("append transcript: %w", err)
	}
	return nil
}

// maxTranscriptTurns bounds what Transcript returns: the newest turns.
const maxTranscriptTurns = 500

// Transcript implements handoff.Transcripts: the newest 500 turns, oldest
// first; empty for an unknown conversation.
func (s *Store) Transcript(ctx context.Context, conversationID string) ([]bot.Turn, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `
		SELECT role, text, at FROM (
			SELECT seq, role, text, at FROM transcripts WHERE conversation_id = $1 ORDER BY seq DESC LIMIT $2
		) newest ORDER BY seq`, conversationID, maxTranscriptTurns)
	if err != nil {
		return nil, fmt.Errorf("read transcript: %w", err)
	}
	turns, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (bot.Turn, error) {
		var t bot.Turn
		err := r.Scan(&t.Role, &t.Text, &t.At)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("read transcript: %w", err)
	}
	return turns, nil
}
