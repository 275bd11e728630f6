package bridge_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/bot/bottest"
	"github.com/posbot/posbot/bridge"
	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/redisstore/redistest"
)

// stuck is an engine that never answers: its messages are still under way
// when the replica stops.
type stuck struct{ channel.Engine }

func (stuck) Handle(ctx context.Context, _ bot.Message) (bot.Reply, error) {
	<-ctx.Done()
	return bot.Reply{}, ctx.Err()
}

// TestSharedInboxHandsOver: a replica accepts bridged messages (202, the
// answers to come to the callback URL) and stops before answering them;
// another replica on the same Redis answers every one, each conversation's
// in order.
func TestSharedInboxHandsOver(t *testing.T) {
	t.Parallel()
	rc := redistest.Client(t, "bridge")
	cb := newCallbacks(t)
	replica := func(e channel.Engine) (url string, stop func()) {
		b, err := bridge.New(bridge.Config{Secret: secret, CallbackURL: cb.URL, Wait: 50 * time.Millisecond,
			ShutdownGrace: 300 * time.Millisecond}, e,
			bridge.Deps{Logger: slog.New(slog.DiscardHandler), Inbox: rc.Inbox("bridge", 0)})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(b.Handler())
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = b.Run(ctx) }()
		stop = func() { srv.Close(); cancel(); <-done }
		t.Cleanup(func() {
			select {
			case <-done:
			default:
				stop()
			}
		})
		return srv.URL, stop
	}
	urlA, stopA := replica(stuck{})
	convs, codes := []string{"c1", "c2", "c3"}, []string{"51", "14"}
	for _, code := range codes {
		for _, c := range convs {
			if st, a := post(t, urlA, secret, time.Now(), msg(c, c+"-"+code, "刷卡显示交易失败"+code)); st != 202 || a.Status != "pending" {
				t.Fatalf("replica A: %d %+v", st, a)
			}
		}
	}
	start := time.Now()
	stopA()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("replica A took %v to stop with a 300 ms drain bound", d)
	}
	replica(bottest.Engine(t))
	got := map[string][]string{}
	code := regexp.MustCompile(`【应答码 (\w+)】`)
	for range len(convs) * len(codes) {
		o := cb.next(t)
		if o.Kind != "reply" || len(o.Messages) != 1 {
			t.Fatalf("callback %+v", o)
		}
		m := code.FindStringSubmatch(o.Messages[0])
		if m == nil {
			t.Fatalf("answer without a code: %q", o.Messages[0])
		}
		got[o.ConversationID] = append(got[o.ConversationID], m[1])
	}
	for _, c := range convs {
		if !slices.Equal(got[c], codes) {
			t.Errorf("%s answered %v, want %v", c, got[c], codes)
		}
	}
}
