package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/metrics"
	"github.com/posbot/posbot/retrieval"
)

// pgProxy stands between posbot and the test PostgreSQL, so the database can
// fail under a running server: it forwards, then either hangs (connections
// stay open and nothing more is answered, new ones are accepted and never
// answered, so pgx blocks) or closes (the port refuses connections).
type pgProxy struct {
	ln       net.Listener
	upstream string

	mu      sync.Mutex
	hung    bool
	clients []net.Conn // posbot's side
	servers []net.Conn // PostgreSQL's side
}

func newPGProxy(t *testing.T, upstream string) *pgProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &pgProxy{ln: ln, upstream: upstream}
	go p.accept()
	return p
}

func (p *pgProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.mu.Lock()
		p.clients = append(p.clients, c)
		hung := p.hung
		p.mu.Unlock()
		if hung {
			continue // accepted, never answered
		}
		s, err := net.Dial("tcp", p.upstream)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.servers = append(p.servers, s)
		p.mu.Unlock()
		go p.pump(s, c)
		go p.pump(c, s)
	}
}

// pump copies src to dst; when one side ends it ends the other, unless the
// proxy hangs, where posbot's side must stay open and silent.
func (p *pgProxy) pump(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	p.mu.Lock()
	hung := p.hung
	p.mu.Unlock()
	if !hung {
		dst.Close()
		src.Close()
	}
}

// hang stops answering: PostgreSQL's side of every connection is cut while
// posbot's stays open, and new connections are never answered.
func (p *pgProxy) hang() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hung = true
	for _, s := range p.servers {
		s.Close()
	}
}

// close closes the port and every connection through it.
func (p *pgProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range append(p.clients, p.servers...) {
		c.Close()
	}
}

// testPostgres returns a URL of a fresh database holding the embedded
// knowledge base on the server of POSBOT_TEST_POSTGRES_URL, dropped when the
// test ends. Without the variable the test is skipped, in CI it fails.
func testPostgres(t *testing.T) *url.URL {
	t.Helper()
	admin := os.Getenv("POSBOT_TEST_POSTGRES_URL")
	if admin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("POSBOT_TEST_POSTGRES_URL must be set in CI")
		}
		t.Skip("POSBOT_TEST_POSTGRES_URL not set")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "posbot_t_" + hex.EncodeToString(b[:])
	exec := func(sql string) {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Fatalf("connect to POSBOT_TEST_POSTGRES_URL: %v", err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec("CREATE DATABASE " + name)
	t.Cleanup(func() { exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)") })
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	base, err := knowledge.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	if err := runIngest(context.Background(), u.String(), base, retrieval.NewHashEmbedder(0), io.Discard); err != nil {
		t.Fatal(err)
	}
	return u
}

// TestPostgresDownStillAnswers runs the serve stack on PostgreSQL through a
// proxy, then makes the database hang or go away: every message is still
// answered from the embedded knowledge base within a 2 s context, the
// fallbacks are counted and logged once per change, not per message.
func TestPostgresDownStillAnswers(t *testing.T) {
	db := testPostgres(t)
	base, err := knowledge.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		fail   func(p *pgProxy)
		reason string // the first fallback's
	}{
		{"hung", (*pgProxy).hang, retrieval.FallbackTimeout},
		{"unreachable", (*pgProxy).close, retrieval.FallbackError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs lockedBuffer
			log := slog.New(slog.NewJSONHandler(&logs, nil))
			m := metrics.New()
			proxied := *db
			proxy := newPGProxy(t, db.Host)
			proxied.Host = proxy.ln.Addr().String()
			cfg, err := loadConfig(env(map[string]string{"POSBOT_POSTGRES_URL": proxied.String()}))
			if err != nil {
				t.Fatal(err)
			}
			st, err := openStores(context.Background(), cfg, log, m)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(st.close)
			t.Cleanup(proxy.close) // first, so the pool's hung connections end
			e, err := buildEngine(context.Background(), cfg, base, cfg.Retriever, log, st.apply)
			if err != nil {
				t.Fatal(err)
			}

			ask := func(conv, text string) bot.Reply {
				t.Helper()
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				r, err := e.Handle(ctx, bot.Message{ConversationID: conv, Channel: "test", Text: text})
				if err != nil || ctx.Err() != nil {
					t.Fatalf("Handle(%q): %v (context: %v); want an answer within 2 s", text, err, ctx.Err())
				}
				return r
			}
			healthy := ask("conv:healthy", "刷卡显示交易失败51")
			if healthy.Code != "51" {
				t.Fatalf("healthy PostgreSQL: code %q, want 51", healthy.Code)
			}
			if n := fallbackCount(t, m, ""); n != 0 {
				t.Fatalf("%v fallbacks while PostgreSQL is healthy", n)
			}

			tc.fail(proxy)
			for i := range 3 {
				conv := "conv:" + tc.name + string(rune('a'+i))
				if r := ask(conv, "刷卡显示交易失败51"); r.Code != "51" || r.Target != "bank" || len(r.Sources) == 0 {
					t.Errorf("message %d with PostgreSQL %s: code %q target %q sources %v, want the answer for 51", i+1, tc.name, r.Code, r.Target, r.Sources)
				}
				r := ask(conv+"-comm", "机器一直通讯失败")
				if r.Target != "provider" || len(r.Sources) == 0 || r.Sources[0].ID != "msg-comm-fail" {
					t.Errorf("message %d with PostgreSQL %s: target %q sources %v, want msg-comm-fail", i+1, tc.name, r.Target, r.Sources)
				}
				// 没解决 records the outcome in PostgreSQL: bounded by its call deadline.
				if r := ask(conv, "没解决"); r.Answer == "" {
					t.Errorf("没解决 with PostgreSQL %s: empty answer", tc.name)
				}
			}
			if n := fallbackCount(t, m, tc.reason); n < 1 {
				t.Errorf("no fallback counted with reason %q", tc.reason)
			}
			if n := fallbackCount(t, m, retrieval.FallbackOpen); n < 1 {
				t.Errorf("the circuit never opened: no fallback counted with reason %q", retrieval.FallbackOpen)
			}
			if n := strings.Count(logs.String(), "primary search fail"); n < 1 || n > 2 {
				t.Errorf("%d warnings about the failing search for 6 searches, want 1 or 2 (one per change of state):\n%s", n, logs.String())
			}

			// An outcome is dropped after the call deadline, not held for the message's 25 s.
			done := make(chan error, 1)
			go func() {
				done <- st.pg.Record(context.Background(), bot.Outcome{ConversationID: "conv:x", PassageID: "code-51", At: time.Now()})
			}()
			select {
			case err := <-done:
				if err == nil {
					t.Error("Record succeeded with PostgreSQL down")
				}
				if tc.name == "hung" && !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("Record on a hung database: %v, want its deadline exceeded", err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("Record on a failed database did not return")
			}
		})
	}
}

// fallbackCount reads posbot_search_fallbacks_total from m's /metrics, for
// one reason or ("") all of them.
func fallbackCount(t *testing.T, m *metrics.Metrics, reason string) float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	var sum float64
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if !strings.HasPrefix(line, "posbot_search_fallbacks_total{") || !strings.Contains(line, `reason="`+reason) {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		sum += v
	}
	return sum
}
