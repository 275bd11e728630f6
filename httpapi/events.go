package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/handoff"
)

// Defaults of the event stream.
const (
	// DefaultStreamFor is how long one event stream stays open; the page's
	// EventSource then reconnects, resuming after the last event it got.
	DefaultStreamFor = 5 * time.Minute
	// keepAlive is how often a quiet stream sends a comment, so proxies do
	// not close it.
	keepAlive = 20 * time.Second
)

var _ handoff.Sender = (*Server)(nil)

// Send implements handoff.Sender for the web chat: the notice goes into the
// conversation's feed, and the page of that conversation, on whichever
// replica holds its event stream, shows it.
func (s *Server) Send(ctx context.Context, conversationID string, n handoff.Notice) error {
	if s.feed == nil {
		return fmt.Errorf("web chat has no feed for %s", conversationID)
	}
	return s.feed.Publish(ctx, conversationID, channel.Event{Kind: n.Kind, Text: n.Text, TicketID: n.TicketID})
}

// handleEvents streams a conversation's feed as server-sent events: each
// event is "id: <id>", "event: message" and "data: <channel.Event JSON>".
// A client resumes with Last-Event-ID (EventSource does so by itself) or
// ?after=<id>; without either it gets only new events. The stream ends
// after StreamFor.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validID(id) {
		writeError(w, http.StatusBadRequest, "invalid conversation id")
		return
	}
	after := r.Header.Get("Last-Event-ID")
	if after == "" {
		after = r.URL.Query().Get("after")
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.streamFor)
	defer cancel()
	defer context.AfterFunc(s.streams, cancel)()
	events, err := s.feed.Subscribe(ctx, "http:"+id, after)
	if err != nil {
		s.log.ErrorContext(ctx, "event stream not opened", "request_id", RequestID(ctx), "err", err)
		writeError(w, http.StatusServiceUnavailable, "events unavailable, retry later")
		return
	}
	rc := http.NewResponseController(w)
	// The server's WriteTimeout is for ordinary requests.
	_ = rc.SetWriteDeadline(time.Now().Add(s.streamFor + 10*time.Second))
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 3000\n: connected\n\n")
	if rc.Flush() != nil {
		return
	}
	ping := time.NewTicker(keepAlive)
	defer ping.Stop()
	for {
		select {
		case e, ok := <-events:
			if !ok {
				return
			}
			b, _ := json.Marshal(e)
			fmt.Fprintf(w, "id: %s\nevent: message\ndata: %s\n\n", e.ID, b)
		case <-ping.C:
			fmt.Fprint(w, ": ping\n\n")
		}
		if rc.Flush() != nil {
			return
		}
	}
}

// CloseStreams ends every event stream, now and from now on; clients
// reconnect elsewhere. Call it when the server shuts down
// (http.Server.RegisterOnShutdown), which otherwise waits for them.
func (s *Server) CloseStreams() { s.endStreams() }

// streaming reports whether r opens an event stream, which outlives the
// ordinary request deadline.
func streaming(r *http.Request) bool {
	return r.Method == http.MethodGet && eventsPath.MatchString(r.URL.Path)
}
