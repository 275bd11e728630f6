package chatwoot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/posbot/posbot/channel"
)

// client calls Chatwoot's application API as the Agent Bot, whose token
// may create messages and change a conversation's status and priority.
// The token goes in the api_access_token header and never into a URL, a
// log line or an error.
type client struct {
	base    string // Chatwoot's URL, without a trailing slash
	token   string
	account int64
	http    *http.Client
	retries int
	log     *slog.Logger
}

// APIError is a call Chatwoot refused with a status other than 2xx.
type APIError struct {
	Method, Path string
	Status       int
}

func (e *APIError) Error() string {
	return fmt.Sprintf("chatwoot %s %s: status %d", e.Method, e.Path, e.Status)
}

// retryable reports whether a failed call may succeed if tried again: it
// failed on the way, or Chatwoot was busy or failing (429, 5xx). A 4xx is
// an answer no retry changes.
func retryable(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status == http.StatusTooManyRequests || ae.Status >= 500
	}
	return true
}

// post sends body as JSON to path under the account and decodes the
// answer into out (nil: discarded), trying again after a failure on the
// way, a 429 or a 5xx, up to retries times with a growing pause. A retried
// post may have been carried out already: Chatwoot has no idempotency key
// for messages, so a timeout can, rarely, show a message twice.
func (c *client) post(ctx context.Context, path string, body, out any) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("chatwoot %s: %w", path, err)
	}
	full := fmt.Sprintf("%s/api/v1/accounts/%d%s", c.base, c.account, path)
	pause := 250 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err = c.once(ctx, full, path, payload, out)
		if err == nil || !retryable(err) || attempt >= c.retries || ctx.Err() != nil {
			return err
		}
		c.log.WarnContext(ctx, "chatwoot call failed; trying again", "path", path, "attempt", attempt+1, "err", err)
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		pause *= 2
	}
}

func (c *client) once(ctx context.Context, full, path string, payload []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, full, bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("chatwoot POST %s: %w", path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("api_access_token", c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("chatwoot POST %s: %w", path, unwrapURL(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return &APIError{Method: http.MethodPost, Path: path, Status: resp.StatusCode}
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out); err != nil {
		return fmt.Errorf("chatwoot POST %s: answer: %w", path, err)
	}
	return nil
}

// unwrapURL drops the *url.Error wrapper, whose text repeats the full URL.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// createMessage posts content to conversation conv (its display id):
// to the contact, or, private, as a note only agents see. It returns the
// new message's id.
func (c *client) createMessage(ctx context.Context, conv int64, content string, private bool) (int64, error) {
	var got struct {
		ID int64 `json:"id"`
	}
	body := map[string]any{"content": content, "message_type": "outgoing", "private": private, "content_type": "text"}
	err := c.post(ctx, "/conversations/"+strconv.FormatInt(conv, 10)+"/messages", body, &got)
	return got.ID, err
}

// toggleStatus sets conversation conv's status: "open" hands it to the
// agents (Chatwoot records a bot handoff), "pending" gives it to the bot,
// "resolved" closes it.
func (c *client) toggleStatus(ctx context.Context, conv int64, status string) error {
	return c.post(ctx, "/conversations/"+strconv.FormatInt(conv, 10)+"/toggle_status", map[string]string{"status": status}, nil)
}

// togglePriority sets conversation conv's priority ("urgent", "high", …).
func (c *client) togglePriority(ctx context.Context, conv int64, priority string) error {
	return c.post(ctx, "/conversations/"+strconv.FormatInt(conv, 10)+"/toggle_priority", map[string]string{"priority": priority}, nil)
}

// download fetches an attachment's data_url, at most max bytes. The URL is
// Chatwoot's signed file link, so no token is sent with it; it is never
// logged.
func (c *client) download(ctx context.Context, rawURL string, max int64) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, errors.New("chatwoot attachment: not an http(s) URL")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, errors.New("chatwoot attachment: bad URL")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("chatwoot attachment: %w", unwrapURL(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("chatwoot attachment: status %d", resp.StatusCode)
	}
	if resp.ContentLength > max {
		return nil, channel.ErrTooLarge
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("chatwoot attachment: %w", err)
	}
	if int64(len(b)) > max {
		return nil, channel.ErrTooLarge
	}
	return b, nil
}
