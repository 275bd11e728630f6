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
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"
	// POSBOT_SUPPORT_HOURS names a time zone: the static binary carries the
	// zone database, whatever the image it runs in has.
	_ "time/tzdata"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/cli"
	"github.com/posbot/posbot/eval"
	"github.com/posbot/posbot/handoff"
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
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "posbot:", err)
	}
	stop()
	os.Exit(exitCode(err))
}

// exitCode is 0 for success and for -h (the flag package has printed the
// usage and returned flag.ErrHelp), 1 for any other error.
func exitCode(err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 1
}

// commands are posbot's commands, as the help lists them.
var commands = []struct{ name, args, summary string }{
	{"serve", "", "run the HTTP server and chat page (the default)"},
	{"ask", "[--json] [MESSAGE]", "answer MESSAGE, or one message per line from stdin"},
	{"chat", "", "talk to posbot in the terminal"},
	{"eval", "[flags]", "run the evaluation harness (posbot eval -h)"},
	{"knowledge", "list [--json]", "print every knowledge passage"},
	{"migrate", "", "bring the PostgreSQL schema up to date (POSBOT_POSTGRES_URL)"},
	{"ingest", "", "load the knowledge base into PostgreSQL, embedding what changed"},
	{"version", "", "print the version, VCS revision and Go version"},
	{"help", "", "print this help"},
}

// usage is the text of posbot help.
func usage() string {
	var b strings.Builder
	b.WriteString("usage: posbot [command]\n\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-34s %s\n", strings.TrimSpace(c.name+" "+c.args), c.summary)
	}
	b.WriteString("\nConfiguration is read from POSBOT_* environment variables (see README.md).\n")
	return b.String()
}

// newFlagSet returns the flag set of posbot cmd; -h prints its usage line
// and flags on stderr.
func newFlagSet(cmd string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("posbot "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		for _, c := range commands {
			if c.name == cmd {
				fmt.Fprintf(stderr, "usage: posbot %s\n\n  %s\n", strings.TrimSpace(c.name+" "+c.args), c.summary)
			}
		}
		fs.PrintDefaults()
	}
	return fs
}

// wantsHelp reports whether args ask for help before any "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// run is posbot with its arguments (after the program name), standard
// streams and environment. Each command's flags are parsed before the
// configuration is checked, so -h works whatever the environment holds; it
// returns flag.ErrHelp then.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	fs := newFlagSet(cmd, stderr)
	var asJSON bool
	switch cmd {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage())
		return nil
	case "ask":
		fs.BoolVar(&asJSON, "json", false, "print one JSON object per result")
	case "knowledge":
		fs.BoolVar(&asJSON, "json", false, "one JSON object per line")
	case "eval", "serve", "chat", "migrate", "ingest", "version":
	default:
		fmt.Fprint(stderr, usage())
		return fmt.Errorf("unknown command %q", cmd)
	}
	cfg, cfgErr := loadConfig(getenv)
	if cmd == "eval" { // eval.Main parses its own flags, -h before anything else
		if cfgErr != nil && wantsHelp(args) {
			return eval.Main(ctx, args, stdout, stderr, nil)
		}
	} else if err := parseArgs(fs, cmd, args); err != nil {
		return err
	}
	if cmd == "version" {
		return readBuildInfo().write(stdout)
	}
	if cfgErr != nil {
		return cfgErr
	}
	log := newLogger(cfg, stderr)
	built := startupGC()
	defer built()
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
		wc, err := loadWeChatConfig(getenv)
		if err != nil {
			return err
		}
		cc, err := loadChatwootConfig(getenv)
		if err != nil {
			return err
		}
		bi := readBuildInfo()
		log.Info("posbot starting", "version", bi.Version, "revision", bi.Revision, "go_version", bi.GoVersion,
			"config", cfg, "telegram", tc, "wechat", wc, "chatwoot", cc)
		m := metrics.New()
		m.SetBuildInfo(bi.Version, bi.Revision, bi.GoVersion)
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
		built()
		return serve(ctx, cfg, channelConfig{telegram: tc, wechat: wc, chatwoot: cc}, base, e, st, m, log, stderr)
	case "migrate":
		built()
		return runMigrate(ctx, cfg.PostgresURL, stdout)
	case "ingest":
		built() // it builds no engine, and may embed and write for a while
		return runIngest(ctx, cfg.PostgresURL, base, embedderFor(cfg), stdout)
	case "ask":
		e, err := buildEngine(ctx, cfg, base, cfg.Retriever, quiet(log), diskAnswers(cfg))
		if err != nil {
			return err
		}
		built()
		return cli.Ask(ctx, e, cli.AskOptions{JSON: asJSON, Message: fs.Args(), Hint: stderr}, stdin, stdout)
	case "chat":
		e, err := buildEngine(ctx, cfg, base, cfg.Retriever, quiet(log), diskAnswers(cfg))
		if err != nil {
			return err
		}
		built()
		return cli.Chat(ctx, e, base.ChannelTexts().For("cli"), stdin, stdout)
	case "eval":
		built() // eval builds an engine per retriever variant
		return eval.Main(ctx, args, stdout, stderr, func(mode string) (eval.Answerer, error) {
			return buildEngine(ctx, cfg, base, mode, quiet(log))
		})
	case "knowledge":
		return cli.ListKnowledge(base, asJSON, stdout)
	}
	return nil
}

// diskAnswers gives ask and chat, a new process for every run, the model
// answers of earlier runs: a cache on disk (POSBOT_CACHE_DIR, by default
// posbot/answers in the user's cache directory), keyed and checked as serve's
// cache in memory or Redis is. Without a chat model it does nothing, and
// without a cache directory (no home directory) ask and chat run uncached.
func diskAnswers(cfg config) func(*bot.Config) {
	return func(c *bot.Config) {
		if c.Writer == nil || cfg.CacheDir == "off" {
			return
		}
		dir := cfg.CacheDir
		if dir == "" {
			user, err := os.UserCacheDir()
			if err != nil {
				return
			}
			dir = filepath.Join(user, "posbot")
		}
		c.Answers = &bot.FileAnswerCache{Dir: filepath.Join(dir, "answers")}
	}
}

// startupGC turns the garbage collector off while the knowledge base, its
// index and the matcher are loaded, and returns the function that turns it
// back on (to GOGC's setting; calling it again does nothing). Loading
// allocates some 20 MB that stays: collecting while the heap only grows
// is wasted work, and it was a third of a one-shot command's time.
func startupGC() (built func()) {
	percent := debug.SetGCPercent(-1)
	return sync.OnceFunc(func() { debug.SetGCPercent(percent) })
}

// parseArgs parses the flags of cmd and checks its positional arguments:
// ask takes a message, knowledge the word list (then its flags), the others
// nothing.
func parseArgs(fs *flag.FlagSet, cmd string, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch cmd {
	case "ask":
		return nil
	case "knowledge":
		if fs.Arg(0) != "list" {
			return fmt.Errorf("usage: posbot knowledge list [--json]")
		}
		return fs.Parse(fs.Args()[1:])
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("posbot %s: unexpected argument %q", cmd, fs.Arg(0))
	}
	return nil
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

// channels are the merchant channels of serve and the handoff between them.
type channels struct {
	srv    *httpapi.Server
	svc    *handoff.Service
	routes []string     // the routes srv serves, for the HTTP metrics
	wait   func() error // waits until the channels have stopped
}

// channelConfig configures the merchant channels besides the HTTP API.
type channelConfig struct {
	telegram telegramConfig
	wechat   wechatConfig
	chatwoot chatwootConfig
}

// startChannels builds the handoff on the stores, the gate channels call
// instead of the (measured) engine, the HTTP channel with the web feed and
// the agent API, and, when configured, the Telegram channel with its
// agents' group, the WeChat channels and the Chatwoot Agent Bot; they run
// until ctx is done.
func startChannels(ctx context.Context, cc channelConfig, base *knowledge.Base, e *bot.Engine, st *stores, m *metrics.Metrics, log *slog.Logger) (*channels, error) {
	tc := cc.telegram
	svc, feed, err := st.handoff(base)
	if err != nil {
		return nil, err
	}
	if err := svc.Restore(ctx); err != nil {
		log.Warn("handoff leases not restored; conversations a person owns may get bot answers until the next handoff", "err", err)
	}
	// The gate keeps the bot silent while a person owns a conversation and
	// opens tickets when the engine says so.
	gate := svc.Gate(m.FullEngine(e), e)
	// One OCR for the web chat's screenshots, WeChat's and Chatwoot's pictures.
	reader := newOCR(tc.TesseractPath, tc.OCRTimeout, log)
	opts := st.httpOptions(svc, feed)
	opts.OCR, opts.Base = reader, base
	srv := httpapi.New(gate, opts)
	svc.SetSender("http", srv)
	srv.Handle("GET /metrics", m.Handler())
	srv.Handle("GET /readyz", metrics.Ready(st.ready))
	// The HTTP metrics match requests against the routes: httpapi hands its
	// ServeMux a copy of each request, so r.Pattern does not reach the
	// middleware. A route missing here is counted as "unmatched".
	ch := &channels{srv: srv, svc: svc, routes: append(srv.Routes(), "GET /metrics", "GET /readyz")}
	var waits []func() error
	ch.wait = func() error {
		var errs []error
		for _, w := range waits {
			errs = append(errs, w())
		}
		return errors.Join(errs...)
	}
	if tc.Enabled() { // before Serve: it mounts POST /telegram/webhook on srv
		wait, err := startTelegram(ctx, tc, gate, svc, base, st.dedup(), st.inbox(tc.inboxName()), st.cfg.Drain, srv, log)
		if err != nil {
			return nil, err
		}
		waits = append(waits, wait)
		if tc.WebhookSecret != "" {
			ch.routes = append(ch.routes, "POST "+telegramWebhookPath)
		}
	}
	if cc.wechat.enabled() {
		// The Official Account and the bridge hand over through the gate;
		// WeCom hands over on its own platform (service_state) and so gets
		// the engine itself.
		wx, err := startWeChat(ctx, cc.wechat, gate, m.FullEngine(e), st, reader, svc, base, srv, log)
		if err != nil {
			return nil, err
		}
		ch.routes = append(ch.routes, wx.routes...)
		waits = append(waits, wx.wait)
	}
	if cc.chatwoot.enabled() {
		// Chatwoot, too, hands over on its own platform (the conversation's
		// status), keeping the tickets in step through svc.
		cw, err := startChatwoot(ctx, cc.chatwoot, m.FullEngine(e), e, st, reader, svc, base, srv, log)
		if err != nil {
			return nil, err
		}
		ch.routes = append(ch.routes, cw.routes...)
		waits = append(waits, cw.wait)
	}
	return ch, nil
}

// handler is what serve's HTTP server runs: the channels' routes, measured.
func (ch *channels) handler(m *metrics.Metrics) http.Handler { return m.HTTP(ch.srv, ch.routes...) }

func serve(ctx context.Context, cfg config, cc channelConfig, base *knowledge.Base, e *bot.Engine, st *stores, m *metrics.Metrics, log *slog.Logger, stderr io.Writer) error {
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("POSBOT_HTTP_ADDR: listen on %s: %w", cfg.HTTPAddr, err)
	}
	ch, err := startChannels(ctx, cc, base, e, st, m, log)
	if err != nil {
		ln.Close()
		return err
	}
	sweeping := make(chan error, 1)
	go func() { sweeping <- ch.svc.Run(ctx) }()
	hs := &http.Server{Handler: ch.handler(m), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	hs.RegisterOnShutdown(ch.srv.CloseStreams) // event streams would hold Shutdown up
	fmt.Fprintf(stderr, "posbot is listening on http://%s\n  chat page: http://%s/\n  API: POST http://%s/v1/messages {\"conversation_id\",\"text\"}\n", ln.Addr(), ln.Addr(), ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	// Stop accepting: the listener closes; the channels refuse new messages
	// (503: the platform delivers them again) and drain for at most
	// POSBOT_DRAIN_TIMEOUT. Requests under way (the web chat waits for its
	// answer; their contexts do not end with ctx) get as long.
	log.Info("shutting down", "drain_timeout", cfg.Drain.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.Drain+time.Second)
	defer cancel()
	return errors.Join(hs.Shutdown(sctx), ch.wait(), <-sweeping)
}
