package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/go-telegram/bot/models"

	"github.com/posbot/posbot/channel"
)

// maxUpdateBytes bounds a webhook body; real updates are a few kilobytes.
const maxUpdateBytes = 1 << 20

// WebhookHandler returns the handler for Telegram's webhook calls (mount it at
// POST /telegram/webhook). Unlike go-telegram's own, it answers 401 when the
// X-Telegram-Bot-Api-Secret-Token header does not match WebhookSecret
// (compared in constant time), 400 for a body that is not an update, 200
// once the update is in its chat's inbox (in Redis, with a shared
// Deps.Inbox: then another replica answers it if this one stops) or known
// to be a duplicate, and 503 when it could not be queued (shutting down,
// the inbox full), so that Telegram delivers it again. Telegram does not
// deliver an update again after a 200. Without a WebhookSecret every call
// gets 401.
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
		raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxUpdateBytes))
		var upd models.Update
		if err == nil {
			err = json.Unmarshal(raw, &upd)
		}
		if err != nil || upd.ID <= 0 {
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
		if _, err := a.accept(ctx, &upd, raw); err != nil {
			// Take the key back so that the redelivery is not dropped.
			channel.Forget(context.WithoutCancel(ctx), a.dedup, a.dedupKey(upd.ID), a.log)
			http.Error(w, "busy, retry later", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}
