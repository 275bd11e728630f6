package wechat

import (
	"context"
	"crypto/rand"
	"encoding/xml"
	"io"
	"net/http"
	"strconv"

	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/wxapi"
)

// Handler returns the callback handler: mount it for GET and POST at the
// URL set in the Official Account's server configuration
// (/wechat/callback).
//
// GET is WeChat's URL verification: a good signature gets echostr back.
// POST is a message or event. Unlike the library's server, the handler
// checks the signature (msg_signature over the envelope in safe mode) in
// constant time and answers 401 for a bad or missing one or a timestamp
// further than MaxSkew from the clock, 403 for a plaintext callback when
// an AESKey is configured, 400 for a body that is not a callback and 413
// for one over 64 KB; nothing of such a request is processed. A good
// callback gets the passive reply (XML, encrypted in safe mode) when the
// answer is ready within PassiveWait, else "success" at once, the answer
// following through the customer-service API; a retried MsgId gets
// "success"; 503 when the adapter is shutting down or its inbox stays full,
// so that WeChat retries.
func (a *Adapter) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			a.verify(w, r)
		case http.MethodPost:
			a.callback(w, r)
		default:
			w.Header().Set("Allow", "GET, POST")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		}
	})
}

// signed holds a callback's signature parameters.
type signed struct {
	signature, msgSignature, timestamp, nonce, encryptType string
}

func params(r *http.Request) signed {
	q := r.URL.Query()
	return signed{q.Get("signature"), q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), q.Get("encrypt_type")}
}

// verify answers WeChat's URL verification.
func (a *Adapter) verify(w http.ResponseWriter, r *http.Request) {
	p := params(r)
	if !a.authentic(p.signature, p.timestamp, p.nonce) {
		a.refuse(w, r, http.StatusUnauthorized, "bad signature")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, r.URL.Query().Get("echostr"))
}

// authentic checks a signature over the token, the timestamp, the nonce and
// extra (the envelope in safe mode), and the timestamp's freshness.
func (a *Adapter) authentic(signature, timestamp, nonce string, extra ...string) bool {
	parts := append([]string{timestamp, nonce}, extra...)
	return wxapi.Signed(a.cfg.Token, signature, parts...) && wxapi.Fresh(timestamp, a.now(), a.cfg.MaxSkew)
}

func (a *Adapter) refuse(w http.ResponseWriter, r *http.Request, status int, why string) {
	a.log.WarnContext(r.Context(), "wechat callback refused", "status", status, "reason", why, "remote_addr", r.RemoteAddr)
	http.Error(w, http.StatusText(status), status)
}

// callback handles a POSTed message or event.
func (a *Adapter) callback(w http.ResponseWriter, r *http.Request) {
	p := params(r)
	body, status, why := wxapi.ReadCallback(w, r)
	if status != 0 {
		a.refuse(w, r, status, why)
		return
	}
	plain, status, why := a.open(p, body)
	if status != 0 {
		a.refuse(w, r, status, why)
		return
	}
	var m message.MixMessage
	if err := xml.Unmarshal(plain, &m); err != nil || m.FromUserName == "" || m.MsgType == "" {
		a.refuse(w, r, http.StatusBadRequest, "not a callback")
		return
	}
	in := convert(&m)
	ctx := r.Context()
	if !channel.FirstSeen(ctx, a.dedup, a.dedupKey(in), a.log.With("open_id", in.openID)) {
		acknowledge(w) // a retry: answered, or being answered, once already
		return
	}
	// The answer is offered to this request if it is produced here while
	// the request waits; otherwise (later, or on another replica) pushed.
	ans := channel.NewHandover[[]string]()
	dk := a.dedupKey(in)
	a.waiting.Store(dk, ans)
	defer a.waiting.Delete(dk)
	sctx, cancel := context.WithTimeout(ctx, a.cfg.PassiveWait)
	err := a.inbox.PutWait(sctx, conversationID(in.openID), in.encode())
	cancel()
	if err != nil {
		a.log.ErrorContext(ctx, "callback not queued", "open_id", in.openID, "err", err)
		channel.Forget(context.WithoutCancel(ctx), a.dedup, a.dedupKey(in), a.log)
		http.Error(w, "busy, retry later", http.StatusServiceUnavailable)
		return
	}
	parts, passive := ans.Wait(ctx, a.cfg.PassiveWait)
	if !passive || len(parts) == 0 {
		acknowledge(w)
		return
	}
	a.writePassive(w, r, &m, parts[0])
}

// open checks the callback's signature and returns its plaintext XML, or a
// status to refuse it with and why.
func (a *Adapter) open(p signed, body []byte) (plain []byte, status int, why string) {
	if a.cipher == nil {
		if p.encryptType == "aes" {
			return nil, http.StatusBadRequest, "encrypted callback without POSBOT_WECHAT_AES_KEY"
		}
		if !a.authentic(p.signature, p.timestamp, p.nonce) {
			return nil, http.StatusUnauthorized, "bad signature"
		}
		return body, 0, ""
	}
	if p.encryptType != "aes" {
		return nil, http.StatusForbidden, "plaintext callback in safe mode"
	}
	var env message.EncryptedXMLMsg
	if err := xml.Unmarshal(body, &env); err != nil || env.EncryptedMsg == "" {
		// Checked after the signature would be nicer, but the signature
		// covers the envelope, so without one there is nothing to check.
		return nil, http.StatusUnauthorized, "no envelope"
	}
	if !a.authentic(p.msgSignature, p.timestamp, p.nonce, env.EncryptedMsg) {
		return nil, http.StatusUnauthorized, "bad msg_signature"
	}
	plain, err := a.cipher.Open(env.EncryptedMsg)
	if err != nil {
		return nil, http.StatusBadRequest, "envelope does not open"
	}
	return plain, 0, ""
}

// acknowledge tells WeChat the callback was received and needs no passive
// reply.
func acknowledge(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "success")
}

// writePassive answers the callback with text, sealed in safe mode.
func (a *Adapter) writePassive(w http.ResponseWriter, r *http.Request, m *message.MixMessage, text string) {
	reply := message.NewText(text)
	reply.SetToUserName(m.FromUserName)
	reply.SetFromUserName(m.ToUserName)
	now := a.now().Unix()
	reply.SetCreateTime(now)
	reply.SetMsgType(message.MsgTypeText)
	out, err := xml.Marshal(reply)
	if err == nil && a.cipher != nil {
		nonce := rand.Text()[:16]
		var enc, sig string
		if enc, sig, err = a.cipher.Seal(out, strconv.FormatInt(now, 10), nonce); err == nil {
			out, err = xml.Marshal(message.ResponseEncryptedXMLMsg{EncryptedMsg: enc, MsgSignature: sig, Timestamp: now, Nonce: nonce})
		}
	}
	if err != nil {
		// The answer is lost for this callback; WeChat shows nothing wrong.
		a.log.ErrorContext(r.Context(), "passive reply not built", "err", err)
		acknowledge(w)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	_, _ = w.Write(out)
}
