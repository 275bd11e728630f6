package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/redact"
)

// Ticket statuses.
const (
	TicketOpen    = "open"    // waiting for a human
	TicketClaimed = "claimed" // a human holds it until LeaseUntil
	TicketClosed  = "closed"  // done
)

// Ticket is a conversation handed to a human. Times are zero when unset.
type Ticket struct {
	ID             int64
	ConversationID string
	Channel        string // "telegram", "wechat", "http"
	Status         string // TicketOpen, TicketClaimed or TicketClosed
	Summary        string // redacted summary for the agent
	Code           string // normalised response code, if known
	Target         string // knowledge.TargetBank, TargetProvider or TargetNone
	CreatedAt      time.Time
	ClaimedBy      string
	ClaimedAt      time.Time
	LeaseUntil     time.Time
}

const ticketColumns = `id, conversation_id, channel, status, summary, code, target, created_at,
	coalesce(claimed_by, ''), claimed_at, lease_until`

// CreateTicket opens a ticket for t.ConversationID and returns it as stored.
// A conversation has at most one ticket that is not closed: if one exists,
// CreateTicket returns it unchanged, so a redelivered handoff does not open a
// second. ID, Status and the claim fields of t are ignored; a zero CreatedAt
// means now. The summary is redacted again before it is stored.
func (s *Store) CreateTicket(ctx context.Context, t Ticket) (Ticket, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var created *time.Time
	if !t.CreatedAt.IsZero() {
		created = &t.CreatedAt
	}
	// Two attempts: the existing ticket may be closed between the insert
	// that conflicts with it and the select that looks for it.
	for range 2 {
		got, err := scanTicket(s.pool.QueryRow(ctx, `
			INSERT INTO tickets (conversation_id, channel, summary, code, target, created_at)
			VALUES ($1, $2, $3, $4, $5, coalesce($6, now()))
			ON CONFLICT (conversation_id) WHERE status <> 'closed' DO NOTHING
			RETURNING `+ticketColumns,
			t.ConversationID, t.Channel, redact.Redact(t.Summary).Text, t.Code, t.Target, created))
		if err == nil {
			return got, nil
		}
		if !errors.Is(err, bot.ErrNotFound) {
			return Ticket{}, fmt.Errorf("create ticket: %w", err)
		}
		got, err = scanTicket(s.pool.QueryRow(ctx, `SELECT `+ticketColumns+` FROM tickets WHERE conversation_id = $1 AND status <> 'closed'`, t.ConversationID))
		if err == nil {
			return got, nil
		}
		if !errors.Is(err, bot.ErrNotFound) {
			return Ticket{}, fmt.Errorf("create ticket: %w", err)
		}
	}
	return Ticket{}, fmt.Errorf("create ticket for %s: conflicting concurrent changes", t.ConversationID)
}

// Ticket returns the ticket with the given id, or bot.ErrNotFound.
func (s *Store) Ticket(ctx context.Context, id int64) (Ticket, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	t, err := scanTicket(s.pool.QueryRow(ctx, `SELECT `+ticketColumns+` FROM tickets WHERE id = $1`, id))
	if err != nil {
		return Ticket{}, fmt.Errorf("ticket %d: %w", id, err)
	}
	return t, nil
}

func scanTicket(r pgx.Row) (Ticket, error) {
	var t Ticket
	var claimedAt, lease *time.Time
	err := r.Scan(&t.ID, &t.ConversationID, &t.Channel, &t.Status, &t.Summary, &t.Code, &t.Target,
		&t.CreatedAt, &t.ClaimedBy, &claimedAt, &lease)
	if errors.Is(err, pgx.ErrNoRows) {
		return Ticket{}, bot.ErrNotFound
	}
	if err != nil {
		return Ticket{}, err
	}
	if claimedAt != nil {
		t.ClaimedAt = *claimedAt
	}
	if lease != nil {
		t.LeaseUntil = *lease
	}
	return t, nil
}

// AppendTranscript appends turns to a conversation's transcript, in order.
// Turns should already be redacted (bot.State holds only redacted text); the
// text is redacted again anyway, since a transcript outlives the conversation.
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

// Transcript returns a conversation's transcript, oldest first; it is empty
// for an unknown conversation.
func (s *Store) Transcript(ctx context.Context, conversationID string) ([]bot.Turn, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT role, text, at FROM transcripts WHERE conversation_id = $1 ORDER BY seq`, conversationID)
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
