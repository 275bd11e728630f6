package redisstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/posbot/posbot/channel"
)

// TestInboxHandover runs two channel.Inbox pumps, two replicas, on one
// Redis: messages of each conversation are put on either, round-robin; one
// replica stops in the middle. Every message is answered once, and each
// conversation's in the order they were put, wherever they landed.
func TestInboxHandover(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ca, cb, _ := b.open(t)
			var mu sync.Mutex
			var log []string // key/message, in the order answered
			answered := make(chan struct{}, 1000)
			handler := func(ctx context.Context, key string, p []byte) {
				time.Sleep(5 * time.Millisecond)
				mu.Lock()
				log = append(log, key+"/"+string(p))
				mu.Unlock()
				answered <- struct{}{}
			}
			cfg := func(c *Client) channel.InboxConfig {
				return channel.InboxConfig{Store: c.Inbox("tg:9", 5*time.Second), Workers: 3,
					Drain: 2 * time.Second, Poll: 20 * time.Millisecond}
			}
			qa, qb := channel.NewInbox(cfg(ca), handler), channel.NewInbox(cfg(cb), handler)
			actx, stopA := context.WithCancel(context.Background())
			bctx, stopB := context.WithCancel(context.Background())
			aDone, bDone := make(chan struct{}), make(chan struct{})
			go func() { qa.Run(actx); close(aDone) }()
			go func() { qb.Run(bctx); close(bDone) }()
			defer func() { stopA(); stopB(); <-aDone; <-bDone }()

			const convs, msgs = 8, 12
			for i := range msgs {
				for c := range convs {
					q := []*channel.Inbox{qa, qb}[(i+c)%2]
					if i == msgs/2 && c == 0 {
						stopA() // the replica stops with messages waiting
					}
					if err := q.Put(context.Background(), fmt.Sprint("c", c), []byte(fmt.Sprint(i))); err != nil {
						// Refused by a stopping replica: delivered again to the other.
						if err := qb.Put(context.Background(), fmt.Sprint("c", c), []byte(fmt.Sprint(i))); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			select {
			case <-aDone:
			case <-time.After(10 * time.Second):
				t.Fatal("the stopped replica did not return")
			}
			for range convs * msgs {
				select {
				case <-answered:
				case <-time.After(20 * time.Second):
					t.Fatalf("answered %d of %d", len(log), convs*msgs)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			for c := range convs {
				var got []string
				for _, l := range log {
					if k, m, _ := strings.Cut(l, "/"); k == fmt.Sprint("c", c) {
						got = append(got, m)
					}
				}
				want := make([]string, msgs)
				for i := range want {
					want[i] = fmt.Sprint(i)
				}
				if !slices.Equal(got, want) {
					t.Errorf("c%d answered %v", c, got)
				}
			}
		})
	}
}
