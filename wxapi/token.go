package wxapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// StableToken fetches an Official Account's access token from
// /cgi-bin/stable_token without forcing a refresh. Unlike /cgi-bin/token,
// which invalidates the token every other caller holds, it hands every
// replica the same valid token, so replicas need not share it (no Redis).
func StableToken(appID, secret string) TokenFunc {
	return func(ctx context.Context, c *Client) (string, time.Duration, error) {
		body, _ := json.Marshal(map[string]any{
			"grant_type": "client_credential", "appid": appID, "secret": secret, "force_refresh": false,
		})
		data, _, err := c.Call(ctx, http.MethodPost, "/cgi-bin/stable_token", nil, body, false, maxJSON)
		if err != nil {
			return "", 0, err
		}
		return token("/cgi-bin/stable_token", data)
	}
}

// CorpToken fetches a WeCom access token for the secret of WeChat customer
// service from /cgi-bin/gettoken. WeCom returns the same token to every
// caller until it expires, so replicas need not share it either.
func CorpToken(corpID, secret string) TokenFunc {
	return func(ctx context.Context, c *Client) (string, time.Duration, error) {
		q := url.Values{"corpid": {corpID}, "corpsecret": {secret}}
		data, _, err := c.Call(ctx, http.MethodGet, "/cgi-bin/gettoken", q, nil, false, maxJSON)
		if err != nil {
			return "", 0, err
		}
		return token("/cgi-bin/gettoken", data)
	}
}

// tokenAnswer is the answer of both token APIs. (The library's
// credential.ResAccessToken is the same, but its package links go-redis v8
// and memcache into the binary.)
type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

func token(api string, data []byte) (string, time.Duration, error) {
	var r tokenAnswer
	if err := decode(api, data, &r); err != nil {
		return "", 0, err
	}
	return r.AccessToken, time.Duration(r.ExpiresIn) * time.Second, nil
}
