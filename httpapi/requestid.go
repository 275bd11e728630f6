package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
)

// requestIDKey is the context key under which the request id is stored.
type requestIDKey struct{}

// RequestID returns the request id the Server gave the request whose context
// is ctx, or "" outside a Server. Handlers mounted with Server.Handle use it
// to tie their logs to the access log.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func withRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// requestIDFrom returns the caller's X-Request-ID when it is a safe token,
// else a fresh random one. Untrusted ids are not echoed into logs and headers.
func requestIDFrom(r *http.Request) string {
	if id := r.Header.Get("X-Request-ID"); validID(id) {
		return id
	}
	return randomHex()
}

// validID reports whether id is 1–64 characters of [A-Za-z0-9._:-], the
// shape accepted for request and conversation ids from clients.
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range []byte(id) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

// randomHex returns 128 random bits as 32 hex digits.
func randomHex() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails; it crashes the program instead
	return hex.EncodeToString(b[:])
}
