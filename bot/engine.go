// Package bot is posbot's channel-agnostic conversation engine: a merchant's
// message in, a reply out. It redacts card data, reads the response code and
// symptoms, retrieves the passages that explain them, asks one sharp question
// when the message is too vague, and writes the answer.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/redact"
	"github.com/posbot/posbot/retrieval"
	"github.com/posbot/posbot/understand"
)

// Config holds the Engine's parts. Base and Searcher are required.
type Config struct {
	Base     *knowledge.Base
	Searcher retrieval.Searcher
	// Sessions stores conversation state (in memory if nil).
	Sessions Sessions
	// Outcomes records 解决了/没解决 verdicts (in memory if nil).
	Outcomes Outcomes
	// Writer writes answers with a model; nil means template answers only.
	Writer Writer
	Logger *slog.Logger
	Now    func() time.Time
	// MinConfidence is the retrieval confidence below which a message without
	// a code counts as too vague to diagnose (0.35 if zero; chosen with the evaluation harness).
	MinConfidence float64
	// SureAt is the calibrated probability (retrieval.Calibrate) from which
	// a diagnosis is given as sure; below it the answer says plainly that it
	// is not sure (0.85 if zero: chosen with the evaluation harness so that
	// about one sure answer in twenty-five is about another topic).
	SureAt float64
	// MaxTextRunes caps what is read of one message (2000 if zero).
	MaxTextRunes int
	// Locker serialises the messages of one conversation, across replicas
	// when shared (an in-process MemoryLocker if nil).
	Locker Locker
	// Limiter rate-limits each conversation; nil means no limit.
	Limiter Limiter
	// Answers caches model-written answers; nil means no cache.
	Answers AnswerCache
	// MessageTimeout bounds the handling of one message (25 s if zero). It
	// must stay below a shared Locker's lease, so a lock is never held by a
	// message that outlived it.
	MessageTimeout time.Duration
}

// Engine answers merchants' messages. It is safe for concurrent use; messages
// of one conversation must be handed to it in order (channels serialise them).
type Engine struct {
	cfg      Config
	reader   *understand.Reader
	texts    knowledge.Texts
	wordings *wordings
	generic  func(string) string // the text without the lexicons' generic words
	log      *slog.Logger
}

// New returns an Engine.
func New(cfg Config) (*Engine, error) {
	if cfg.Base == nil || cfg.Searcher == nil {
		return nil, errors.New("bot: Base and Searcher are required")
	}
	if cfg.Sessions == nil {
		cfg.Sessions = &MemorySessions{}
	}
	if cfg.Outcomes == nil {
		cfg.Outcomes = &MemoryOutcomes{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MinConfidence == 0 {
		cfg.MinConfidence = 0.35
	}
	if cfg.SureAt == 0 {
		cfg.SureAt = 0.85
	}
	if cfg.MaxTextRunes == 0 {
		cfg.MaxTextRunes = 2000
	}
	if cfg.Locker == nil {
		cfg.Locker = &MemoryLocker{}
	}
	if cfg.MessageTimeout == 0 {
		cfg.MessageTimeout = 25 * time.Second
	}
	reader, err := understand.NewReader(cfg.Base)
	if err != nil {
		return nil, fmt.Errorf("bot: %w", err)
	}
	m := cfg.Base.Matcher()
	generic := func(s string) string {
		sc := m.Scan(s)
		var b strings.Builder
		last := 0
		for _, g := range sc.Generic() {
			b.WriteString(s[last:g[0]])
			last = g[1]
		}
		b.WriteString(s[last:])
		return b.String()
	}
	return &Engine{cfg: cfg, reader: reader, texts: cfg.Base.Texts(), wordings: newWordings(cfg.Base, generic), generic: generic, log: cfg.Logger}, nil
}

// historyTurns bounds the transcript kept in the conversation state.
const historyTurns = 20

// Handle answers one message. Card data in the message is masked before
// anything else happens, so no store, log, model or reply sees it. An error is
// returned only when the context is done; every other failure becomes a
// polite reply.
func (e *Engine) Handle(ctx context.Context, m Message) (Reply, error) {
	start := e.cfg.Now()
	text, red := e.read(m.Text)
	image, img := e.read(m.ImageText)
	in := input{
		intent: m.Intent,
		conv:   m.ConversationID,
		rd:     e.reader.Read(text, image),
		masked: red.Found() || img.Found(),
		long:   utf8.RuneCountInString(m.Text) > e.cfg.MaxTextRunes,
	}
	in.lang = in.rd.Lang

	key := "conv:" + m.ConversationID
	if e.cfg.Limiter != nil {
		ok, after, err := e.cfg.Limiter.Allow(ctx, key)
		switch {
		case err != nil:
			e.log.WarnContext(ctx, "rate limiter unavailable; not limiting", "conversation_id", m.ConversationID, "err", err)
		case !ok:
			e.log.InfoContext(ctx, "rate limited", "conversation_id", m.ConversationID, "retry_after_ms", after.Milliseconds())
			return e.rateLimited(in.lang, after), nil
		}
	}
	unlock, err := e.cfg.Locker.Lock(ctx, key)
	defer unlock()
	if err != nil {
		if ctx.Err() != nil {
			return Reply{}, ctx.Err()
		}
		e.log.WarnContext(ctx, "conversation lock unavailable; answering without it", "conversation_id", m.ConversationID, "err", err)
	}
	caller := ctx
	ctx, cancel := context.WithTimeout(ctx, e.cfg.MessageTimeout)
	defer cancel()

	st, err := e.cfg.Sessions.Get(ctx, m.ConversationID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		// The store is away: answer statelessly rather than not at all.
		e.log.WarnContext(ctx, "session store unavailable", "conversation_id", m.ConversationID, "err", err)
	}
	switch {
	case in.rd.Neutral && st.Facts.Language != "":
		// "code 55" or "51" says nothing of the language: keep the conversation's.
		in.lang = st.Facts.Language
	case in.rd.Text != "":
		st.Facts.Language = in.lang
	}

	r, err := e.respond(ctx, &st, in)
	if err != nil {
		if caller.Err() != nil {
			return Reply{}, caller.Err()
		}
		e.log.ErrorContext(ctx, "answer failed", "conversation_id", m.ConversationID, "err", err)
		r = e.simple(in.lang, "fallback")
	}
	if in.masked {
		r.CardDataMasked = true
		warning := e.texts.Get(in.lang, "card_warning")
		r.Answer = warning + "\n\n" + img.Scrub(red.Scrub(r.Answer))
		if r.Sections != nil {
			r.Sections.mapText(func(s string) string { return img.Scrub(red.Scrub(s)) })
			r.Sections.Before = append([]string{warning}, r.Sections.Before...)
		}
	}
	if in.long {
		notice := e.texts.Get(in.lang, "long_notice")
		r.Answer = notice + "\n\n" + r.Answer
		if r.Sections != nil {
			r.Sections.Before = append([]string{notice}, r.Sections.Before...)
		}
	}
	if r.Sources == nil {
		r.Sources = []Source{}
	}
	r.TextRedacted = red.Text

	now := e.cfg.Now()
	st.History = append(st.History,
		Turn{Role: "merchant", Text: strings.TrimSpace(in.rd.Text + " " + in.rd.Image), At: start},
		Turn{Role: "bot", Text: r.Answer, At: now})
	if len(st.History) > historyTurns {
		st.History = st.History[len(st.History)-historyTurns:]
	}
	st.UpdatedAt = now
	if err := e.cfg.Sessions.Put(ctx, m.ConversationID, st); err != nil {
		e.log.WarnContext(ctx, "session not saved", "conversation_id", m.ConversationID, "err", err)
	}
	e.log.InfoContext(ctx, "answered", "conversation_id", m.ConversationID, "channel", m.Channel,
		"code", r.Code, "target", r.Target, "clarify", r.Clarify, "handoff", r.Handoff,
		"confidence", r.Confidence, "writer", r.Writer, "latency_ms", float64(now.Sub(start).Microseconds())/1000)
	return r, nil
}

// read redacts s, normalises what is left (at most MaxTextRunes of it) and
// redacts again, so that no normalisation step can rebuild card data
// (full-width or circled digits, joined OCR spacing). It returns the text
// the engine reads and what was masked; the result's Text is the message as
// the merchant wrote it, masked, for display.
func (e *Engine) read(s string) (string, redact.Result) {
	first := redact.Redact(s)
	second := redact.Redact(e.reader.Normalize(truncate(first.Text, e.cfg.MaxTextRunes)))
	r := first.Then(second)
	if second.Found() {
		// The second pass found what the first did not: show the
		// normalised text, where it is masked.
		r.Text = second.Text
	} else {
		r.Text = first.Text
	}
	return second.Text, r
}

// input is one message after redaction and normalisation.
type input struct {
	intent Intent
	conv   string
	rd     understand.Reading
	lang   string
	masked bool
	long   bool
}

func (in input) all() string { return in.rd.All() }

// Feedback records the merchant's verdict on the last answer (解决了 / 没解决)
// and replies: thanks, or the next most likely cause with a way to a human.
func (e *Engine) Feedback(ctx context.Context, conversationID string, solved bool) (Reply, error) {
	intent := IntentUnsolved
	if solved {
		intent = IntentSolved
	}
	return e.Handle(ctx, Message{ConversationID: conversationID, Channel: "feedback", Intent: intent})
}

// Reset forgets a conversation.
func (e *Engine) Reset(ctx context.Context, conversationID string) error {
	if err := e.cfg.Sessions.Delete(ctx, conversationID); err != nil {
		return fmt.Errorf("reset conversation: %w", err)
	}
	return nil
}

// State returns the stored state of a conversation (for handoff summaries).
func (e *Engine) State(ctx context.Context, conversationID string) (State, error) {
	return e.cfg.Sessions.Get(ctx, conversationID)
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
