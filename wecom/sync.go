package wecom

import (
	"context"
	"encoding/json"
	"time"

	"github.com/silenceper/wechat/v2/work/kf/syncmsg"

	"github.com/posbot/posbot/channel"
)

// Message origins in sync_msg.
const (
	originCustomer = 3 // the customer wrote
	originSystem   = 4 // an event
)

// pull is an account's pulling in this process: one pull runs at a time,
// and callbacks that arrive meanwhile make it run once more.
type pull struct {
	running, again bool
	token          string // the newest callback's token
}

// trigger starts pulling openKfID's new messages unless a pull runs, in
// which case that pull runs once more when it is done.
func (a *Adapter) trigger(openKfID, token string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.syncCtx.Err() != nil {
		return // Run has stopped: the next replica to get a callback pulls
	}
	p := a.pending[openKfID]
	if p == nil {
		p = &pull{}
		a.pending[openKfID] = p
	}
	if token != "" {
		p.token = token
	}
	if p.running {
		p.again = true
		return
	}
	p.running = true
	a.pulls.Add(1) // under mu, so never after Run's Wait began
	go func() {
		defer a.pulls.Done()
		for {
			a.mu.Lock()
			tok := p.token
			p.again = false
			a.mu.Unlock()
			a.sync(a.syncCtx, openKfID, tok)
			a.mu.Lock()
			if !p.again || a.syncCtx.Err() != nil {
				p.running = false
				a.mu.Unlock()
				return
			}
			a.mu.Unlock()
		}
	}()
}

// syncRequest and syncAnswer are sync_msg's body and answer. (The
// library's kf.SyncMsgOptions is the same, but package kf links go-redis
// v8 and memcache into the binary.)
type syncRequest struct {
	Cursor   string `json:"cursor,omitempty"`
	Token    string `json:"token,omitempty"`
	Limit    int    `json:"limit"`
	OpenKfID string `json:"open_kfid"`
}

type syncAnswer struct {
	NextCursor string            `json:"next_cursor"`
	HasMore    int               `json:"has_more"`
	MsgList    []json.RawMessage `json:"msg_list"`
}

// sync pulls openKfID's messages from the stored cursor, page by page,
// queueing each new one and storing the cursor after each page whose
// messages were all queued. One replica pulls an account at a time.
func (a *Adapter) sync(ctx context.Context, openKfID, token string) {
	log := a.log.With("open_kfid", openKfID)
	unlock, err := a.locker.Lock(ctx, "wecom-pull:"+a.cfg.CorpID+":"+openKfID)
	defer unlock()
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		log.Warn("pull lock unavailable; pulling anyway (dedup drops repeats)", "err", err)
	}
	key := a.cfg.CorpID + ":" + openKfID
	cursor, err := a.cursors.Cursor(ctx, key)
	if err != nil {
		// Pulling from the start would bring back three days of messages.
		log.Error("cursor unavailable; not pulling", "err", err)
		return
	}
	for range maxPages {
		var ans syncAnswer
		req := syncRequest{Cursor: cursor, Token: token, Limit: 1000, OpenKfID: openKfID}
		if err := a.api.PostJSON(ctx, "/cgi-bin/kf/sync_msg", req, &ans); err != nil {
			if ctx.Err() == nil {
				log.Error("sync_msg failed", "err", err)
			}
			return
		}
		if !a.accept(ctx, ans.MsgList) {
			return // the cursor stays before the message not queued
		}
		if ans.NextCursor != "" && ans.NextCursor != cursor {
			cursor = ans.NextCursor
			if err := a.cursors.PutCursor(ctx, key, cursor); err != nil {
				log.Error("cursor not stored; the page will be pulled again (dedup drops repeats)", "err", err)
				return
			}
		}
		if ans.HasMore == 0 {
			return
		}
	}
	log.Warn("pull stopped after the page limit; the next callback continues", "pages", maxPages)
}

// accept queues every new message of a page for its customer; it reports
// false when one could not be queued (shutting down, or the queue stayed
// full).
func (a *Adapter) accept(ctx context.Context, raws []json.RawMessage) bool {
	old := 0
	for _, raw := range raws {
		in, ok := convert(raw)
		if !ok {
			continue
		}
		if a.now().Sub(in.sent) > a.cfg.MaxAge {
			old++
			continue
		}
		key := "wecom:" + a.cfg.CorpID + ":msg:" + in.msgID
		if !channel.FirstSeen(ctx, a.dedup, key, a.log.With("msgid", in.msgID)) {
			continue
		}
		if err := a.inbox.PutWait(ctx, in.conversationID(), raw); err != nil {
			a.log.Warn("message not queued; it will be pulled again", "msgid", in.msgID, "err", err)
			channel.Forget(context.WithoutCancel(ctx), a.dedup, key, a.log)
			return false
		}
	}
	if old > 0 {
		a.log.Info("old messages skipped", "count", old, "max_age", a.cfg.MaxAge.String())
	}
	return true
}

// incoming is a pulled message reduced to what posbot uses; the library's
// syncmsg types do not leave this file.
type incoming struct {
	kind    kind
	msgID   string
	kfID    string // the customer-service account
	userID  string // the customer (external_userid)
	sent    time.Time
	text    string
	mediaID string
	code    string // an event's welcome_code or msg_code
}

type kind int

const (
	kindText kind = iota + 1
	kindImage
	kindVoice
	kindOther   // video, files, locations… from the customer
	kindWelcome // the customer opened the chat and may be greeted
	kindEnded   // a servicer ended the session: the bot answers again
)

// conversationID is the engine's conversation of a customer of an account.
func (in incoming) conversationID() string { return "wecom:" + in.kfID + ":" + in.userID }

// convert reads a pulled message; ok is false for what posbot does not
// act on (servicers' messages, most events).
func convert(raw json.RawMessage) (incoming, bool) {
	var h struct {
		syncmsg.BaseMessage
		MsgType string `json:"msgtype"`
		Event   struct {
			EventType string `json:"event_type"`
		} `json:"event"`
	}
	if json.Unmarshal(raw, &h) != nil || h.MsgID == "" {
		return incoming{}, false
	}
	in := incoming{msgID: h.MsgID, kfID: h.OpenKFID, userID: h.ExternalUserID, sent: time.Unix(int64(h.SendTime), 0)}
	switch {
	case h.Origin == originCustomer && h.MsgType == "text":
		var m syncmsg.Text
		_ = json.Unmarshal(raw, &m)
		in.kind, in.text = kindText, m.Text.Content
	case h.Origin == originCustomer && h.MsgType == "image":
		var m syncmsg.Image
		_ = json.Unmarshal(raw, &m)
		in.kind, in.mediaID = kindImage, m.Image.MediaID
	case h.Origin == originCustomer && h.MsgType == "voice":
		in.kind = kindVoice
	case h.Origin == originCustomer:
		in.kind = kindOther
	case h.Origin == originSystem && h.Event.EventType == "enter_session":
		var m syncmsg.EnterSessionEvent
		_ = json.Unmarshal(raw, &m)
		in.kind, in.kfID, in.userID, in.code = kindWelcome, m.Event.OpenKFID, m.Event.ExternalUserID, m.Event.WelcomeCode
	case h.Origin == originSystem && h.Event.EventType == "session_status_change":
		var m syncmsg.SessionStatusChangeEvent
		_ = json.Unmarshal(raw, &m)
		if m.Event.ChangeType != 3 { // 3: a servicer ended the session
			return in, false
		}
		in.kind, in.kfID, in.userID, in.code = kindEnded, m.Event.OpenKFID, m.Event.ExternalUserID, m.Event.MsgCode
	default:
		return in, false
	}
	if (in.kind == kindWelcome || in.kind == kindEnded) && in.code == "" {
		return in, false // no code: WeCom allows no message now
	}
	return in, in.kfID != "" && in.userID != ""
}
