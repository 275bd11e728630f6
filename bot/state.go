package bot

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned by stores when a key does not exist.
var ErrNotFound = errors.New("not found")

// State is what the Engine remembers about one conversation between messages.
// It holds only redacted text. It is serialised as JSON by shared stores.
type State struct {
	// Pending is the clarifying question awaiting an answer, if any.
	Pending *Question `json:"pending,omitempty"`
	// Facts are what the merchant has told us so far.
	Facts Facts `json:"facts"`
	// LastIDs are the passages of the last diagnostic answer, best first.
	LastIDs []string `json:"last_ids,omitempty"`
	// Tried are passages already offered, so 没解决 can move to the next cause.
	Tried []string `json:"tried,omitempty"`
	// History is the redacted transcript, bounded to the last few turns.
	History []Turn `json:"history,omitempty"`
	// Asked is true once the triage question was asked: it is asked once.
	Asked bool `json:"asked,omitempty"`
	// Handoff is true once the conversation was handed to a human.
	Handoff bool `json:"handoff,omitempty"`
	// Unsolved counts 没解决 in the current diagnosis.
	Unsolved int `json:"unsolved,omitempty"`
	// Unsure counts turns in a row without a confident diagnosis.
	Unsure int `json:"unsure,omitempty"`
	// UpdatedAt is when the state last changed.
	UpdatedAt time.Time `json:"updated_at"`
}

// Facts are the diagnostic facts gathered in a conversation.
type Facts struct {
	Code        string `json:"code,omitempty"`         // normalised response code
	Scope       string `json:"scope,omitempty"`        // "one" (one card fails) or "all" (every card fails)
	Signal      string `json:"signal,omitempty"`       // "ok" or "none"
	NewTerminal bool   `json:"new_terminal,omitempty"` // the terminal is new or just replaced
	Language    string `json:"language,omitempty"`     // "zh" or "en"
}

// Question is a clarifying question with short options.
type Question struct {
	Kind    string   `json:"kind"`
	Options []string `json:"options"`
	// IDs are the passages the options stand for, when the question
	// offers candidates ("is it A or B?").
	IDs []string `json:"ids,omitempty"`
}

// Turn is one redacted message of the transcript.
type Turn struct {
	Role string    `json:"role"` // "merchant" or "bot"
	Text string    `json:"text"`
	At   time.Time `json:"at"`
}

// Sessions stores conversation state. Implementations are safe for concurrent use.
// Get returns ErrNotFound for an unknown or expired conversation.
type Sessions interface {
	Get(ctx context.Context, id string) (State, error)
	Put(ctx context.Context, id string, s State) error
	Delete(ctx context.Context, id string) error
}

// Outcome is a merchant's verdict on one answer: did the steps help?
type Outcome struct {
	ConversationID string    `json:"conversation_id"`
	PassageID      string    `json:"passage_id"`
	Solved         bool      `json:"solved"`
	At             time.Time `json:"at"`
}

// Outcomes records answer outcomes, per conversation and per passage.
type Outcomes interface {
	Record(ctx context.Context, o Outcome) error
}
