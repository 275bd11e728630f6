package channel

import (
	"context"
	"strconv"
	"sync"
	"time"
)

// Event is one message pushed to a client outside a reply (an agent's
// message, a status change), as a web chat page receives it.
type Event struct {
	// ID is the event's position in its conversation's feed, opaque to
	// clients, who send it back (Last-Event-ID) to resume after it.
	ID string `json:"id"`
	// Kind says what it is: "agent", "taken", "resumed", "closed".
	Kind string `json:"kind"`
	// Text is what the merchant reads.
	Text string `json:"text"`
	// TicketID is the ticket the event is about, 0 if none.
	TicketID int64 `json:"ticket_id,omitempty"`
}

// Feed carries events to the clients of conversations that are connected
// to some replica, such as a web chat page holding a server-sent events
// stream. MemoryFeed serves one process; redisstore.Feed reaches the
// replica that holds the connection. Implementations are safe for
// concurrent use.
type Feed interface {
	// Publish appends e (its ID is set by the feed) to the conversation's
	// feed and wakes its subscribers wherever they are.
	Publish(ctx context.Context, conversationID string, e Event) error
	// Subscribe delivers the conversation's events that come after the one
	// with id after (every kept one for "0", only new ones for ""), in
	// order, then new ones as they come, until ctx is done; then it closes
	// the channel.
	Subscribe(ctx context.Context, conversationID, after string) (<-chan Event, error)
}

// Bounds of MemoryFeed.
const (
	// FeedKeep is how many of a conversation's newest events a feed keeps
	// for clients that reconnect.
	FeedKeep = 100
	// FeedTTL is how long a feed keeps a quiet conversation's events.
	FeedTTL = 24 * time.Hour
	// feedMaxConversations bounds the conversations MemoryFeed holds.
	feedMaxConversations = 10_000
)

var _ Feed = (*MemoryFeed)(nil)

// MemoryFeed is a Feed for one process: it keeps each conversation's newest
// FeedKeep events for FeedTTL, and at most 10,000 conversations (the
// quietest forgotten first). Its zero value is ready to use.
type MemoryFeed struct {
	Now func() time.Time // nil means time.Now

	mu    sync.Mutex
	seq   int64 // the last id given, across conversations, so ids are never reused
	convs map[string]*feedLog
}

type feedLog struct {
	events []Event
	at     time.Time // last publish
	bell   chan struct{}
}

func (m *MemoryFeed) log(conv string, now time.Time) *feedLog {
	if m.convs == nil {
		m.convs = map[string]*feedLog{}
	}
	l := m.convs[conv]
	switch {
	case l == nil:
		if len(m.convs) >= feedMaxConversations {
			m.evict()
		}
		l = &feedLog{bell: make(chan struct{}), at: now}
		m.convs[conv] = l
	case now.Sub(l.at) > FeedTTL:
		l.events = nil
	}
	return l
}

// evict forgets the conversation published to longest ago, waking its
// subscribers so they move to its next log.
func (m *MemoryFeed) evict() {
	var oldest string
	var at time.Time
	for k, l := range m.convs {
		if oldest == "" || l.at.Before(at) {
			oldest, at = k, l.at
		}
	}
	close(m.convs[oldest].bell)
	delete(m.convs, oldest)
}

// Publish implements Feed.
func (m *MemoryFeed) Publish(_ context.Context, conv string, e Event) error {
	now := nowOr(m.Now)
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.log(conv, now)
	m.seq++
	e.ID = strconv.FormatInt(m.seq, 10)
	l.events = append(l.events, e)
	if len(l.events) > FeedKeep {
		l.events = append([]Event(nil), l.events[len(l.events)-FeedKeep:]...)
	}
	l.at = now
	close(l.bell)
	l.bell = make(chan struct{})
	return nil
}

// Subscribe implements Feed.
func (m *MemoryFeed) Subscribe(ctx context.Context, conv, after string) (<-chan Event, error) {
	m.mu.Lock()
	m.log(conv, nowOr(m.Now))
	next := m.seq + 1 // only new ones
	if after != "" {
		n, _ := strconv.ParseInt(after, 10, 64)
		next = n + 1
	}
	m.mu.Unlock()
	out := make(chan Event)
	go func() {
		defer close(out)
		for {
			m.mu.Lock()
			l := m.log(conv, nowOr(m.Now))
			var pending []Event
			for _, e := range l.events {
				if id, _ := strconv.ParseInt(e.ID, 10, 64); id >= next {
					pending = append(pending, e)
				}
			}
			bell := l.bell
			m.mu.Unlock()
			for _, e := range pending {
				select {
				case out <- e:
					next, _ = strconv.ParseInt(e.ID, 10, 64)
					next++
				case <-ctx.Done():
					return
				}
			}
			select {
			case <-bell:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

func nowOr(now func() time.Time) time.Time {
	if now != nil {
		return now()
	}
	return time.Now()
}
