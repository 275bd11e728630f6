package redisstore

import (
	"context"
	"encoding/json"
	"regexp"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/posbot/posbot/channel"
)

// feedPoll is how often a subscriber reads its stream even without a
// doorbell, in case one was lost while pub/sub reconnected.
const feedPoll = 10 * time.Second

var _ channel.Feed = (*Feed)(nil)

// streamID is the form of a Redis stream entry id.
var streamID = regexp.MustCompile(`^[0-9]{1,20}-[0-9]{1,20}$`)

// Feed is a channel.Feed shared by every replica. Each conversation's events
// are a stream, "<prefix>feed:<conversation id>", capped at about
// channel.FeedKeep entries and expiring channel.FeedTTL after the last one;
// a publish rings a doorbell on the pub/sub channel "<prefix>feed", and the
// replica holding the conversation's subscribers reads the stream. Event ids
// are stream ids. It is safe for concurrent use.
type Feed struct {
	c *Client

	once  sync.Once
	mu    sync.Mutex
	bells map[string]map[chan struct{}]struct{}
}

// Feed returns the feed.
func (c *Client) Feed() *Feed { return &Feed{c: c, bells: map[string]map[chan struct{}]struct{}{}} }

func (f *Feed) doorbell() string { return f.c.prefix + "feed" }

// Publish implements channel.Feed.
func (f *Feed) Publish(ctx context.Context, conv string, e channel.Event) error {
	e.ID = ""
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	k := f.c.key("feed", conv)
	return f.c.call(ctx, "feed", "publish", func(ctx context.Context) error {
		_, err := f.c.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.XAdd(ctx, &redis.XAddArgs{Stream: k, MaxLen: channel.FeedKeep, Approx: true, Values: []any{"event", b}})
			p.Expire(ctx, k, channel.FeedTTL)
			p.Publish(ctx, f.doorbell(), conv)
			return nil
		})
		return err
	})
}

// Subscribe implements channel.Feed.
func (f *Feed) Subscribe(ctx context.Context, conv, after string) (<-chan channel.Event, error) {
	f.once.Do(f.listen)
	k := f.c.key("feed", conv)
	switch {
	case after == "0":
		after = "0-0"
	case !streamID.MatchString(after): // "" or not ours: only new events
		after = "0-0"
		var last []redis.XMessage
		err := f.c.call(ctx, "feed", "last", func(ctx context.Context) (err error) {
			last, err = f.c.rdb.XRevRangeN(ctx, k, "+", "-", 1).Result()
			return err
		})
		if err != nil {
			return nil, err
		}
		if len(last) > 0 {
			after = last[0].ID
		}
	}
	bell := make(chan struct{}, 1)
	f.mu.Lock()
	if f.bells[conv] == nil {
		f.bells[conv] = map[chan struct{}]struct{}{}
	}
	f.bells[conv][bell] = struct{}{}
	f.mu.Unlock()
	out := make(chan channel.Event)
	go func() {
		defer close(out)
		defer f.forget(conv, bell)
		poll := time.NewTicker(feedPoll)
		defer poll.Stop()
		for {
			var msgs []redis.XMessage
			err := f.c.call(ctx, "feed", "read", func(ctx context.Context) (err error) {
				msgs, err = f.c.rdb.XRangeN(ctx, k, "("+after, "+", 100).Result()
				return err
			})
			if err == nil {
				for _, m := range msgs {
					var e channel.Event
					if s, ok := m.Values["event"].(string); ok && json.Unmarshal([]byte(s), &e) == nil {
						e.ID = m.ID
						select {
						case out <- e:
						case <-ctx.Done():
							return
						}
					}
					after = m.ID
				}
				if len(msgs) == 100 {
					continue
				}
			}
			select {
			case <-bell:
			case <-poll.C:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

func (f *Feed) forget(conv string, bell chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.bells[conv], bell)
	if len(f.bells[conv]) == 0 {
		delete(f.bells, conv)
	}
}

// listen subscribes to the doorbell once, and rings the local subscribers
// of each conversation published to, until the Client closes.
func (f *Feed) listen() {
	sub := f.c.rdb.Subscribe(context.Background(), f.doorbell())
	// Wait for the subscription, so a publish right after Subscribe rings;
	// if Redis is away, the poll covers until pub/sub reconnects by itself.
	ctx, cancel := context.WithTimeout(context.Background(), pingTimeout)
	_, _ = sub.Receive(ctx)
	cancel()
	f.c.onClose(func() { sub.Close() })
	go func() {
		defer sub.Close()
		for m := range sub.Channel() {
			f.mu.Lock()
			for bell := range f.bells[m.Payload] {
				select {
				case bell <- struct{}{}:
				default: // a ring is pending already
				}
			}
			f.mu.Unlock()
		}
	}()
}
