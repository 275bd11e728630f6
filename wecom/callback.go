package wecom

import (
	"encoding/xml"
	"io"
	"net/http"

	"github.com/posbot/posbot/wxapi"
)

// envelope is a callback as WeCom posts it.
type envelope struct {
	ToUserName string `xml:"ToUserName"`
	Encrypt    string `xml:"Encrypt"`
	AgentID    string `xml:"AgentID"`
}

// event is what the envelope holds for WeChat customer service.
type event struct {
	MsgType  string `xml:"MsgType"`
	Event    string `xml:"Event"`
	Token    string `xml:"Token"`    // lets sync_msg pull without the strict rate limit, for 10 minutes
	OpenKfID string `xml:"OpenKfId"` // the account with new messages
}

// Handler returns the callback handler: mount it for GET and POST at the
// URL set for WeChat customer service's callbacks (/wecom/callback).
//
// GET is the URL verification: echostr decrypted when msg_signature is
// good. POST is an encrypted kf_msg_or_event: with a good msg_signature
// over the envelope and a timestamp within MaxSkew it is answered
// "success" at once and the account's new messages are pulled in the
// background. A bad or missing signature or a stale timestamp gets 401, an
// envelope that does not open 400, a body over 64 KB 413; nothing of such
// a request is processed.
func (a *Adapter) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		sig, ts, nonce := q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce")
		switch r.Method {
		case http.MethodGet:
			echo := q.Get("echostr")
			if !a.authentic(sig, ts, nonce, echo) {
				a.refuse(w, r, http.StatusUnauthorized, "bad signature")
				return
			}
			plain, err := a.cipher.Open(echo)
			if err != nil {
				a.refuse(w, r, http.StatusBadRequest, "echostr does not open")
				return
			}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = w.Write(plain)
		case http.MethodPost:
			a.callback(w, r, sig, ts, nonce)
		default:
			w.Header().Set("Allow", "GET, POST")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		}
	})
}

func (a *Adapter) authentic(sig, ts, nonce, encrypted string) bool {
	return encrypted != "" && wxapi.Signed(a.cfg.Token, sig, ts, nonce, encrypted) && wxapi.Fresh(ts, a.now(), a.cfg.MaxSkew)
}

func (a *Adapter) refuse(w http.ResponseWriter, r *http.Request, status int, why string) {
	a.log.WarnContext(r.Context(), "wecom callback refused", "status", status, "reason", why, "remote_addr", r.RemoteAddr)
	http.Error(w, http.StatusText(status), status)
}

func (a *Adapter) callback(w http.ResponseWriter, r *http.Request, sig, ts, nonce string) {
	body, status, why := wxapi.ReadCallback(w, r)
	if status != 0 {
		a.refuse(w, r, status, why)
		return
	}
	var env envelope
	_ = xml.Unmarshal(body, &env) // an empty Encrypt fails the signature below
	if !a.authentic(sig, ts, nonce, env.Encrypt) {
		a.refuse(w, r, http.StatusUnauthorized, "bad msg_signature")
		return
	}
	plain, err := a.cipher.Open(env.Encrypt)
	var ev event
	if err == nil {
		err = xml.Unmarshal(plain, &ev)
	}
	if err != nil {
		a.refuse(w, r, http.StatusBadRequest, "envelope does not open")
		return
	}
	if ev.Event == "kf_msg_or_event" && ev.OpenKfID != "" {
		a.trigger(ev.OpenKfID, ev.Token)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "success")
}
