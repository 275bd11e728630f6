package metrics

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// copyingServer serves its mux a copy of each request, as httpapi.Server
// does when it adds a deadline, so r.Pattern never reaches its caller.
type copyingServer struct{ mux *http.ServeMux }

func (s copyingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	s.mux.ServeHTTP(w, r.WithContext(ctx))
}

func TestHTTP(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/messages", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("bad") {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		w.Write([]byte("{}"))
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {}) // writes nothing: 200
	mux.HandleFunc("POST /telegram/{secret}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
	})
	patterns := []string{"POST /v1/messages", "GET /healthz", "POST /telegram/{secret}"}

	tests := []struct {
		name    string
		handler func(m *Metrics) http.Handler
	}{
		{"ServeMux", func(m *Metrics) http.Handler { return m.HTTP(mux) }},
		{"server copying the request", func(m *Metrics) http.Handler { return m.HTTP(copyingServer{mux}, patterns...) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := New()
			h := tt.handler(m)
			for _, req := range []struct{ method, target string }{
				{"POST", "/v1/messages"}, {"POST", "/v1/messages"}, {"POST", "/v1/messages?bad"},
				{"GET", "/healthz"}, {"POST", "/telegram/hunter2"}, {"GET", "/wp-login.php"},
			} {
				h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(req.method, req.target, strings.NewReader("{}")))
			}
			text := scrape(t, m)
			wantLines(t, text,
				`posbot_http_requests_total{code="200",route="POST /v1/messages"} 2`,
				`posbot_http_requests_total{code="400",route="POST /v1/messages"} 1`,
				`posbot_http_requests_total{code="200",route="GET /healthz"} 1`,
				`posbot_http_requests_total{code="401",route="POST /telegram/{secret}"} 1`,
				`posbot_http_requests_total{code="404",route="unmatched"} 1`,
				`posbot_http_request_duration_seconds_count{route="POST /v1/messages"} 3`,
			)
			for _, raw := range []string{"hunter2", "wp-login"} {
				if strings.Contains(text, raw) {
					t.Errorf("a raw path (%s) became a label", raw)
				}
			}
		})
	}
}

// The middleware keeps the writer's optional interfaces reachable.
func TestHTTPFlush(t *testing.T) {
	t.Parallel()
	m := New()
	h := m.HTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("Flush through the middleware: %v", err)
		}
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/stream", nil))
	if !rec.Flushed || rec.Code != http.StatusAccepted {
		t.Errorf("flushed %v, code %d", rec.Flushed, rec.Code)
	}
	wantLines(t, scrape(t, m), `posbot_http_requests_total{code="202",route="unmatched"} 1`)
}
