package telegram

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf16"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/posbot/posbot/channel"
)

// maxMessageUnits is Telegram's limit on a message's text, in UTF-16 code units.
const maxMessageUnits = 4096

// Backoff between retries of a failed send (not a 429, which says how long).
const (
	backoffBase = 500 * time.Millisecond
	backoffMax  = 8 * time.Second
	// maxRetryAfter caps how long a 429 is waited out; past it the update's
	// deadline would run out anyway.
	maxRetryAfter = 60 * time.Second
)

// errBlocked is returned when the user blocked the bot (403): nothing more can
// be sent to them, now or on retry.
var errBlocked = errors.New("telegram: user blocked the bot")

// reply sends text to a chat as plain text (no parse mode, so nothing needs
// escaping), split into messages under Telegram's limit; the buttons go with
// the last one.
func (a *Adapter) reply(ctx context.Context, chatID int64, text string, kb *inlineKeyboard) error {
	_, err := a.post(ctx, chatID, text, kb, 0)
	return err
}

// post is reply as a reply to message replyTo (0 for none), returning the
// id of the first message sent. It has SendTimeout of its own, whatever is
// left of ctx's time (channel.Outlive): a reply after a slow step still
// goes out.
func (a *Adapter) post(ctx context.Context, chatID int64, text string, kb *inlineKeyboard, replyTo int) (int, error) {
	ctx, cancel := channel.Outlive(ctx, a.cfg.SendTimeout)
	defer cancel()
	parts := split(text, maxMessageUnits)
	first := 0
	for i, p := range parts {
		params := &tgbot.SendMessageParams{ChatID: chatID, Text: p}
		if i == len(parts)-1 && kb != nil {
			params.ReplyMarkup = kb
		}
		if replyTo != 0 {
			params.ReplyParameters = &models.ReplyParameters{MessageID: replyTo, AllowSendingWithoutReply: true}
		}
		m, err := a.send(ctx, params)
		if err != nil {
			if errors.Is(err, errBlocked) {
				a.log.Info("user blocked the bot", "chat_id", chatID)
			} else {
				a.log.Error("reply not sent", "chat_id", chatID, "part", i+1, "parts", len(parts), "err", a.scrub(err))
			}
			return first, err
		}
		if i == 0 && m != nil {
			first = m.ID
		}
	}
	return first, nil
}

// send calls sendMessage, waiting out 429s for their retry_after and retrying
// other transient failures with exponential backoff, SendRetries times at
// most. A 403 (the user blocked the bot) and other 4xx refusals are final.
func (a *Adapter) send(ctx context.Context, p *tgbot.SendMessageParams) (*models.Message, error) {
	for attempt := 0; ; attempt++ {
		m, err := a.bot.SendMessage(ctx, p)
		if err == nil {
			return m, nil
		}
		var wait time.Duration
		var tooMany *tgbot.TooManyRequestsError
		switch {
		case errors.As(err, &tooMany):
			wait = min(max(time.Duration(tooMany.RetryAfter)*time.Second, time.Second), maxRetryAfter)
		case errors.Is(err, tgbot.ErrorForbidden):
			return nil, fmt.Errorf("%w: %s", errBlocked, a.scrub(err))
		case errors.Is(err, tgbot.ErrorBadRequest), errors.Is(err, tgbot.ErrorUnauthorized),
			errors.Is(err, tgbot.ErrorNotFound), tgbot.IsMigrateError(err):
			return nil, fmt.Errorf("send message: %w", err)
		case ctx.Err() != nil:
			return nil, fmt.Errorf("send message: %w", ctx.Err())
		default:
			wait = min(backoffBase<<attempt, backoffMax)
		}
		if attempt >= a.cfg.SendRetries {
			return nil, fmt.Errorf("send message: giving up after %d attempts: %w", attempt+1, err)
		}
		a.log.Warn("send failed, retrying", "chat_id", p.ChatID, "attempt", attempt+1,
			"wait_ms", wait.Milliseconds(), "err", a.scrub(err))
		if err := a.sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("send message: %w", err)
		}
	}
}

// typing shows "typing…" in the chat until the returned stop is called. The
// action lasts about five seconds, so it is repeated every TypingInterval.
func (a *Adapter) typing(ctx context.Context, chatID int64) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(a.cfg.TypingInterval)
		defer t.Stop()
		for {
			_, err := a.bot.SendChatAction(ctx, &tgbot.SendChatActionParams{ChatID: chatID, Action: models.ChatActionTyping})
			if err != nil && ctx.Err() == nil {
				a.log.Debug("chat action not sent", "chat_id", chatID, "err", a.scrub(err))
				if errors.Is(err, tgbot.ErrorForbidden) {
					return
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// split cuts text into parts of at most limit UTF-16 code units, as
// Telegram counts message length (see channel.Split).
func split(text string, limit int) []string { return channel.Split(text, limit, units) }

// units counts s in UTF-16 code units, as Telegram counts message length.
func units(s string) int {
	n := 0
	for _, r := range s {
		if u := utf16.RuneLen(r); u > 0 {
			n += u
		} else {
			n++
		}
	}
	return n
}
