package wxapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Defaults used for zero Config fields.
const (
	// DefaultTimeout bounds one API call when Config.HTTPClient is nil.
	DefaultTimeout = 10 * time.Second
	// maxJSON bounds an API answer (sync_msg returns up to 1,000 messages).
	maxJSON = 8 << 20
)

// Error codes the adapters act on.
const (
	CodeInvalidCredential = 40001 // access token invalid (another fetch replaced it)
	CodeInvalidToken      = 40014 // access token malformed
	CodeTokenExpired      = 42001 // access token expired
	CodeOutOfWindow       = 45015 // Official Account: the merchant wrote more than 48 hours ago, or unsubscribed
	CodeOutOfCount        = 45047 // Official Account: too many messages since the merchant last wrote
	CodeRequireSubscribe  = 43004 // Official Account: the merchant does not follow the account
	CodeUnauthorized      = 48001 // the account may not call this API (an unverified account has no customer-service API)
	CodeSessionState      = 95018 // WeCom: send_msg refused in this session state (a person serves it, or it ended)
)

// Error is an error code the API answered.
type Error struct {
	API  string // the path called, "/cgi-bin/message/custom/send"
	Code int64
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: errcode %d: %s", e.API, e.Code, e.Msg) }

// Code returns the API error code in err's chain, 0 if there is none.
func Code(err error) int64 {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

// TokenFunc fetches a new access token and how long it is valid, calling
// the token API through c (Call with auth false).
type TokenFunc func(ctx context.Context, c *Client) (token string, ttl time.Duration, err error)

// Config configures a Client.
type Config struct {
	// BaseURL is the API host, "https://api.weixin.qq.com" or
	// "https://qyapi.weixin.qq.com", or a fake one in tests. Required.
	BaseURL string
	// HTTPClient makes the calls; nil means one with DefaultTimeout.
	HTTPClient *http.Client
	// Token fetches access tokens; required for calls with auth.
	Token TokenFunc
	// Now is the clock for token expiry; nil means time.Now.
	Now func() time.Time
}

// Client calls a WeChat server API. It keeps the access token until a
// little before it expires, and fetches a new one when the API says the
// token is invalid (then the call is made once more). It is safe for
// concurrent use; one token fetch runs at a time.
type Client struct {
	base  string
	http  *http.Client
	fetch TokenFunc
	now   func() time.Time

	mu    sync.Mutex
	token string
	until time.Time
}

// New returns a Client.
func New(cfg Config) *Client {
	c := &Client{base: strings.TrimRight(cfg.BaseURL, "/"), http: cfg.HTTPClient, fetch: cfg.Token, now: cfg.Now}
	if c.http == nil {
		c.http = &http.Client{Timeout: DefaultTimeout}
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c
}

// PostJSON posts body as JSON to path with the access token and decodes
// the answer into out (nil to ignore it). A non-zero errcode is an *Error.
func (c *Client) PostJSON(ctx context.Context, path string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("%s: encode: %w", path, err)
	}
	data, _, err := c.Call(ctx, http.MethodPost, path, nil, b, true, maxJSON)
	if err != nil {
		return err
	}
	return decode(path, data, out)
}

// Deliver posts body to path as PostJSON does, trying again up to retries
// times, after 0.5 s, 1 s, …, when the call fails on the way or the API
// answers -1 (busy). Any other error code is returned at once: a retry
// would get the same answer.
func (c *Client) Deliver(ctx context.Context, path string, body any, retries int) error {
	for attempt := 0; ; attempt++ {
		err := c.PostJSON(ctx, path, body, nil)
		if code := Code(err); err == nil || (code != 0 && code != -1) {
			return err
		}
		if attempt >= retries || ctx.Err() != nil {
			return fmt.Errorf("giving up after %d attempts: %w", attempt+1, err)
		}
		t := time.NewTimer(time.Duration(attempt+1) * 500 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (after %v)", ctx.Err(), err)
		case <-t.C:
		}
	}
}

// GetJSON gets path with query and the access token and decodes the answer
// into out.
func (c *Client) GetJSON(ctx context.Context, path string, query url.Values, out any) error {
	data, _, err := c.Call(ctx, http.MethodGet, path, query, nil, true, maxJSON)
	if err != nil {
		return err
	}
	return decode(path, data, out)
}

// ErrTooLarge is returned by Download for a file over its limit.
var ErrTooLarge = errors.New("wxapi: file too large")

// Download gets a file (a merchant's image) from path with query and the
// access token, reading at most max bytes: ErrTooLarge beyond. An answer in
// JSON is the API's error.
func (c *Client) Download(ctx context.Context, path string, query url.Values, max int64) ([]byte, error) {
	data, ct, err := c.Call(ctx, http.MethodGet, path, query, nil, true, max)
	if err != nil {
		return nil, err
	}
	if mt, _, _ := mime.ParseMediaType(ct); mt == "application/json" || mt == "text/plain" {
		if err := decode(path, data, nil); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%s: a %s answer instead of a file", path, mt)
	}
	return data, nil
}

// Fetch gets a file from an absolute URL the API gave (an image's PicUrl)
// with the Client's http.Client, reading at most max bytes: ErrTooLarge
// beyond.
func (c *Client) Fetch(ctx context.Context, rawURL string, max int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, errors.New("fetch: bad URL")
	}
	data, _, err := c.do(req, "fetch", max)
	return data, err
}

// Call makes one request to path (with the access token when auth) and
// returns the answer's body, at most max bytes (ErrTooLarge beyond), and its
// content type. An answer that says the token is invalid makes it fetch a
// new token and call once more. Errors never hold the token.
func (c *Client) Call(ctx context.Context, method, path string, query url.Values, body []byte, auth bool, max int64) ([]byte, string, error) {
	for attempt := 0; ; attempt++ {
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		var tok string
		if auth {
			var err error
			if tok, err = c.accessToken(ctx); err != nil {
				return nil, "", fmt.Errorf("%s: %w", path, err)
			}
			q.Set("access_token", tok)
		}
		data, ct, err := c.roundTrip(ctx, method, path, q, body, max)
		if err != nil {
			return nil, "", err
		}
		if auth && attempt == 0 && staleToken(data) {
			c.drop(tok)
			continue
		}
		return data, ct, nil
	}
}

func (c *Client) roundTrip(ctx context.Context, method, path string, q url.Values, body []byte, max int64) ([]byte, string, error) {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, "", fmt.Errorf("%s %s: bad request", method, path)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	return c.do(req, method+" "+path, max)
}

// do sends req and reads its answer; what names the call in errors, which
// never hold the URL (its query holds the token or a secret).
func (c *Client) do(req *http.Request, what string, max int64) ([]byte, string, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, "", fmt.Errorf("%s: %w", what, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("%s: status %d", what, resp.StatusCode)
	}
	if resp.ContentLength > max {
		return nil, "", ErrTooLarge
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, "", fmt.Errorf("%s: read: %w", what, err)
	}
	if int64(len(data)) > max {
		return nil, "", ErrTooLarge
	}
	return data, resp.Header.Get("Content-Type"), nil
}

// status is the errcode and errmsg every JSON answer carries.
type status struct {
	ErrCode int64  `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

func decode(api string, data []byte, out any) error {
	var s status
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("%s: answer is not JSON", api)
	}
	if s.ErrCode != 0 {
		return &Error{API: api, Code: s.ErrCode, Msg: s.ErrMsg}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s: decode: %w", api, err)
	}
	return nil
}

// staleToken reports whether an answer says the access token is no good.
func staleToken(data []byte) bool {
	if len(data) == 0 || data[0] != '{' {
		return false
	}
	var s status
	if json.Unmarshal(data, &s) != nil {
		return false
	}
	switch s.ErrCode {
	case CodeInvalidCredential, CodeInvalidToken, CodeTokenExpired:
		return true
	}
	return false
}

// accessToken returns the cached token or fetches one.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if c.token != "" && now.Before(c.until) {
		return c.token, nil
	}
	if c.fetch == nil {
		return "", errors.New("no way to get an access token")
	}
	tok, ttl, err := c.fetch(ctx, c)
	if err != nil {
		return "", fmt.Errorf("access token: %w", err)
	}
	if tok == "" || ttl <= 0 {
		return "", errors.New("access token: empty answer")
	}
	// Renew a little early, so no call carries a token that expires on the way.
	c.token, c.until = tok, now.Add(ttl-min(5*time.Minute, ttl/2))
	return tok, nil
}

// drop forgets tok if it is still the cached token.
func (c *Client) drop(tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == tok {
		c.token = ""
	}
}
