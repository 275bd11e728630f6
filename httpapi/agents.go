package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/handoff"
)

// agentVia names the agent API as where a ticket action came from.
const agentVia = "api"

// maxAgentText bounds an agent's reply, in characters.
const maxAgentText = 4000

// agentRoutes are the agent API's routes, all behind the bearer token.
var agentRoutes = []string{"GET /v1/tickets", "GET /v1/tickets/{id}", "POST /v1/tickets/{id}/claim",
	"POST /v1/tickets/{id}/reply", "POST /v1/tickets/{id}/close"}

// mountAgents serves the agent API: the active tickets, one ticket with its
// transcript, and claim, reply and close.
func (s *Server) mountAgents() {
	h := []http.HandlerFunc{s.listTickets, s.getTicket, s.claimTicket, s.replyTicket, s.closeTicket}
	for i, pattern := range agentRoutes {
		s.mux.Handle(pattern, s.agentOnly(h[i]))
	}
}

// agentOnly answers 401 unless the request carries "Authorization: Bearer
// <POSBOT_AGENT_TOKEN>"; without a configured token, always. The token is
// compared by its SHA-256 in constant time, so neither its content nor its
// length leaks through timing.
func (s *Server) agentOnly(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if s.agentToken == nil || !ok {
			s.refuse(w, r)
			return
		}
		sum := sha256.Sum256([]byte(strings.TrimSpace(got)))
		if subtle.ConstantTimeCompare(sum[:], s.agentToken) != 1 {
			s.refuse(w, r)
			return
		}
		h(w, r)
	})
}

func (s *Server) refuse(w http.ResponseWriter, r *http.Request) {
	s.log.WarnContext(r.Context(), "agent API call refused", "request_id", RequestID(r.Context()), "route", r.Pattern)
	w.Header().Set("WWW-Authenticate", `Bearer realm="posbot agents"`)
	writeError(w, http.StatusUnauthorized, "agent API: a valid bearer token (POSBOT_AGENT_TOKEN) is required")
}

// ticketJSON is a ticket with its transcript, as GET /v1/tickets/{id} returns it.
type ticketJSON struct {
	handoff.Ticket
	Transcript []bot.Turn `json:"transcript"`
}

func (s *Server) listTickets(w http.ResponseWriter, r *http.Request) {
	ts, err := s.agents.Active(r.Context())
	if err != nil {
		s.agentFailed(w, r, err)
		return
	}
	if ts == nil {
		ts = []handoff.Ticket{}
	}
	writeJSON(w, http.StatusOK, ts)
}

func (s *Server) getTicket(w http.ResponseWriter, r *http.Request) {
	id, ok := ticketID(w, r)
	if !ok {
		return
	}
	t, turns, err := s.agents.Ticket(r.Context(), id)
	if err != nil {
		s.agentFailed(w, r, err)
		return
	}
	if turns == nil {
		turns = []bot.Turn{}
	}
	writeJSON(w, http.StatusOK, ticketJSON{t, turns})
}

// agentRequest is the optional body of claim, reply and close.
type agentRequest struct {
	// Agent names who acts; the X-Agent header or "api" if empty.
	Agent string `json:"agent"`
	// Text is the reply (reply only).
	Text string `json:"text"`
}

func (s *Server) claimTicket(w http.ResponseWriter, r *http.Request) {
	s.act(w, r, func(id int64, req agentRequest) (handoff.Ticket, error) {
		return s.agents.Claim(r.Context(), id, req.Agent, agentVia)
	})
}

func (s *Server) closeTicket(w http.ResponseWriter, r *http.Request) {
	s.act(w, r, func(id int64, req agentRequest) (handoff.Ticket, error) {
		return s.agents.Close(r.Context(), id, req.Agent, agentVia)
	})
}

// replyTicket relays {"text"} to the merchant. An Idempotency-Key header
// makes a retried request relay the message once.
func (s *Server) replyTicket(w http.ResponseWriter, r *http.Request) {
	s.act(w, r, func(id int64, req agentRequest) (handoff.Ticket, error) {
		text := strings.TrimSpace(req.Text)
		if text == "" || utf8.RuneCountInString(text) > maxAgentText {
			return handoff.Ticket{}, errBadReply
		}
		key := ""
		if k := r.Header.Get("Idempotency-Key"); k != "" {
			key = "api:" + k
		}
		return s.agents.Reply(r.Context(), id, req.Agent, text, key, agentVia)
	})
}

var errBadReply = errors.New("text is required, at most 4000 characters")

// act reads the ticket id and the optional body, runs do and answers with
// the ticket.
func (s *Server) act(w http.ResponseWriter, r *http.Request, do func(int64, agentRequest) (handoff.Ticket, error)) {
	id, ok := ticketID(w, r)
	if !ok {
		return
	}
	var req agentRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.maxBody))
	if err := dec.Decode(&req); err != nil && !errors.Is(err, io.EOF) {
		writeError(w, http.StatusBadRequest, "invalid JSON body: "+jsonProblem(err))
		return
	}
	req.Agent = strings.TrimSpace(req.Agent)
	if req.Agent == "" {
		req.Agent = strings.TrimSpace(r.Header.Get("X-Agent"))
	}
	if req.Agent == "" || utf8.RuneCountInString(req.Agent) > 64 {
		req.Agent = agentVia
	}
	t, err := do(id, req)
	if err != nil {
		s.agentFailed(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func ticketID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusBadRequest, "ticket id must be a positive whole number")
		return 0, false
	}
	return id, true
}

// agentFailed answers an error of the handoff service.
func (s *Server) agentFailed(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, errBadReply):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, handoff.ErrNotFound):
		writeError(w, http.StatusNotFound, "no such ticket")
	case errors.Is(err, handoff.ErrClosed), errors.Is(err, handoff.ErrClaimed):
		writeError(w, http.StatusConflict, err.Error())
	default:
		s.log.ErrorContext(r.Context(), "agent API call failed", "request_id", RequestID(r.Context()), "route", r.Pattern, "err", err)
		writeError(w, http.StatusBadGateway, "the ticket could not be updated or the merchant not reached; try again")
	}
}
