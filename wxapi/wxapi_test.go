package wxapi_test

import (
	"context"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/posbot/posbot/wxapi"
)

func TestSignature(t *testing.T) {
	t.Parallel()
	// WeChat's rule, written out: SHA-1 of the sorted strings joined.
	parts := []string{"tok", "1764000000", "nonce", "ENCRYPTED"}
	sorted := append([]string(nil), parts...)
	sort.Strings(sorted)
	want := fmt.Sprintf("%x", sha1.Sum([]byte(strings.Join(sorted, ""))))
	if got := wxapi.Sign(parts[0], parts[1:]...); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	if !wxapi.Signed("tok", want, parts[1:]...) {
		t.Error("a good signature is refused")
	}
	for _, bad := range []string{"", want[:39], strings.ToUpper(want), want + "0"} {
		if wxapi.Signed("tok", bad, parts[1:]...) {
			t.Errorf("signature %q accepted", bad)
		}
	}
	if wxapi.Signed("", wxapi.Sign("", "a"), "a") {
		t.Error("an empty token signs")
	}
	now := time.Unix(1764000000, 0)
	for ts, fresh := range map[string]bool{"1764000000": true, "1763999800": true, "1763999000": false, "1764000400": false, "x": false} {
		if got := wxapi.Fresh(ts, now, 5*time.Minute); got != fresh {
			t.Errorf("Fresh(%s) = %v", ts, got)
		}
	}
}

func TestCipher(t *testing.T) {
	t.Parallel()
	const key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	c, err := wxapi.NewCipher("tok", key, "wxapp")
	if err != nil {
		t.Fatal(err)
	}
	enc, sig, err := c.Seal([]byte("<xml>怎么退款</xml>"), "1764000000", "n")
	if err != nil {
		t.Fatal(err)
	}
	if !wxapi.Signed("tok", sig, "1764000000", "n", enc) {
		t.Error("the seal's signature does not check")
	}
	if plain, err := c.Open(enc); err != nil || string(plain) != "<xml>怎么退款</xml>" {
		t.Errorf("Open = %q, %v", plain, err)
	}
	other, _ := wxapi.NewCipher("tok", key, "another-app")
	if _, err := other.Open(enc); err == nil {
		t.Error("an envelope for another receiver opened")
	}
	if _, err := c.Open("bm90IGVuY3J5cHRlZA=="); err == nil {
		t.Error("garbage opened")
	}
	for _, bad := range []string{"short", strings.Repeat("!", 43)} {
		if _, err := wxapi.NewCipher("tok", bad, "wxapp"); err == nil {
			t.Errorf("key %q accepted", bad)
		}
	}
}

func TestClient(t *testing.T) {
	t.Parallel()
	var tokens atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/cgi-bin/gettoken":
			if r.URL.Query().Get("corpsecret") != "s3cret" {
				json.NewEncoder(w).Encode(map[string]any{"errcode": 40001, "errmsg": "invalid credential"})
				return
			}
			n := tokens.Add(1)
			json.NewEncoder(w).Encode(map[string]any{"errcode": 0, "access_token": fmt.Sprint("TOK", n), "expires_in": 7200})
		case "/echo":
			if r.URL.Query().Get("access_token") != fmt.Sprint("TOK", tokens.Load()) || tokens.Load() < 2 {
				json.NewEncoder(w).Encode(map[string]any{"errcode": 42001, "errmsg": "expired"})
				return
			}
			json.NewEncoder(w).Encode(map[string]any{"errcode": 0, "value": "ok"})
		case "/refuse":
			json.NewEncoder(w).Encode(map[string]any{"errcode": 45015, "errmsg": "response out of time limit"})
		case "/slow":
			time.Sleep(time.Second)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	c := wxapi.New(wxapi.Config{BaseURL: srv.URL, Token: wxapi.CorpToken("corp", "s3cret"),
		HTTPClient: &http.Client{Timeout: 200 * time.Millisecond}})
	var out struct{ Value string }
	if err := c.PostJSON(ctx, "/echo", map[string]string{}, &out); err != nil || out.Value != "ok" || tokens.Load() != 2 {
		t.Errorf("call with an expired token: %v, %q, %d tokens", err, out.Value, tokens.Load())
	}
	err := c.PostJSON(ctx, "/refuse", nil, nil)
	if wxapi.Code(err) != wxapi.CodeOutOfWindow {
		t.Errorf("error %v, want code 45015", err)
	}
	err = c.PostJSON(ctx, "/slow", nil, nil)
	if err == nil || strings.Contains(err.Error(), "TOK") || strings.Contains(err.Error(), "access_token") {
		t.Errorf("timeout error %v: want one without the token", err)
	}
	bad := wxapi.New(wxapi.Config{BaseURL: srv.URL, Token: wxapi.CorpToken("corp", "wrong")})
	err = bad.PostJSON(ctx, "/echo", nil, nil)
	if wxapi.Code(err) != 40001 || strings.Contains(err.Error(), "wrong") {
		t.Errorf("bad secret: %v", err)
	}
}
