package handoff_test

import (
	"context"
	"testing"

	"github.com/posbot/posbot/bot"
)

// canned answers every message at once, so a benchmark measures the gate.
type canned struct{ *bot.Engine }

func (canned) Handle(context.Context, bot.Message) (bot.Reply, error) {
	return bot.Reply{Answer: "51 余额不足", Code: "51", Target: "bank"}, nil
}

// BenchmarkGate measures what the gate adds to a message, in memory: with
// no ticket open (one lease lookup, then the engine, here a canned one),
// and relayed to the person who owns the conversation (lease, ticket,
// redaction, transcript, desk; no engine).
func BenchmarkGate(b *testing.B) {
	ctx := context.Background()
	r := newRig(&testing.T{}, "", nil)
	r.gate = r.svc.Gate(canned{r.engine}, r.engine)
	b.Run("no ticket", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.gate.Handle(ctx, bot.Message{ConversationID: "tg:1", Channel: "telegram", Text: "刷卡显示交易失败51"}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("relayed to a person", func(b *testing.B) {
		const conv = "tg:held"
		r.gate = r.svc.Gate(r.engine, r.engine)
		if _, err := r.gate.Handle(ctx, bot.Message{ConversationID: conv, Channel: "telegram", Intent: bot.IntentHuman}); err != nil {
			b.Fatal(err)
		}
		if _, err := r.svc.Claim(ctx, 1, "alice", "bench"); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			rep, err := r.gate.Handle(ctx, bot.Message{ConversationID: conv, Channel: "telegram", Text: "参考号 123456789012"})
			if err != nil || !rep.Silent {
				b.Fatal(rep, err)
			}
		}
	})
}
