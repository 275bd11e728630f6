// Package handoff hands a conversation to a person. A ticket opens when the
// engine says so (the merchant asked for a person, the steps did not help,
// the bot is unsure, or the case is one the bot must not handle alone); it
// is announced to the desks where agents work (a Telegram group, the HTTP
// agent API), claimed, replied to and closed. While a person owns the
// conversation the bot stays silent and the merchant's messages go to the
// agent; the agent's replies reach the merchant on the merchant's channel
// through a Sender.
//
// Gate is the decorator channels call instead of the engine; Service is
// what desks and the agent API call. A channel whose own platform hands
// conversations to people (Chatwoot) calls the engine itself and keeps the
// tickets in step with Service.Record, Hold and Handback. Tickets and transcripts live in
// PostgreSQL when configured (pgstore), the lease that says who owns a
// conversation in Redis (redisstore), and in memory otherwise.
package handoff

import (
	"context"
	"errors"
	"time"

	"github.com/posbot/posbot/bot"
)

// Ticket statuses.
const (
	StatusOpen    = "open"    // waiting for a person
	StatusClaimed = "claimed" // a person took it
	StatusClosed  = "closed"  // done
)

// Ticket priorities.
const (
	PriorityUrgent = "urgent" // suspected fraud
	PriorityHigh   = "high"   // money debited but the sale failed, a frozen merchant account
	PriorityNormal = "normal"
)

// Reasons a ticket opens, as the engine gives them in bot.Reply.Reason.
const (
	ReasonAsked     = "asked"      // the merchant asked for a person
	ReasonNotSolved = "not_solved" // the steps did not help
	ReasonUnsure    = "unsure"     // several turns without a confident diagnosis
	ReasonFraud     = "fraud"      // suspected fraud
	ReasonFrozen    = "frozen"     // a frozen merchant account
	ReasonDebited   = "debited"    // money debited but the sale failed
)

// ErrNotFound is returned for an unknown ticket or conversation; it is
// bot.ErrNotFound, so stores share one sentinel.
var ErrNotFound = bot.ErrNotFound

// Errors of ticket transitions.
var (
	ErrClosed  = errors.New("handoff: ticket is closed")
	ErrClaimed = errors.New("handoff: ticket is claimed by another agent")
)

// Ticket is a conversation handed to a person. Everything in it is
// redacted; card numbers show at most their last four digits. Times are
// zero when unset. Summary, Considered and Steps are for agents only and
// never reach the merchant.
type Ticket struct {
	ID             int64  `json:"id"`
	ConversationID string `json:"conversation_id"`
	// Channel is where the merchant is: "telegram", "http", "wechat",
	// "bridge", "chatwoot".
	Channel  string `json:"channel"`
	Status   string `json:"status"`
	Reason   string `json:"reason"`
	Priority string `json:"priority"`
	// Target is the escalation target: "bank", "provider" or "none".
	Target string `json:"target"`
	// Code is the normalised response code, "" if none.
	Code    string `json:"code"`
	Summary string `json:"summary"`
	// Lang is the merchant's language, "zh" or "en".
	Lang string `json:"lang"`
	// Supplied is what the merchant told us that an agent needs.
	Supplied Supplied `json:"supplied"`
	// Considered are the causes the bot considered, best first.
	Considered []string `json:"considered,omitempty"`
	// Steps are the steps the bot already gave.
	Steps []string `json:"steps,omitempty"`
	// Packet is the escalation text the merchant was given, "" if none.
	Packet string `json:"packet,omitempty"`

	CreatedAt time.Time `json:"created_at"`
	// AnnouncedAt is when the desks were last told about the ticket.
	AnnouncedAt time.Time `json:"announced_at,omitzero"`
	ClaimedBy   string    `json:"claimed_by,omitempty"`
	ClaimedAt   time.Time `json:"claimed_at,omitzero"`
	// LeaseUntil is when the bot may answer again: until then a person (the
	// agent who claimed it, or the queue the merchant asked to join) owns
	// the conversation. Zero means the bot answers.
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	ClosedAt   time.Time `json:"closed_at,omitzero"`
	ClosedBy   string    `json:"closed_by,omitempty"`
	// DeskRefs are the desks' own references to the ticket (the Telegram
	// message that announced it), by desk name.
	DeskRefs map[string]string `json:"-"`
}

// Active reports whether the ticket is not closed.
func (t Ticket) Active() bool { return t.Status == StatusOpen || t.Status == StatusClaimed }

// Supplied is what a merchant supplied that an agent or a provider needs.
// Empty fields were not given.
type Supplied struct {
	MerchantNo string `json:"merchant_no,omitempty"` // 商户号
	TerminalNo string `json:"terminal_no,omitempty"` // 终端号
	RefNo      string `json:"ref_no,omitempty"`      // 参考号
	Time       string `json:"time,omitempty"`        // when the sale failed, as the merchant said it
	Amount     string `json:"amount,omitempty"`
	CardLast4  string `json:"card_last4,omitempty"` // never more of a card number
}

// Tickets stores tickets. A conversation has at most one active (open or
// claimed) ticket. Implementations are safe for concurrent use and return
// ErrNotFound for an unknown ticket.
type Tickets interface {
	// Create stores t as a new open ticket and returns it with its ID and
	// created true, unless the conversation has an active ticket: then it
	// returns that one, unchanged, with created false. A zero CreatedAt
	// means now.
	Create(ctx context.Context, t Ticket) (stored Ticket, created bool, err error)
	// Ticket returns the ticket with the given id.
	Ticket(ctx context.Context, id int64) (Ticket, error)
	// Active returns the active tickets, oldest first.
	Active(ctx context.Context) ([]Ticket, error)
	// Update changes a ticket atomically: change sees the stored ticket and
	// edits it; an error from change leaves the ticket as it was and is
	// returned. Among concurrent updates of one ticket (on any replica) each
	// change sees the result of the one before. ID, ConversationID and
	// CreatedAt cannot change.
	Update(ctx context.Context, id int64, change func(*Ticket) error) (Ticket, error)
}

// Transcripts stores the redacted transcript of conversations handed to a
// person. Implementations are safe for concurrent use.
type Transcripts interface {
	// AppendTranscript appends turns to a conversation's transcript, in order.
	AppendTranscript(ctx context.Context, conversationID string, turns ...bot.Turn) error
	// Transcript returns a conversation's transcript, oldest first; empty
	// for an unknown conversation.
	Transcript(ctx context.Context, conversationID string) ([]bot.Turn, error)
}

// Lease is a conversation's handoff state as every replica reads it on
// each message: the active ticket, who claimed it, and until when the bot
// stays silent.
type Lease struct {
	TicketID int64 `json:"ticket_id"`
	// Agent claimed the ticket; "" while it waits in the queue.
	Agent string `json:"agent,omitempty"`
	// Until is when the bot may answer again; zero means it answers now.
	Until time.Time `json:"until,omitzero"`
	// Lang is the merchant's language, for the status lines.
	Lang string `json:"lang,omitempty"`
}

// Held reports whether the bot must stay silent at now.
func (l Lease) Held(now time.Time) bool { return now.Before(l.Until) }

// Leases stores each conversation's Lease, shared by every replica when
// shared (Redis). Implementations are safe for concurrent use.
type Leases interface {
	// Lease returns the conversation's lease, or ErrNotFound.
	Lease(ctx context.Context, conversationID string) (Lease, error)
	// PutLease sets the conversation's lease.
	PutLease(ctx context.Context, conversationID string, l Lease) error
	// DropLease removes the conversation's lease if it is still the one of
	// ticket ticketID; dropping a missing lease is not an error.
	DropLease(ctx context.Context, conversationID string, ticketID int64) error
}

// EventKind says what happened to a ticket.
type EventKind string

// What a desk is told.
const (
	EventOpened   EventKind = "opened"   // a new ticket: announce it
	EventReminder EventKind = "reminder" // still unclaimed after POSBOT_HANDOFF_REMIND_AFTER
	EventClaimed  EventKind = "claimed"
	EventMerchant EventKind = "merchant" // the merchant wrote (Text)
	EventAgent    EventKind = "agent"    // an agent replied (Text), on another desk
	EventReleased EventKind = "released" // the lease lapsed: back in the queue, the bot answers
	EventClosed   EventKind = "closed"
)

// Event is what happened to a ticket, as a desk is told.
type Event struct {
	Kind EventKind
	// Text is the merchant's or the agent's message, redacted.
	Text string
	// Agent is who claimed, replied or closed.
	Agent string
}

// Desk is where agents work on tickets: the Telegram group.
// Service posts every event of every ticket to each desk; a desk acts on
// tickets by calling Service (Claim, Reply, Close). Implementations are safe
// for concurrent use.
type Desk interface {
	// Name identifies the desk ("telegram"); it keys Ticket.DeskRefs.
	Name() string
	// Post tells the desk about e. For EventOpened it returns the desk's
	// reference to the ticket (its message or conversation id), which
	// Service keeps in Ticket.DeskRefs for later posts; otherwise "".
	Post(ctx context.Context, t Ticket, e Event) (ref string, err error)
}

// Notice kinds: what a Notice tells the merchant.
const (
	NoticeAgent   = "agent"   // a message from the agent
	NoticeTaken   = "taken"   // a person took the case
	NoticeResumed = "resumed" // no person answered in time: the bot answers again
	NoticeClosed  = "closed"  // the person closed the case: the bot answers again
)

// Notice is a message to a merchant outside a reply.
type Notice struct {
	Kind     string `json:"kind"`
	Text     string `json:"text"` // what the merchant reads, in their language
	TicketID int64  `json:"ticket_id"`
}

// Sender writes to a merchant at any time, not only as the reply to a
// request: one per channel, keyed by channel name in Config.Senders.
// Implementations are safe for concurrent use.
type Sender interface {
	Send(ctx context.Context, conversationID string, n Notice) error
}
