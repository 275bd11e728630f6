package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/posbot/posbot/channel"
)

// pollLimit is how many updates one getUpdates returns at most (the Bot
// API's maximum). posbot asks from the oldest update it has not finished,
// so it looks at most this far past it.
const pollLimit = 100

// offsets tracks, for long polling, which fetched updates are not finished:
// Telegram forgets an update (confirms it) only when getUpdates is called
// with a higher offset, and posbot calls it with the oldest unfinished one.
// An update fetched but not answered when posbot stops is fetched again
// when it starts. With a durable inbox an update is finished once queued;
// in memory once answered. The zero value is not usable; see newOffsets.
type offsets struct {
	mu       sync.Mutex
	inflight map[int64]bool
	last     int64         // the highest update id fetched; 0 before any
	changed  chan struct{} // closed and replaced when an update is finished
}

func newOffsets() *offsets {
	return &offsets{inflight: map[int64]bool{}, changed: make(chan struct{})}
}

// next is the offset to ask getUpdates for: the oldest unfinished update,
// else the one after the last fetched (0 before any: Telegram's oldest).
func (o *offsets) next() int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.inflight) > 0 {
		return slices.Min(slices.Collect(maps.Keys(o.inflight)))
	}
	if o.last == 0 {
		return 0
	}
	return o.last + 1
}

// fetched reports whether id is new (not fetched before) and, if so,
// notes it as fetched and unfinished.
func (o *offsets) fetched(id int64) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if id <= o.last {
		return false // unfinished, or finished and not confirmed yet
	}
	o.last = id
	o.inflight[id] = true
	return true
}

// unfetch forgets that id, the last fetched, was fetched: it is to be
// fetched again.
func (o *offsets) unfetch(id int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.inflight, id)
	if o.last == id {
		o.last = id - 1
	}
}

// done notes that update id is finished.
func (o *offsets) done(id int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.inflight[id] {
		delete(o.inflight, id)
		close(o.changed)
		o.changed = make(chan struct{})
	}
}

// progress returns a channel closed when an update is next finished.
func (o *offsets) progress() <-chan struct{} {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.changed
}

// poll fetches updates with getUpdates until ctx is done and puts each in
// its chat's inbox. A failed call is retried after a pause growing to 5 s.
func (a *Adapter) poll(ctx context.Context) {
	var pause time.Duration
	for ctx.Err() == nil {
		if pause > 0 && sleepCtx(ctx, pause) != nil {
			return
		}
		// Taken before asking: an update finished while the call is under
		// way must wake the wait below, or, if it was the last one in
		// flight, nothing would.
		progress := a.polled.progress()
		updates, err := a.getUpdates(ctx, a.polled.next(), int(a.cfg.PollTimeout.Seconds())-1)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			pause = min(max(2*pause, 100*time.Millisecond), 5*time.Second)
			a.log.Warn("getUpdates failed", "err", err, "retry_in_ms", pause.Milliseconds())
			continue
		}
		pause = 0
		fresh, full := a.take(ctx, updates)
		switch {
		case full:
			// The inbox is full: wait for an answer before asking again.
			pause = 100 * time.Millisecond
		case fresh == 0 && len(updates) >= pollLimit:
			// Every update Telegram returned is still being answered: wait
			// for one to finish before asking further.
			select {
			case <-progress:
			case <-ctx.Done():
			}
		}
	}
}

// take queues the updates not fetched before; it reports how many there
// were and whether the inbox refused one (it and those after it are
// fetched again).
func (a *Adapter) take(ctx context.Context, updates []json.RawMessage) (fresh int, full bool) {
	for _, raw := range updates {
		var upd models.Update
		if err := json.Unmarshal(raw, &upd); err != nil || upd.ID <= 0 {
			a.log.Warn("getUpdates returned an unreadable update", "err", err)
			continue
		}
		if !a.polled.fetched(upd.ID) {
			continue
		}
		fresh++
		if !a.firstSeen(ctx, upd.ID) {
			a.polled.done(upd.ID)
			continue
		}
		queued, err := a.accept(ctx, &upd, raw)
		if err != nil {
			channel.Forget(context.WithoutCancel(ctx), a.dedup, a.dedupKey(upd.ID), a.log)
			a.polled.unfetch(upd.ID)
			return fresh, true
		}
		if !queued || a.inbox.Durable() {
			a.polled.done(upd.ID) // ignored, or safe in the shared inbox
		}
	}
	return fresh, false
}

// confirm tells Telegram that the updates before the oldest unfinished one
// are done with (a getUpdates that returns at once); run after the inbox
// has drained. What is not finished is fetched again at the next start.
func (a *Adapter) confirm() {
	offset := a.polled.next()
	if offset == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := a.getUpdatesLimit(ctx, offset, 0, 1); err != nil {
		a.log.Warn("answered updates not confirmed; they will be fetched again and dropped as duplicates", "err", err)
		return
	}
	a.log.Info("telegram updates confirmed", "offset", offset)
}

func (a *Adapter) getUpdates(ctx context.Context, offset int64, timeout int) ([]json.RawMessage, error) {
	return a.getUpdatesLimit(ctx, offset, max(timeout, 0), pollLimit)
}

// getUpdatesLimit calls getUpdates. The library's poller confirms an update
// as soon as it has handed it on, so posbot makes this call itself. Errors
// never carry the token.
func (a *Adapter) getUpdatesLimit(ctx context.Context, offset int64, timeout, limit int) ([]json.RawMessage, error) {
	params := struct {
		Offset         int64    `json:"offset,omitempty"`
		Limit          int      `json:"limit"`
		Timeout        int      `json:"timeout"`
		AllowedUpdates []string `json:"allowed_updates"`
	}{offset, limit, timeout, []string{"message", "callback_query"}}
	body, _ := json.Marshal(params)
	server := strings.TrimRight(a.cfg.ServerURL, "/")
	if server == "" {
		server = "https://api.telegram.org"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, server+"/bot"+a.cfg.Token+"/getUpdates", bytes.NewReader(body))
	if err != nil {
		return nil, errors.New("getUpdates: bad server URL")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL holds the token
		}
		return nil, fmt.Errorf("getUpdates: %s", a.scrub(err))
	}
	defer resp.Body.Close()
	var out struct {
		OK          bool              `json:"ok"`
		Result      []json.RawMessage `json:"result"`
		ErrorCode   int               `json:"error_code"`
		Description string            `json:"description"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("getUpdates: status %d, unreadable answer: %s", resp.StatusCode, a.scrub(err))
	}
	if !out.OK {
		return nil, fmt.Errorf("getUpdates: %d %s", out.ErrorCode, a.scrub(errors.New(out.Description)))
	}
	return out.Result, nil
}
