package wechat_test

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
	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/redisstore/redistest"
	"github.com/posbot/posbot/wechat"
)

// stuck is an engine that never answers: its messages are still under way
// when the replica stops.
type stuck struct{ channel.Engine }

func (stuck) Handle(ctx context.Context, _ bot.Message) (bot.Reply, error) {
	<-ctx.Done()
	return bot.Reply{}, ctx.Err()
}

// TestSharedInboxHandsOver: a replica acknowledges merchants' messages
// ("success": the answers are to be pushed) and stops before answering
// them; another replica on the same Redis pushes every answer, each
// merchant's in order.
func TestSharedInboxHandsOver(t *testing.T) {
	t.Parallel()
	rc := redistest.Client(t, "wechat")
	api := newFakeAPI(t)
	replica := func(e channel.Engine) (wx *wechatServer, stop func()) {
		a, err := wechat.New(wechat.Config{Token: token, AppID: appID, AppSecret: appSecret, APIURL: api.URL,
			PassiveWait: 50 * time.Millisecond, ShutdownGrace: 300 * time.Millisecond}, e,
			wechat.Deps{Logger: slog.New(slog.DiscardHandler), Inbox: rc.Inbox("wx:"+appID, 0)})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(a.Handler())
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = a.Run(ctx) }()
		stop = func() { srv.Close(); cancel(); <-done }
		t.Cleanup(func() {
			select {
			case <-done:
			default:
				stop()
			}
		})
		return &wechatServer{url: srv.URL}, stop
	}
	wxA, stopA := replica(stuck{})
	merchants, codes := []string{"o-m1", "o-m2", "o-m3"}, []string{"51", "14"}
	id := int64(100)
	for _, code := range codes {
		for _, m := range merchants {
			id++
			if st, body := wxA.send(t, textXML(m, id, "刷卡显示交易失败"+code)); st != 200 || body != "success" {
				t.Fatalf("replica A: %d %q", st, body)
			}
		}
	}
	start := time.Now()
	stopA()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("replica A took %v to stop with a 300 ms drain bound", d)
	}
	replica(bottest.Engine(t))
	code := regexp.MustCompile(`【应答码 (\w+)】`)
	for _, m := range merchants {
		var got []string
		for n := len(codes); len(got) < len(codes); n++ { // an answer may come in several messages
			got = nil
			for _, s := range api.messages(t, m, n) {
				if c := code.FindStringSubmatch(s); c != nil {
					got = append(got, c[1])
				}
			}
		}
		if !slices.Equal(got, codes) {
			t.Errorf("%s was pushed %v, want %v", m, got, codes)
		}
	}
}
