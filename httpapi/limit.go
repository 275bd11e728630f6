package httpapi

import (
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
)

// allowNew applies the new-conversation limit to a request that names no
// conversation: the engine limits each conversation, but a client that never
// sends conversation_id starts a new one with every request. It counts the
// request against the client's address and, over the limit, answers 429 with
// Retry-After and returns false. A limiter that fails lets the request
// through (see bot.Limiter).
func (s *Server) allowNew(w http.ResponseWriter, r *http.Request) bool {
	if s.newConvs == nil {
		return true
	}
	ctx := r.Context()
	client := s.clientAddr(r)
	ok, after, err := s.newConvs.Allow(ctx, "ip:"+client)
	switch {
	case err != nil:
		s.log.WarnContext(ctx, "new-conversation limiter unavailable; not limiting", "request_id", RequestID(ctx), "err", err)
		return true
	case ok:
		return true
	}
	secs := max(1, int(math.Ceil(after.Seconds())))
	s.log.InfoContext(ctx, "new conversations rate limited", "request_id", RequestID(ctx), "client", client, "retry_after_ms", after.Milliseconds())
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeError(w, http.StatusTooManyRequests, s.both("new_conversations", secs))
	return false
}

// clientAddr names the client that sent r, for rate limits: the address of
// the connection, or, when that is a trusted proxy, the nearest address in
// X-Forwarded-For that is not one. Entries left of an untrusted one could be
// made up by the client, so they are never believed. IPv6 clients are named
// by their /64, the block one subscriber usually holds.
func (s *Server) clientAddr(r *http.Request) string {
	addr, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr // not TCP (a unix socket, a test): one client
	}
	client := addr.Addr().Unmap()
	if s.trusted(client) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop, err := parseHop(hops[i])
			if err != nil {
				break // a garbled chain: the last proxy we trust is all we know
			}
			client = hop
			if !s.trusted(hop) {
				break
			}
		}
	}
	if client.Is6() {
		p, _ := client.Prefix(64)
		return p.String()
	}
	return client.String()
}

// trusted reports whether a is one of the configured proxies.
func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseHop reads one X-Forwarded-For entry: an address, possibly with a port.
func parseHop(s string) (netip.Addr, error) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), nil
	}
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return netip.Addr{}, err
	}
	return ap.Addr().Unmap(), nil
}
