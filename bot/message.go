package bot

import "github.com/posbot/posbot/retrieval"

// Message is one incoming merchant message, as a channel hands it to the Engine.
type Message struct {
	// ConversationID identifies the conversation ("tg:12345", "http:abc").
	ConversationID string
	// Channel names where it came from ("telegram", "http", "cli", "eval").
	Channel string
	// Text is what the merchant typed (or a button's option text). It may hold
	// raw card data: the Engine redacts it before anything else sees it.
	Text string
	// ImageText is text read from a screenshot by OCR, if any.
	ImageText string
	// Intent is what a button or command said, typed, so that it is never
	// parsed from text: IntentHuman for /human and the 转人工 button,
	// IntentSolved and IntentUnsolved for 解决了 / 没解决. The zero value
	// means "read the text".
	Intent Intent
}

// Intent is a merchant's intent given by a button or a command.
type Intent string

// The intents a channel may pass with a Message.
const (
	IntentNone     Intent = ""
	IntentHuman    Intent = "human"
	IntentSolved   Intent = "solved"
	IntentUnsolved Intent = "unsolved"
)

// Source is one knowledge passage an answer is built on.
type Source struct {
	ID    string  `json:"id"`
	Title string  `json:"title"`
	Score float64 `json:"score"`
}

// Reply is the Engine's answer to one Message. Its JSON form is the contract of
// `posbot ask --json` and POST /v1/messages.
type Reply struct {
	// Answer is the full reply text shown to the merchant.
	Answer string `json:"answer"`
	// Code is the normalised response code found in the conversation, "" if none.
	Code string `json:"code"`
	// CodeMeaning is the code's standard meaning in one line, "" if no code.
	CodeMeaning string `json:"code_meaning"`
	// Target is the escalation target: "bank", "provider" or "none".
	Target string `json:"target"`
	// Clarify is true when the reply mainly asks for missing facts.
	Clarify bool `json:"clarify"`
	// Handoff is true when the reply hands the conversation to a human:
	// a channel opens a ticket and the bot stays silent while a person
	// owns the conversation.
	Handoff bool `json:"handoff"`
	// Sources are the passages the answer rests on, best first.
	Sources []Source `json:"sources"`
	// Sections is a diagnostic answer laid out in parts (what it means,
	// steps, whom to contact, what not to do, sources) for clients that show
	// them apart; nil for a reply that is not a diagnosis (a question, a
	// handoff, an acknowledgement).
	Sections *Sections `json:"sections,omitempty"`

	// Options are short answers to a clarifying question, for buttons.
	Options []string `json:"options,omitempty"`
	// Confidence is the retrieval confidence in [0,1].
	Confidence float64 `json:"confidence"`
	// CardDataMasked is true when the message carried card data that was masked.
	CardDataMasked bool `json:"card_data_masked,omitempty"`
	// Writer names what wrote the answer: "template" or "model".
	Writer string `json:"writer,omitempty"`
	// Escalate is true when the bot answered but a person must also take
	// the case (suspected fraud, a frozen merchant account, money debited
	// while the sale failed): a channel opens a ticket, the bot keeps
	// answering until a person claims it.
	Escalate bool `json:"escalate,omitempty"`
	// Reason says why the reply hands over or escalates: "asked",
	// "not_solved", "unsure", "fraud", "frozen", "debited"; "" otherwise.
	Reason string `json:"reason,omitempty"`
	// Evidence is what the confidence of a diagnosis rests on (zero for
	// codes, questions and courtesies); for the evaluation harness, not
	// shown to clients.
	Evidence retrieval.Evidence `json:"-"`
	// Silent is true when nothing is to be sent to the merchant: a person
	// owns the conversation and the message went to them instead. Channels
	// send nothing for a silent reply; the HTTP API returns it, Answer then
	// being a short status line for the page.
	Silent bool `json:"silent,omitempty"`
	// TextRedacted is the merchant's message as the engine keeps it, card
	// data masked: what a client shows in the merchant's own bubble instead
	// of what was typed.
	TextRedacted string `json:"text_redacted,omitempty"`
}
