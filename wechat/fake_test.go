package wechat_test

import (
	"bytes"
	"crypto/sha1"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
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

// The account the tests play WeChat for.
const (
	appID     = "wx0123456789abcdef"
	appSecret = "app-secret-never-logged"
	token     = "callback-token"
	aesKey    = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG" // 43 characters
	account   = "gh_posbot"
)

// fakeAPI is WeChat's API as far as posbot uses it: stable_token, the
// customer-service message API and the media API, plus an image host for
// PicUrl. It checks the access token on every call.
type fakeAPI struct {
	*httptest.Server

	mu      sync.Mutex
	tokens  int               // tokens issued
	current string            // the valid token
	sent    []sent            // customer-service messages, in order
	calls   map[string]int    // customer-service calls per openid, failed ones too
	refuse  map[string]int64  // openid → errcode the send API answers
	media   map[string][]byte // media_id → file
	pics    map[string][]byte // /pic/<name> → file
	expire  bool              // answer the next call with 42001
	changed chan struct{}     // closed and renewed on every message sent
}

type sent struct {
	ToUser  string
	Content string
}

func newFakeAPI(t *testing.T) *fakeAPI {
	f := &fakeAPI{calls: map[string]int{}, refuse: map[string]int64{}, media: map[string][]byte{},
		pics: map[string][]byte{}, changed: make(chan struct{})}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if name, ok := strings.CutPrefix(r.URL.Path, "/pic/"); ok {
		if b, ok := f.pics[name]; ok {
			w.Header().Set("Content-Type", "image/png")
			_, _ = w.Write(b)
			return
		}
		http.NotFound(w, r)
		return
	}
	if r.URL.Path == "/cgi-bin/stable_token" {
		var req struct{ GrantType, AppID, Secret string }
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &req)
		if r.Method != http.MethodPost || !strings.Contains(string(body), `"appid":"`+appID+`"`) ||
			!strings.Contains(string(body), `"secret":"`+appSecret+`"`) {
			writeJSON(w, map[string]any{"errcode": 40125, "errmsg": "invalid appsecret"})
			return
		}
		f.tokens++
		f.current = fmt.Sprintf("ACCESS_TOKEN_%d", f.tokens)
		writeJSON(w, map[string]any{"access_token": f.current, "expires_in": 7200})
		return
	}
	if got := r.URL.Query().Get("access_token"); got == "" || got != f.current || f.expire {
		f.expire = false
		writeJSON(w, map[string]any{"errcode": 42001, "errmsg": "access_token expired"})
		return
	}
	switch r.URL.Path {
	case "/cgi-bin/message/custom/send":
		var m struct {
			ToUser  string `json:"touser"`
			MsgType string `json:"msgtype"`
			Text    struct {
				Content string `json:"content"`
			} `json:"text"`
		}
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil || m.MsgType != "text" {
			writeJSON(w, map[string]any{"errcode": 40008, "errmsg": "invalid message type"})
			return
		}
		f.calls[m.ToUser]++
		if code, ok := f.refuse[m.ToUser]; ok {
			writeJSON(w, map[string]any{"errcode": code, "errmsg": "refused"})
			return
		}
		if len(m.Text.Content) > 2048 {
			writeJSON(w, map[string]any{"errcode": 45002, "errmsg": "content size out of limit"})
			return
		}
		f.sent = append(f.sent, sent{m.ToUser, m.Text.Content})
		close(f.changed)
		f.changed = make(chan struct{})
		writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok"})
	case "/cgi-bin/media/get":
		b, ok := f.media[r.URL.Query().Get("media_id")]
		if !ok {
			writeJSON(w, map[string]any{"errcode": 40007, "errmsg": "invalid media_id"})
			return
		}
		w.Header().Set("Content-Type", "image/jpeg")
		_, _ = w.Write(b)
	default:
		http.NotFound(w, r)
	}
}

// messages waits until openID has been sent n messages and returns them.
func (f *fakeAPI) messages(t *testing.T, openID string, n int) []string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		f.mu.Lock()
		var got []string
		for _, s := range f.sent {
			if s.ToUser == openID {
				got = append(got, s.Content)
			}
		}
		ch := f.changed
		f.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("%s got %d messages, want %d: %q", openID, len(got), n, got)
		}
	}
}

// sentTo returns the messages sent to openID so far.
func (f *fakeAPI) sentTo(openID string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var got []string
	for _, s := range f.sent {
		if s.ToUser == openID {
			got = append(got, s.Content)
		}
	}
	return got
}

func (f *fakeAPI) callsTo(openID string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[openID]
}

// wechatServer posts callbacks to posbot as WeChat's servers do.
type wechatServer struct {
	url  string // posbot's callback URL
	safe bool   // safe mode: encrypted envelopes
	seq  atomic.Int64
}

// sign is WeChat's signature: SHA-1 over the sorted strings, in hex.
func sign(parts ...string) string {
	parts = slices.Clone(parts)
	sort.Strings(parts)
	sum := sha1.Sum([]byte(strings.Join(parts, "")))
	return fmt.Sprintf("%x", sum)
}

func cdata(s string) string { return "<![CDATA[" + s + "]]>" }

// textXML is a text message as WeChat posts it.
func textXML(openID string, msgID int64, content string) string {
	return fmt.Sprintf("<xml><ToUserName>%s</ToUserName><FromUserName>%s</FromUserName><CreateTime>%d</CreateTime>"+
		"<MsgType>%s</MsgType><Content>%s</Content><MsgId>%d</MsgId></xml>",
		cdata(account), cdata(openID), time.Now().Unix(), cdata("text"), cdata(content), msgID)
}

func imageXML(openID string, msgID int64, picURL, mediaID string) string {
	return fmt.Sprintf("<xml><ToUserName>%s</ToUserName><FromUserName>%s</FromUserName><CreateTime>%d</CreateTime>"+
		"<MsgType>%s</MsgType><PicUrl>%s</PicUrl><MediaId>%s</MediaId><MsgId>%d</MsgId></xml>",
		cdata(account), cdata(openID), time.Now().Unix(), cdata("image"), cdata(picURL), cdata(mediaID), msgID)
}

func voiceXML(openID string, msgID int64, recognition string) string {
	return fmt.Sprintf("<xml><ToUserName>%s</ToUserName><FromUserName>%s</FromUserName><CreateTime>%d</CreateTime>"+
		"<MsgType>%s</MsgType><MediaId>%s</MediaId><Format>%s</Format><Recognition>%s</Recognition><MsgId>%d</MsgId></xml>",
		cdata(account), cdata(openID), time.Now().Unix(), cdata("voice"), cdata("voice-media"), cdata("amr"), cdata(recognition), msgID)
}

func eventXML(openID, event string, created int64) string {
	return fmt.Sprintf("<xml><ToUserName>%s</ToUserName><FromUserName>%s</FromUserName><CreateTime>%d</CreateTime>"+
		"<MsgType>%s</MsgType><Event>%s</Event><EventKey>%s</EventKey></xml>",
		cdata(account), cdata(openID), created, cdata("event"), cdata(event), cdata(""))
}

// callback is one POST as WeChat sends it.
type callback struct {
	body  string
	query url.Values
}

// wrap signs body (sealing it in safe mode) as WeChat would at time at.
func (s *wechatServer) wrap(t *testing.T, body string, at time.Time) callback {
	t.Helper()
	ts := strconv.FormatInt(at.Unix(), 10)
	nonce := fmt.Sprintf("nonce%d", s.seq.Add(1))
	q := url.Values{"signature": {sign(token, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce}, "openid": {"o"}}
	if !s.safe {
		return callback{body, q}
	}
	enc, err := util.EncryptMsg([]byte("0123456789abcdef"), []byte(body), appID, aesKey)
	if err != nil {
		t.Fatal(err)
	}
	q.Set("encrypt_type", "aes")
	q.Set("msg_signature", sign(token, ts, nonce, string(enc)))
	return callback{fmt.Sprintf("<xml><ToUserName>%s</ToUserName><Encrypt>%s</Encrypt></xml>", cdata(account), cdata(string(enc))), q}
}

// post sends a callback and returns the status and the passive reply's
// text: "success" when acknowledged, the decrypted Content of a reply.
func (s *wechatServer) post(t *testing.T, c callback) (int, string) {
	t.Helper()
	resp, err := http.Post(s.url+"?"+c.query.Encode(), "text/xml", strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(b) == "success" || len(b) == 0 {
		return resp.StatusCode, string(b)
	}
	if s.safe {
		var env struct {
			Encrypt, MsgSignature, TimeStamp, Nonce string
		}
		if err := xml.Unmarshal(b, &env); err != nil {
			t.Fatalf("reply is not an envelope: %s", b)
		}
		if env.MsgSignature != sign(token, env.TimeStamp, env.Nonce, env.Encrypt) {
			t.Fatalf("reply's MsgSignature is wrong: %s", b)
		}
		_, plain, err := util.DecryptMsg(appID, env.Encrypt, aesKey)
		if err != nil {
			t.Fatalf("reply does not decrypt: %v", err)
		}
		b = plain
	}
	var reply struct {
		ToUserName, FromUserName, MsgType, Content string
		CreateTime                                 int64
	}
	if err := xml.Unmarshal(b, &reply); err != nil || reply.MsgType != "text" || reply.FromUserName != account {
		t.Fatalf("passive reply %s: %v", b, err)
	}
	return resp.StatusCode, reply.Content
}

// send posts body as WeChat would now.
func (s *wechatServer) send(t *testing.T, body string) (int, string) {
	t.Helper()
	return s.post(t, s.wrap(t, body, time.Now()))
}

// syncBuffer is a log destination for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
