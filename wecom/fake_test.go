package wecom_test

import (
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/util"
)

const (
	corpID   = "ww0123456789abcdef"
	secret   = "kf-secret-never-logged"
	token    = "kf-callback-token"
	aesKey   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg"
	kfID     = "wkPOSBOT"
	servicer = "zhangsan"
)

// fakeKF is WeCom's customer-service API as posbot uses it: gettoken,
// sync_msg over a message log with cursors, send_msg, send_msg_on_event,
// service_state/get and /trans with WeCom's state rules.
type fakeKF struct {
	*httptest.Server

	mu      sync.Mutex
	log     []map[string]any // every message, in order; a cursor is an index
	pulls   int              // sync_msg calls
	states  map[string]int   // external_userid → service_state
	trans   []string         // "user→state(servicer)"
	sent    []sent           // send_msg and send_msg_on_event texts
	onDuty  bool             // the servicer is receiving
	changed chan struct{}
}

type sent struct{ to, text string }

func newFakeKF(t *testing.T) *fakeKF {
	f := &fakeKF{states: map[string]int{}, onDuty: true, changed: make(chan struct{})}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

var msgSeq atomic.Int64

// customer adds a text from a customer to the log, as WeCom keeps it.
func (f *fakeKF) customer(user, text string) {
	f.add(map[string]any{"msgid": fmt.Sprint("msg", msgSeq.Add(1)), "open_kfid": kfID, "external_userid": user,
		"send_time": time.Now().Unix(), "origin": 3, "msgtype": "text", "text": map[string]string{"content": text}})
}

func (f *fakeKF) add(m map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, m)
	if u, ok := m["external_userid"].(string); ok && m["origin"] == 3 && f.states[u] == 4 {
		f.states[u] = 0 // a customer who writes after the end starts a new session
	}
}

// ended adds the event of a servicer ending user's session.
func (f *fakeKF) ended(user string) {
	f.mu.Lock()
	f.states[user] = 4
	f.mu.Unlock()
	f.add(map[string]any{"msgid": fmt.Sprint("ev", msgSeq.Add(1)), "send_time": time.Now().Unix(), "origin": 4, "msgtype": "event",
		"event": map[string]any{"event_type": "session_status_change", "open_kfid": kfID, "external_userid": user,
			"change_type": 3, "old_servicer_userid": servicer, "msg_code": "END_CODE_" + user}})
}

func reply(w http.ResponseWriter, v map[string]any) {
	if _, ok := v["errcode"]; !ok {
		v["errcode"], v["errmsg"] = 0, "ok"
	}
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeKF) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := r.URL.Query()
	if r.URL.Path == "/cgi-bin/gettoken" {
		if q.Get("corpid") != corpID || q.Get("corpsecret") != secret {
			reply(w, map[string]any{"errcode": 40001, "errmsg": "invalid credential"})
			return
		}
		reply(w, map[string]any{"access_token": "KF_TOKEN", "expires_in": 7200})
		return
	}
	if q.Get("access_token") != "KF_TOKEN" {
		reply(w, map[string]any{"errcode": 40014, "errmsg": "invalid access_token"})
		return
	}
	var body map[string]any
	_ = json.NewDecoder(r.Body).Decode(&body)
	str := func(k string) string { s, _ := body[k].(string); return s }
	switch r.URL.Path {
	case "/cgi-bin/kf/sync_msg":
		f.pulls++
		if str("open_kfid") != kfID || !strings.HasPrefix(str("token"), "ENC") {
			reply(w, map[string]any{"errcode": 95007, "errmsg": "invalid msg token"})
			return
		}
		from := 0
		if c := str("cursor"); c != "" {
			from, _ = strconv.Atoi(strings.TrimPrefix(c, "c"))
		}
		limit := int(body["limit"].(float64))
		to := min(from+min(limit, 2), len(f.log)) // small pages, to test has_more
		more := 0
		if to < len(f.log) {
			more = 1
		}
		reply(w, map[string]any{"next_cursor": fmt.Sprint("c", to), "has_more": more, "msg_list": f.log[from:to]})
	case "/cgi-bin/kf/send_msg":
		user := str("touser")
		if s := f.states[user]; s == 2 || s == 3 || s == 4 {
			reply(w, map[string]any{"errcode": 95018, "errmsg": "send msg session status invalid"})
			return
		}
		f.states[user] = 1
		text, _ := body["text"].(map[string]any)
		f.record(user, text["content"].(string))
		reply(w, map[string]any{"msgid": fmt.Sprint("out", msgSeq.Add(1))})
	case "/cgi-bin/kf/send_msg_on_event":
		text, _ := body["text"].(map[string]any)
		f.record(strings.TrimPrefix(strings.TrimPrefix(str("code"), "END_CODE_"), "WELCOME_"), text["content"].(string))
		reply(w, map[string]any{})
	case "/cgi-bin/kf/service_state/get":
		reply(w, map[string]any{"service_state": f.states[str("external_userid")], "servicer_userid": ""})
	case "/cgi-bin/kf/service_state/trans":
		user, to := str("external_userid"), int(body["service_state"].(float64))
		if to == 3 && (str("servicer_userid") != servicer || !f.onDuty) {
			reply(w, map[string]any{"errcode": 95014, "errmsg": "servicer not receiving"})
			return
		}
		f.states[user] = to
		f.trans = append(f.trans, fmt.Sprintf("%s→%d(%s)", user, to, str("servicer_userid")))
		reply(w, map[string]any{"msg_code": "TRANS_CODE"})
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeKF) record(to, text string) {
	f.sent = append(f.sent, sent{to, text})
	close(f.changed)
	f.changed = make(chan struct{})
}

// texts waits until user has been sent n messages and returns them.
func (f *fakeKF) texts(t *testing.T, user string, n int) []string {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		f.mu.Lock()
		got := f.to(user)
		ch := f.changed
		f.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("%s got %d messages, want %d: %q", user, len(got), n, got)
		}
	}
}

func (f *fakeKF) to(user string) []string {
	var got []string
	for _, s := range f.sent {
		if s.to == user {
			got = append(got, s.text)
		}
	}
	return got
}

func (f *fakeKF) sentTo(user string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.to(user)
}

func sign(parts ...string) string {
	parts = slices.Clone(parts)
	sort.Strings(parts)
	return fmt.Sprintf("%x", sha1.Sum([]byte(strings.Join(parts, ""))))
}

// notify posts a kf_msg_or_event callback to url as WeCom does and
// returns the status.
func notify(t *testing.T, url string, tamper bool) int {
	t.Helper()
	inner := fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType>"+
		"<Event><![CDATA[kf_msg_or_event]]></Event><Token><![CDATA[ENC%d]]></Token><OpenKfId><![CDATA[%s]]></OpenKfId></xml>",
		corpID, time.Now().Unix(), msgSeq.Add(1), kfID)
	enc, err := util.EncryptMsg([]byte("0123456789abcdef"), []byte(inner), corpID, aesKey)
	if err != nil {
		t.Fatal(err)
	}
	ts, nonce := fmt.Sprint(time.Now().Unix()), fmt.Sprint("n", msgSeq.Add(1))
	sig := sign(token, ts, nonce, string(enc))
	if tamper {
		sig = sign("guessed", ts, nonce, string(enc))
	}
	q := urlValues("msg_signature", sig, "timestamp", ts, "nonce", nonce)
	body := fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><Encrypt><![CDATA[%s]]></Encrypt><AgentID><![CDATA[]]></AgentID></xml>", corpID, enc)
	resp, err := http.Post(url+"?"+q, "text/xml", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func urlValues(kv ...string) string {
	v := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v.Encode()
}
