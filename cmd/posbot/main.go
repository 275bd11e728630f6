// Command posbot is the support chatbot for merchants whose card terminal
// shows 交易失败. See README.md for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/cli"
	"github.com/posbot/posbot/eval"
	"github.com/posbot/posbot/httpapi"
	"github.com/posbot/posbot/knowledge"
	"github.com/posbot/posbot/llm"
	"github.com/posbot/posbot/logging"
	"github.com/posbot/posbot/metrics"
	"github.com/posbot/posbot/retrieval"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "posbot:", err)
		}
		os.Exit(1)
	}
}

const usage = `usage: posbot [command]

  serve                  run the HTTP server and chat page (the default)
  ask [--json] [MESSAGE] answer MESSAGE, or one message per line from stdin
  chat                   talk to posbot in the terminal
  eval [flags]           run the evaluation harness (posbot eval -h)
  knowledge list [--json] print every knowledge passage
  migrate                bring the PostgreSQL schema up to date (POSBOT_POSTGRES_URL)
  ingest                 load the knowledge base into PostgreSQL, embedding what changed
`

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	base, err := knowledge.Embedded()
	if err != nil {
		return err
	}
	switch cmd {
	case "serve":
		tc, err := loadTelegramConfig(getenv)
		if err != nil {
			return err
		}
		m := metrics.New()
		st, err := openStores(ctx, cfg, log, m)
		if err != nil {
			return err
		}
		defer st.close()
		e, err := buildEngine(ctx, cfg, base, cfg.Retriever, log, st.apply, func(c *bot.Config) {
			if c.Writer != nil {
				c.Writer = m.Writer(c.Writer)
			}
		})
		if err != nil {
			return err
		}
		return serve(ctx, cfg, tc, m.FullEngine(e), st, m, log, stderr)
	case "migrate":
		return runMigrate(ctx, cfg.PostgresURL, stdout)
	case "ingest":
		return runIngest(ctx, cfg.PostgresURL, base, embedderFor(cfg), stdout)
	case "ask":
		fs := flag.NewFlagSet("posbot ask", flag.ContinueOnError)
		fs.SetOutput(stderr)
		asJSON := fs.Bool("json", false, "print one JSON object per result")
		if err := fs.Parse(args); err != nil {
			return err
		}
		e, err := buildEngine(ctx, cfg, base, cfg.Retriever, quiet(log))
		if err != nil {
			return err
		}
		return cli.Ask(ctx, e, *asJSON, fs.Args(), stdin, stdout)
	case "chat":
		e, err := buildEngine(ctx, cfg, base, cfg.Retriever, quiet(log))
		if err != nil {
			return err
		}
		return cli.Chat(ctx, e, stdin, stdout)
	case "eval":
		return eval.Main(ctx, args, stdout, stderr, func(mode string) (eval.Answerer, error) {
			return buildEngine(ctx, cfg, base, mode, quiet(log))
		})
	case "knowledge":
		fs := flag.NewFlagSet("posbot knowledge list", flag.ContinueOnError)
		fs.SetOutput(stderr)
		asJSON := fs.Bool("json", false, "one JSON object per line")
		if len(args) == 0 || args[0] != "list" {
			return fmt.Errorf("usage: posbot knowledge list [--json]")
		}
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return cli.ListKnowledge(base, *asJSON, stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

func newLogger(cfg config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogJSON {
		return slog.New(logging.Handler(slog.NewJSONHandler(w, opts)))
	}
	return slog.New(logging.Handler(slog.NewTextHandler(w, opts)))
}

// quiet keeps only warnings and errors: one-shot commands print results on
// stdout and should not chatter on stderr.
func quiet(l *slog.Logger) *slog.Logger {
	return slog.New(&levelFilter{Handler: l.Handler(), min: slog.LevelWarn})
}

type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (f *levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.Handler.Enabled(ctx, l)
}

// buildEngine wires the knowledge base, retrieval and, when configured, the model.
func buildEngine(ctx context.Context, cfg config, base *knowledge.Base, mode string, log *slog.Logger, with ...func(*bot.Config)) (*bot.Engine, error) {
	var model *llm.Client
	if cfg.OpenAIBaseURL != "" {
		model = llm.New(llm.Config{BaseURL: cfg.OpenAIBaseURL, APIKey: cfg.OpenAIAPIKey, ChatModel: cfg.ChatModel, EmbedModel: cfg.EmbedModel, Timeout: cfg.LLMTimeout})
	}
	ropts := retrieval.Options{Mode: mode}
	if model != nil && cfg.EmbedModel != "" {
		ropts.Embedder = model
	}
	r, err := retrieval.New(ctx, base, ropts)
	if err != nil {
		return nil, err
	}
	ecfg := bot.Config{Base: base, Searcher: r, Logger: log}
	if model != nil && cfg.ChatModel != "" {
		ecfg.Writer = model
	}
	for _, f := range with {
		f(&ecfg)
	}
	return bot.New(ecfg)
}

func serve(ctx context.Context, cfg config, tc telegramConfig, e metrics.FullEngine, st *stores, m *metrics.Metrics, log *slog.Logger, stderr io.Writer) error {
	srv := httpapi.New(e, st.httpOptions())
	srv.Handle("GET /metrics", m.Handler())
	srv.Handle("GET /readyz", metrics.Ready(st.ready))
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("POSBOT_HTTP_ADDR: listen on %s: %w", cfg.HTTPAddr, err)
	}
	waitTelegram := func() error { return nil }
	if tc.Enabled() { // before Serve: it mounts POST /telegram/webhook on srv
		if waitTelegram, err = startTelegram(ctx, tc, e, st.dedup(), srv, log); err != nil {
			ln.Close()
			return err
		}
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	fmt.Fprintf(stderr, "posbot is listening on http://%s\n  chat page: http://%s/\n  API: POST http://%s/v1/messages {\"conversation_id\",\"text\"}\n", ln.Addr(), ln.Addr(), ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return errors.Join(hs.Shutdown(sctx), waitTelegram())
}
