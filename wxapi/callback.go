// Package wxapi speaks the server protocol the WeChat Official Account
// adapter (package wechat) and the WeCom customer service adapter (package
// wecom) share: callbacks signed with a token and checked in constant time,
// the AES envelope of safe mode, access tokens, JSON API calls and their
// error codes, and media downloads under a size cap.
//
// The signature and the cipher are github.com/silenceper/wechat/v2's
// (util.Signature, util.DecryptMsg, util.EncryptMsg). The HTTP calls are
// made here rather than through the library, whose calls take no context,
// go through the package-global util.DefaultHTTPClient (no timeout) to
// hard-coded hosts and report error codes only inside strings: a Client has
// its own http.Client, a base URL (a fake server in tests), a deadline per
// call and typed errors, and never puts a token or a secret in an error.
package wxapi

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/silenceper/wechat/v2/util"
)

// Sign returns WeChat's signature of parts with token: the SHA-1, in hex,
// of all of them sorted and concatenated. Callbacks carry it as
// "signature" (token, timestamp, nonce) or, in safe mode,
// "msg_signature" (token, timestamp, nonce, Encrypt).
func Sign(token string, parts ...string) string {
	return util.Signature(append([]string{token}, parts...)...)
}

// Signed reports whether signature is the signature of parts with token,
// comparing in constant time. An empty token or signature never matches.
func Signed(token, signature string, parts ...string) bool {
	if token == "" || signature == "" {
		return false
	}
	want := Sign(token, parts...)
	return subtle.ConstantTimeCompare([]byte(signature), []byte(want)) == 1
}

// Fresh reports whether the callback timestamp ts (Unix seconds, as WeChat
// sends it) is within skew of now. The plaintext signature does not cover
// the body, so an old signed URL must not be replayed with another body.
func Fresh(ts string, now time.Time, skew time.Duration) bool {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	d := now.Sub(time.Unix(sec, 0))
	return d <= skew && d >= -skew
}

// Cipher opens and seals the AES envelope of safe mode: AES-256-CBC with
// the key decoded from the 43-character EncodingAESKey, the plaintext
// framed with 16 random bytes, its length and the receiver's id (the
// AppID of an Official Account, the CorpID for WeCom), which Open checks.
// It is safe for concurrent use.
type Cipher struct {
	token, key, receiver string
}

// NewCipher returns a Cipher, or an error when aesKey is not 43 characters
// of base64 standing for 32 bytes.
func NewCipher(token, aesKey, receiverID string) (*Cipher, error) {
	if len(aesKey) != 43 {
		return nil, errors.New("the AES key must be 43 characters")
	}
	if k, err := base64.StdEncoding.DecodeString(aesKey + "="); err != nil || len(k) != 32 {
		return nil, errors.New("the AES key is not base64 for 32 bytes")
	}
	if receiverID == "" {
		return nil, errors.New("no receiver id (AppID or CorpID)")
	}
	return &Cipher{token: token, key: aesKey, receiver: receiverID}, nil
}

// ErrBadEnvelope is returned for an envelope that does not decrypt or was
// sealed for another receiver.
var ErrBadEnvelope = errors.New("wxapi: envelope does not open")

// Open decrypts encrypted (the base64 Encrypt field), checking it was
// sealed for this receiver. Check its msg_signature with Signed first.
func (c *Cipher) Open(encrypted string) ([]byte, error) {
	_, plain, err := util.DecryptMsg(c.receiver, encrypted, c.key)
	if err != nil {
		return nil, ErrBadEnvelope
	}
	return plain, nil
}

// Seal encrypts plain for the receiver and signs it with the timestamp and
// nonce given: it returns the Encrypt and MsgSignature fields of a reply.
func (c *Cipher) Seal(plain []byte, timestamp, nonce string) (encrypted, signature string, err error) {
	random := make([]byte, 16)
	_, _ = rand.Read(random) // crypto/rand.Read never fails
	b, err := util.EncryptMsg(random, plain, c.receiver, c.key)
	if err != nil {
		return "", "", fmt.Errorf("seal: %w", err)
	}
	return string(b), Sign(c.token, timestamp, nonce, string(b)), nil
}

// MaxCallbackBytes bounds a callback body; real ones are under 2 KB.
const MaxCallbackBytes = 64 << 10

// ReadCallback reads a callback's body, at most MaxCallbackBytes. On
// failure it returns the status to refuse the callback with (413 for a
// larger body, 400 otherwise) and why.
func ReadCallback(w http.ResponseWriter, r *http.Request) (body []byte, status int, why string) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxCallbackBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, http.StatusRequestEntityTooLarge, "body too large"
	case err != nil:
		return nil, http.StatusBadRequest, "body not read"
	}
	return body, 0, ""
}
