// Package httpapi is posbot's HTTP channel: a JSON endpoint that hands
// merchant messages to the conversation engine, a health check, a small
// chat page for a browser or phone (answers in sections, 解决了 / 没解决
// buttons, screenshots read by OCR, a server-sent events stream for what
// agents write), and the agent API of the handoff.
package httpapi

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"net/http"
	"net/netip"
	"regexp"
	"time"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/handoff"
	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/logging"
	"github.com/posbot/posbot/ocr"
)

// Engine answers one merchant message: channel.Handler, which the
// conversation engine and handoff.Gate implement.
type Engine = channel.Handler

// Defaults used for zero Options fields.
const (
	// DefaultMaxBodyBytes bounds a POST /v1/messages body: 64 KiB.
	DefaultMaxBodyBytes = 64 << 10
	// DefaultMaxTextRunes bounds a message's text: 2000 characters.
	DefaultMaxTextRunes = 2000
	// DefaultTimeout bounds each request: 15 s.
	DefaultTimeout = 15 * time.Second
)

// Options configure a Server. The zero value is usable: every zero field takes
// its default.
type Options struct {
	// Logger receives access and error logs; nil means slog.Default().
	Logger *slog.Logger
	// MaxBodyBytes bounds a POST /v1/messages body; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxTextRunes bounds the message text in characters; 0 means DefaultMaxTextRunes.
	MaxTextRunes int
	// Timeout bounds each request's context, and so the Engine call; 0 means
	// DefaultTimeout.
	Timeout time.Duration
	// NewConversations limits, per client address (key "ip:<address>"), the
	// requests that name no conversation_id and so start a new one, which
	// the engine's per-conversation limit cannot see; nil means no limit.
	NewConversations bot.Limiter
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the
	// client; empty means the header is ignored and the client is the
	// connection's address.
	TrustedProxies []netip.Prefix
	// Feed carries agents' messages and status changes to the chat page
	// (GET /v1/conversations/{id}/events); nil means no event stream.
	Feed channel.Feed
	// StreamFor is how long one event stream stays open; 0 means
	// DefaultStreamFor.
	StreamFor time.Duration
	// Agents serves the agent API (/v1/tickets…); nil means no agent API.
	Agents *handoff.Service
	// AgentToken is the bearer token the agent API requires
	// (POSBOT_AGENT_TOKEN); with "" every agent API call is refused.
	AgentToken string
	// OCR reads the screenshots posted to POST /v1/messages/image; nil
	// means pictures are answered with a request to type the code, and the
	// chat page offers no attach button.
	OCR ocr.Reader
	// MaxImageBytes caps a screenshot; 0 means channel.DefaultMaxImageBytes.
	MaxImageBytes int64
	// MaxOCR bounds the screenshots read at once; 0 means the number of
	// CPUs.
	MaxOCR int
	// Base holds what the server tells merchants in its own words
	// (channels.yaml's http texts); nil means the embedded knowledge base.
	Base *knowledge.Base
}

// Server is the HTTP channel. It routes requests, gives each one a request id
// and a deadline, logs it, and turns handler panics into 500 responses. Build
// it with New. It is safe for concurrent use.
type Server struct {
	engine  Engine
	log     *slog.Logger
	maxBody int64
	maxText int
	timeout time.Duration
	mux     *http.ServeMux
	page    page

	newConvs bot.Limiter
	proxies  []netip.Prefix

	feed       channel.Feed
	streamFor  time.Duration
	streams    context.Context // done when CloseStreams is called
	endStreams context.CancelFunc
	agents     *handoff.Service
	agentToken []byte // SHA-256 of the token; nil: refuse every call

	screens  *channel.Screens
	ocrSlots chan struct{} // one token per screenshot being read
	texts    knowledge.Texts
}

// New returns a Server that answers messages with e and serves the routes
// POST /v1/messages, POST /v1/messages/image, POST /v1/feedback,
// GET /healthz and GET /; with a Feed also
// GET /v1/conversations/{id}/events, and with Agents the agent API:
// GET /v1/tickets, GET /v1/tickets/{id} and POST /v1/tickets/{id}/claim,
// /reply and /close. It panics when Options.Base has no channel texts, or
// is nil and the embedded knowledge base does not load (which go test
// ./knowledge rules out).
func New(e Engine, opts Options) *Server {
	base, err := channel.Knowledge(opts.Base)
	if err != nil {
		panic("httpapi: " + err.Error())
	}
	s := &Server{
		engine:  e,
		log:     opts.Logger,
		maxBody: opts.MaxBodyBytes,
		maxText: opts.MaxTextRunes,
		timeout: opts.Timeout,
		mux:     http.NewServeMux(),

		newConvs: opts.NewConversations,
		proxies:  opts.TrustedProxies,

		feed:      opts.Feed,
		streamFor: opts.StreamFor,
		agents:    opts.Agents,
		texts:     base.ChannelTexts().For("http"),
	}
	if opts.AgentToken != "" {
		sum := sha256.Sum256([]byte(opts.AgentToken))
		s.agentToken = sum[:]
	}
	if s.streamFor <= 0 {
		s.streamFor = DefaultStreamFor
	}
	s.streams, s.endStreams = context.WithCancel(context.Background())
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if s.maxText <= 0 {
		s.maxText = DefaultMaxTextRunes
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	s.mountWebChat(opts, base.ChannelTexts().For("screens"))
	s.page = newPage(pageParams{MaxTextRunes: s.maxText, MaxImageBytes: s.screens.MaxBytes, Images: opts.OCR != nil,
		ImageTooLarge: s.screens.TooLarge("zh")}) // the page speaks Chinese

	s.mux.HandleFunc("POST /v1/messages", s.handleMessage)
	// Any other method on the endpoint gets a JSON 405 instead of the
	// ServeMux's plain-text one, so API clients always see JSON.
	s.mux.HandleFunc("/v1/messages", methodNotAllowed(http.MethodPost))
	s.mux.HandleFunc("GET /healthz", handleHealth)
	s.mux.Handle("GET /{$}", s.page)
	if s.feed != nil {
		s.mux.HandleFunc("GET "+eventsRoute, s.handleEvents)
	}
	if s.agents != nil {
		s.mountAgents()
	}
	return s
}

// eventsRoute is the event stream's route; eventsPath matches its paths.
const eventsRoute = "/v1/conversations/{id}/events"

var eventsPath = regexp.MustCompile(`^/v1/conversations/[^/]+/events$`)

// Routes returns the patterns the Server serves as configured, for
// metrics that label requests by route.
func (s *Server) Routes() []string {
	r := []string{"POST /v1/messages", "/v1/messages", "GET /healthz", "GET /{$}"}
	r = append(r, webChatRoutes...)
	if s.feed != nil {
		r = append(r, "GET "+eventsRoute)
	}
	if s.agents != nil {
		r = append(r, agentRoutes...)
	}
	return r
}

// Handle mounts h at pattern (http.ServeMux syntax, e.g. "POST /telegram"),
// behind the same request id, deadline, logging and panic recovery as the
// built-in routes. It panics if pattern conflicts with a mounted one.
func (s *Server) Handle(pattern string, h http.Handler) {
	s.mux.Handle(pattern, h)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := requestIDFrom(r)
	ctx := logging.With(withRequestID(r.Context(), id), "request_id", id)
	if !streaming(r) { // an event stream bounds itself (StreamFor)
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	r = r.WithContext(ctx)

	rw := &recorder{ResponseWriter: w}
	rw.Header().Set("X-Request-ID", id)
	rw.Header().Set("X-Content-Type-Options", "nosniff")

	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(ctx, "handler panic",
				"request_id", id, "route", r.Pattern, "panic", v, "stack", stack())
			if !rw.wrote {
				writeError(rw, http.StatusInternalServerError, s.both("internal_error"))
			}
		}
		level := slog.LevelInfo
		if quiet(r.URL.Path) || answered(r, rw.status()) {
			level = slog.LevelDebug
		}
		// The route pattern, not the path, is logged: a mounted webhook path
		// may carry a secret.
		s.log.Log(ctx, level, "http request",
			"request_id", id,
			"method", r.Method,
			"route", r.Pattern,
			"status", rw.status(),
			"latency_ms", time.Since(start).Milliseconds())
	}()

	s.mux.ServeHTTP(rw, r)
}

// quiet reports whether path is polled by machines often enough that its
// access log belongs at Debug.
func quiet(path string) bool {
	switch path {
	case "/healthz", "/readyz", "/metrics":
		return true
	}
	return false
}

// answered reports whether r was a message answered with status: its line
// at Info is the engine's "answered" (or the handoff's "relayed to a
// person", or "engine failed"), with the same request id, so the access log
// goes to Debug and a message makes one line, as on every channel.
func answered(r *http.Request, status int) bool {
	return status == http.StatusOK && r.Pattern == "POST /v1/messages"
}

// handleHealth reports that the process is up; readiness is the lead's /readyz.
func handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// methodNotAllowed answers 405 in JSON, naming the allowed method.
func methodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed,
			"请求方法不对，请用 "+allow+"。 Method not allowed, use "+allow+".")
	}
}
