package metrics

import (
	"context"
	"time"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/channel"
)

// Engine answers one merchant message: channel.Handler, which *bot.Engine
// implements, and so does the decorator returned by Metrics.Engine.
type Engine = channel.Handler

// FullEngine is an Engine that also takes feedback and resets
// conversations, as chat channels need: channel.Engine.
type FullEngine = channel.Engine

// Engine returns e measured: every message counts by channel, its latency is
// observed, and its reply's confidence, kind, escalation target and writer
// are recorded. An error counts by kind (timeout, canceled or engine).
func (m *Metrics) Engine(e Engine) Engine {
	return measuredEngine{m: m, e: e}
}

// FullEngine returns e measured as Engine does; Feedback counts as a message
// of channel "feedback" and Reset passes through.
func (m *Metrics) FullEngine(e FullEngine) FullEngine {
	return measuredFullEngine{measuredEngine{m: m, e: e}, e}
}

type measuredEngine struct {
	m *Metrics
	e Engine
}

func (me measuredEngine) Handle(ctx context.Context, msg bot.Message) (bot.Reply, error) {
	return me.m.observe(msg.Channel, func() (bot.Reply, error) { return me.e.Handle(ctx, msg) })
}

type measuredFullEngine struct {
	measuredEngine
	full FullEngine
}

func (me measuredFullEngine) Feedback(ctx context.Context, conversationID string, solved bool) (bot.Reply, error) {
	return me.m.observe("feedback", func() (bot.Reply, error) { return me.full.Feedback(ctx, conversationID, solved) })
}

func (me measuredFullEngine) Reset(ctx context.Context, conversationID string) error {
	return me.full.Reset(ctx, conversationID)
}

// observe records one message of channel answered by handle.
func (m *Metrics) observe(channel string, handle func() (bot.Reply, error)) (bot.Reply, error) {
	ch := orNone(channel)
	m.messages.WithLabelValues(ch).Inc()
	start := time.Now()
	r, err := handle()
	m.latency.WithLabelValues(ch).Observe(time.Since(start).Seconds())
	if err != nil {
		kind := result(err)
		if kind == "error" {
			kind = "engine"
		}
		m.errors.WithLabelValues(kind).Inc()
		return r, err
	}
	kind := "answer"
	switch {
	case r.Handoff:
		kind = "handoff"
	case r.Clarify:
		kind = "clarify"
	}
	m.replies.WithLabelValues(kind, orNone(r.Target), orNone(r.Writer)).Inc()
	m.confidence.Observe(r.Confidence)
	return r, nil
}

// Writer returns w with its latency measured; a failed call also counts as an
// error of kind "model". A nil w gives nil, so "no model" stays no model.
func (m *Metrics) Writer(w bot.Writer) bot.Writer {
	if w == nil {
		return nil
	}
	return measuredWriter{m: m, w: w}
}

type measuredWriter struct {
	m *Metrics
	w bot.Writer
}

func (mw measuredWriter) Write(ctx context.Context, d bot.Draft) (string, error) {
	start := time.Now()
	s, err := mw.w.Write(ctx, d)
	mw.m.model.WithLabelValues(result(err)).Observe(time.Since(start).Seconds())
	if err != nil {
		mw.m.errors.WithLabelValues("model").Inc()
	}
	return s, err
}
