package redisstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/bot/bottest"
)

// vague is a message the engine cannot diagnose: it asks the triage question.
const vague = "刷卡显示交易失败"

func newEngine(t testing.TB, s bot.Sessions) *bot.Engine {
	t.Helper()
	return bottest.Engine(t, func(c *bot.Config) { c.Sessions = s })
}

func ask(t *testing.T, e *bot.Engine, conv, text string) (bot.Reply, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	r, err := e.Handle(ctx, bot.Message{ConversationID: conv, Channel: "test", Text: text})
	if err != nil {
		t.Fatalf("Handle(%q): %v", text, err)
	}
	if strings.TrimSpace(r.Answer) == "" {
		t.Fatalf("Handle(%q) gave an empty answer", text)
	}
	return r, time.Since(start)
}

// Two replicas share one Redis: a delivery is answered by exactly one of
// them, and a conversation started on one continues on the other.
func TestTwoEnginesShareRedis(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			c1, c2, _ := b.open(t)
			eA, eB := newEngine(t, c1.Sessions(0)), newEngine(t, c2.Sessions(0))
			ctx := context.Background()

			t.Run("a delivery is answered once", func(t *testing.T) {
				var answered atomic.Int32
				var wg sync.WaitGroup
				for _, r := range []struct {
					e *bot.Engine
					d *Dedup
				}{{eA, c1.Dedup(0)}, {eB, c2.Dedup(0)}, {eA, c1.Dedup(0)}, {eB, c2.Dedup(0)}} {
					wg.Go(func() {
						first, err := r.d.FirstSeen(ctx, "tg:update:424242")
						if err != nil {
							t.Errorf("FirstSeen: %v", err)
						}
						if !first {
							return
						}
						if _, err := r.e.Handle(ctx, bot.Message{ConversationID: "tg:1", Channel: "telegram", Text: "交易失败 51"}); err != nil {
							t.Errorf("Handle: %v", err)
						}
						answered.Add(1)
					})
				}
				wg.Wait()
				if n := answered.Load(); n != 1 {
					t.Fatalf("one delivery sent to both engines twice was answered %d times, want 1", n)
				}
			})

			tests := []struct {
				name, reply, scope string
			}{
				{"option text", "所有卡都刷不了", "all"},
				{"ordinal", "第二个", "one"},
			}
			for i, tt := range tests {
				t.Run("conversation moves between replicas/"+tt.name, func(t *testing.T) {
					conv := fmt.Sprintf("tg:%d", 100+i)
					if r, _ := ask(t, eA, conv, vague); !r.Clarify {
						t.Fatalf("engine A: %q was answered without a clarifying question: %+v", vague, r)
					}
					r, _ := ask(t, eB, conv, tt.reply)
					if r.Clarify {
						t.Fatalf("engine B did not read %q as the answer to A's question: %q", tt.reply, r.Answer)
					}
					st, err := c2.Sessions(0).Get(ctx, conv)
					if err != nil {
						t.Fatal(err)
					}
					if st.Facts.Scope != tt.scope || len(st.History) != 4 || st.Pending != nil {
						t.Errorf("state after B = scope %q, %d turns, pending %v; want scope %q, 4 turns, no pending",
							st.Facts.Scope, len(st.History), st.Pending, tt.scope)
					}
				})
			}
			t.Run("control: the replies alone carry no context", func(t *testing.T) {
				for _, tt := range tests {
					conv := "tg:fresh:" + tt.name
					ask(t, eB, conv, tt.reply)
					st, err := c2.Sessions(0).Get(ctx, conv)
					if err != nil {
						t.Fatal(err)
					}
					if st.Facts.Scope == tt.scope {
						t.Errorf("%q in a fresh conversation also gave scope %q, so the test above proves nothing", tt.reply, tt.scope)
					}
				}
			})
		})
	}
}

// When Redis hangs or dies the engine keeps answering without state, within a
// few per-call timeouts, and the locks, limits and dedup fail open; when Redis
// returns, state is kept again without a restart.
func TestEngineSurvivesRedisOutage(t *testing.T) {
	bin := redisServerPath(t)
	password := rand.Text()
	var (
		srv  *redisServer
		port string
		err  error
	)
	for range 5 { // another process may take the free port first
		_, port, _ = net.SplitHostPort(closedAddr(t))
		if srv, err = startRedisServer(t, bin, port, password); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}

	var logs syncBuffer
	ctx := context.Background()
	c, err := Open(ctx, "redis://:"+password+"@127.0.0.1:"+port+"/0", Options{
		Prefix: testPrefix(t),
		Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess := c.Sessions(0)
	e := newEngine(t, sess)

	if r, _ := ask(t, e, "tg:1", vague); !r.Clarify {
		t.Fatalf("healthy: %q was not answered with a question", vague)
	}
	if st, err := sess.Get(ctx, "tg:1"); err != nil || st.Pending == nil {
		t.Fatalf("healthy: state = %+v, %v; want the pending question stored", st, err)
	}

	// A hung server accepts connections but never answers: the worst case.
	const quick = 2 * time.Second // a handful of DefaultTimeouts, far from a stall
	if err := srv.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	if _, d := ask(t, e, "tg:1", "所有卡都刷不了"); d > quick {
		t.Errorf("hung Redis: answer took %v, want < %v", d, quick)
	} else {
		t.Logf("hung Redis: answered in %v", d)
	}

	srv.stop()
	if r, d := ask(t, e, "tg:1", "交易失败 51"); d > quick || r.Code != "51" {
		t.Errorf("dead Redis: answer took %v with code %q, want < %v and code 51", d, r.Code, quick)
	} else {
		t.Logf("dead Redis: answered in %v", d)
	}
	t.Run("admission fails open", func(t *testing.T) {
		start := time.Now()
		if first, err := c.Dedup(0).FirstSeen(ctx, "tg:update:1"); !first || err == nil {
			t.Errorf("FirstSeen = %v, %v; want true and an error", first, err)
		}
		if ok, _, err := c.Limiter(0, 0).Allow(ctx, "tg:1"); !ok || err == nil {
			t.Errorf("Allow = %v, %v; want true and an error", ok, err)
		}
		unlock, err := c.Locker(0).Lock(ctx, "conv:tg:1")
		if err == nil || unlock == nil {
			t.Errorf("Lock = (unlock nil %v), %v; want an unlock and an error", unlock == nil, err)
		} else {
			unlock()
		}
		if d := time.Since(start); d > quick {
			t.Errorf("failing open took %v, want < %v", d, quick)
		}
	})

	if _, err := startRedisServer(t, bin, port, password); err != nil {
		t.Fatalf("restart on the same port: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for c.Ping(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatal("the client did not reconnect to the restarted Redis")
		}
		time.Sleep(50 * time.Millisecond)
	}
	ask(t, e, "tg:2", vague)
	if st, err := sess.Get(ctx, "tg:2"); err != nil || st.Pending == nil {
		t.Fatalf("after restart: state = %+v, %v; want it stored again", st, err)
	}
	for _, want := range []string{`"level":"WARN","msg":"redis calls failing`, `"msg":"redis reachable again"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs do not contain %s:\n%s", want, logs.String())
		}
	}
}

// redisServerPath finds redis-server; without it the test is skipped, except in CI.
func redisServerPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"redis-server", "/usr/bin/redis-server"} {
		if bin, err := exec.LookPath(p); err == nil {
			return bin
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("redis-server not found; CI must have it")
	}
	t.Skip("redis-server not found")
	return ""
}

// redisServer is a throwaway redis-server process of this test's own.
type redisServer struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

// stop kills the server and waits for it to exit.
func (s *redisServer) stop() {
	s.cmd.Process.Kill()
	<-s.exited
}

// startRedisServer runs a redis-server without persistence on port, guarded
// by password so that the test cannot mistake another process's server on
// the same port for its own, and waits until it answers. It returns an error
// if the server does not come up (the port was taken, say).
func startRedisServer(t *testing.T, bin, port, password string) (*redisServer, error) {
	t.Helper()
	cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--requirepass", password,
		"--save", "", "--appendonly", "no", "--dir", t.TempDir())
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	s := &redisServer{cmd: cmd, exited: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(s.stop)
	deadline := time.Now().Add(5 * time.Second)
	for {
		select {
		case <-s.exited:
			return nil, fmt.Errorf("redis-server on port %s exited", port)
		default:
		}
		if conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", port), 200*time.Millisecond); err == nil {
			conn.SetDeadline(time.Now().Add(time.Second))
			fmt.Fprintf(conn, "AUTH %s\r\nPING\r\n", password)
			want := "+OK\r\n+PONG\r\n"
			buf := make([]byte, len(want))
			n, _ := io.ReadFull(conn, buf)
			conn.Close()
			if string(buf[:n]) == want {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("redis-server on port %s did not come up", port)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
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
