package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/go-telegram/bot/models"

	"github.com/posbot/posbot/channel"
)

// maxUpdateBytes bounds a webhook body; real updates are a few kilobytes.
const maxUpdateBytes = 1 << 20

// webhookCallKey marks, in the context handed to ProcessUpdate, an update
// that came through WebhookHandler: it was deduplicated already, and route
// reports back whether it could be queued.
type webhookCallKey struct{}

type webhookCall struct{ err error }

// WebhookHandler returns the handler for Telegram's webhook calls (mount it at
// POST /telegram/webhook). Unlike go-telegram's own, it answers 401 when the
// X-Telegram-Bot-Api-Secret-Token header does not match WebhookSecret
// (compared in constant time), 400 for a body that is not an update, 200 once
// the update is queued or known to be a duplicate, and 503 when the queue
// stays full, so that Telegram delivers it again. Without a WebhookSecret
// every call gets 401.
func (a *Adapter) WebhookHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
		if a.cfg.WebhookSecret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(a.cfg.WebhookSecret)) != 1 {
			a.log.Warn("webhook call with a wrong secret token", "remote_addr", r.RemoteAddr)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		var upd models.Update
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxUpdateBytes))
		if err := dec.Decode(&upd); err != nil || upd.ID <= 0 {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, "update too large", http.StatusRequestEntityTooLarge)
				return
			}
			a.log.Warn("webhook call with an invalid update", "err", err)
			http.Error(w, "bad request: not a Telegram update", http.StatusBadRequest)
			return
		}
		ctx := r.Context()
		if !a.firstSeen(ctx, upd.ID) {
			w.WriteHeader(http.StatusOK) // a redelivery: answered already
			return
		}
		call := &webhookCall{}
		a.bot.ProcessUpdate(contextWithCall(ctx, call), &upd)
		if call.err != nil {
			// Take the key back so that the redelivery is not dropped.
			channel.Forget(ctx, a.dedup, a.dedupKey(upd.ID), a.log)
			http.Error(w, "busy, retry later", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

func contextWithCall(ctx context.Context, c *webhookCall) context.Context {
	return context.WithValue(ctx, webhookCallKey{}, c)
}
