package main

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/handoff"
	"github.com/posbot/posbot/retrieval"
)

// config is posbot's configuration, read once from the environment.
type config struct {
	HTTPAddr  string
	Retriever string
	LogLevel  slog.Level
	LogJSON   bool

	OpenAIBaseURL string
	OpenAIAPIKey  string
	ChatModel     string
	EmbedModel    string
	LLMTimeout    time.Duration

	RedisURL    string
	PostgresURL string
	// RedisPrefix starts every key posbot writes in Redis
	// (POSBOT_REDIS_PREFIX, "posbot:" by default), so deployments can
	// share one Redis without seeing each other's conversations.
	RedisPrefix string

	// CacheDir is where ask and chat keep model answers between runs
	// (POSBOT_CACHE_DIR): "" means the user's cache directory, "off" none.
	CacheDir string

	MaxSessions     int            // conversations held in memory without Redis
	RateGlobal      float64        // messages a second for the whole process; 0 means no limit
	PGSearchTimeout time.Duration  // deadline of one PostgreSQL search before the in-memory fallback
	TrustedProxies  []netip.Prefix // reverse proxies whose X-Forwarded-For is believed
	Drain           time.Duration  // POSBOT_DRAIN_TIMEOUT: how long shutdown may take to finish what was accepted

	Handoff handoffConfig
}

// handoffConfig is the human handoff's configuration.
type handoffConfig struct {
	AgentToken   string           // POSBOT_AGENT_TOKEN: the agent API's bearer token; "" refuses every call
	RemindAfter  time.Duration    // POSBOT_HANDOFF_REMIND_AFTER: an unclaimed ticket is announced again after it
	Lease        time.Duration    // POSBOT_HANDOFF_LEASE: agent inactivity after which the bot answers again
	SupportHours handoff.Hours    // POSBOT_SUPPORT_HOURS: when a person can answer; always if unset
	Provider     handoff.Provider // POSBOT_PROVIDER_NAME, POSBOT_PROVIDER_HOTLINE
}

// hotline is a phone number as POSBOT_PROVIDER_HOTLINE takes it: digits with
// an optional leading +, spaces, dashes and parentheses.
var hotline = regexp.MustCompile(`^\+?[0-9][0-9 ()-]*[0-9]$`)

// loadHandoff reads the handoff's variables into c.
func loadHandoff(getenv func(string) string, c *handoffConfig) error {
	c.AgentToken = getenv("POSBOT_AGENT_TOKEN")
	if c.AgentToken != "" && (len(c.AgentToken) < 16 || strings.ContainsAny(c.AgentToken, " \t\r\n")) {
		return errors.New("POSBOT_AGENT_TOKEN: use at least 16 characters without spaces (e.g. openssl rand -hex 32)")
	}
	c.RemindAfter, c.Lease = handoff.DefaultRemindAfter, handoff.DefaultLease
	if err := durationVar(getenv, "POSBOT_HANDOFF_REMIND_AFTER", &c.RemindAfter); err != nil {
		return err
	}
	if err := durationVar(getenv, "POSBOT_HANDOFF_LEASE", &c.Lease); err != nil {
		return err
	}
	h, err := handoff.ParseHours(getenv("POSBOT_SUPPORT_HOURS"))
	if err != nil {
		return fmt.Errorf("POSBOT_SUPPORT_HOURS: %w", err)
	}
	c.SupportHours = h
	c.Provider = handoff.Provider{Name: strings.TrimSpace(getenv("POSBOT_PROVIDER_NAME")), Hotline: strings.TrimSpace(getenv("POSBOT_PROVIDER_HOTLINE"))}
	if utf8.RuneCountInString(c.Provider.Name) > 64 {
		return errors.New("POSBOT_PROVIDER_NAME: at most 64 characters")
	}
	if v := c.Provider.Hotline; v != "" {
		digits := 0
		for _, r := range v {
			if r >= '0' && r <= '9' {
				digits++
			}
		}
		if !hotline.MatchString(v) || digits < 3 || digits > 20 {
			return fmt.Errorf("POSBOT_PROVIDER_HOTLINE: %q is not a phone number (digits, +, spaces, dashes, parentheses)", v)
		}
	}
	return nil
}

// loadConfig reads the POSBOT_* variables through getenv. Errors name the variable.
func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		HTTPAddr:      or(getenv("POSBOT_HTTP_ADDR"), "127.0.0.1:8080"),
		Retriever:     or(getenv("POSBOT_RETRIEVER"), "hybrid"),
		OpenAIBaseURL: getenv("POSBOT_OPENAI_BASE_URL"),
		OpenAIAPIKey:  getenv("POSBOT_OPENAI_API_KEY"),
		ChatModel:     getenv("POSBOT_CHAT_MODEL"),
		EmbedModel:    getenv("POSBOT_EMBED_MODEL"),
		LLMTimeout:    20 * time.Second,
		RedisURL:      getenv("POSBOT_REDIS_URL"),
		RedisPrefix:   getenv("POSBOT_REDIS_PREFIX"),
		PostgresURL:   getenv("POSBOT_POSTGRES_URL"),
		CacheDir:      getenv("POSBOT_CACHE_DIR"),

		MaxSessions:     bot.DefaultMaxSessions,
		RateGlobal:      200,
		PGSearchTimeout: retrieval.DefaultFallbackTimeout,
		Drain:           channel.DefaultDrain,
	}
	switch c.Retriever {
	case "lexical", "vector", "hybrid":
	default:
		return c, fmt.Errorf("POSBOT_RETRIEVER: %q is not lexical, vector or hybrid", c.Retriever)
	}
	switch v := getenv("POSBOT_LOG_FORMAT"); v {
	case "", "json":
		c.LogJSON = true
	case "text":
	default:
		return c, fmt.Errorf("POSBOT_LOG_FORMAT: %q is not json or text", v)
	}
	if v := getenv("POSBOT_LOG_LEVEL"); v != "" {
		l, ok := logLevels[strings.ToLower(v)]
		if !ok {
			return c, fmt.Errorf("POSBOT_LOG_LEVEL: %q is not debug, info, warn or error", v)
		}
		c.LogLevel = l
	}
	if err := durationVar(getenv, "POSBOT_LLM_TIMEOUT", &c.LLMTimeout); err != nil {
		return c, err
	}
	if v := getenv("POSBOT_MAX_SESSIONS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return c, fmt.Errorf("POSBOT_MAX_SESSIONS: %q is not a positive whole number", v)
		}
		c.MaxSessions = n
	}
	if v := getenv("POSBOT_RATE_GLOBAL"); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r < 0 || math.IsInf(r, 0) || math.IsNaN(r) {
			return c, fmt.Errorf("POSBOT_RATE_GLOBAL: %q is not a number of messages a second (0 for no limit)", v)
		}
		c.RateGlobal = r
	}
	if err := durationVar(getenv, "POSBOT_PG_SEARCH_TIMEOUT", &c.PGSearchTimeout); err != nil {
		return c, err
	}
	if err := durationVar(getenv, "POSBOT_DRAIN_TIMEOUT", &c.Drain); err != nil {
		return c, err
	}
	if v := getenv("POSBOT_TRUSTED_PROXIES"); v != "" {
		for _, f := range strings.Split(v, ",") {
			p, err := parsePrefix(strings.TrimSpace(f))
			if err != nil {
				return c, fmt.Errorf("POSBOT_TRUSTED_PROXIES: %q is not an IP address or CIDR block", f)
			}
			c.TrustedProxies = append(c.TrustedProxies, p)
		}
	}
	if err := loadHandoff(getenv, &c.Handoff); err != nil {
		return c, err
	}
	if (c.ChatModel != "" || c.EmbedModel != "") && c.OpenAIBaseURL == "" {
		return c, fmt.Errorf("POSBOT_OPENAI_BASE_URL: required when POSBOT_CHAT_MODEL or POSBOT_EMBED_MODEL is set")
	}
	if c.OpenAIBaseURL != "" && !strings.HasPrefix(c.OpenAIBaseURL, "http://") && !strings.HasPrefix(c.OpenAIBaseURL, "https://") {
		return c, fmt.Errorf("POSBOT_OPENAI_BASE_URL: %q is not an http(s) URL", c.OpenAIBaseURL)
	}
	if c.RedisURL != "" && !strings.HasPrefix(c.RedisURL, "redis://") && !strings.HasPrefix(c.RedisURL, "rediss://") && !strings.HasPrefix(c.RedisURL, "unix://") {
		// Not echoed: the URL may hold a password.
		return c, fmt.Errorf("POSBOT_REDIS_URL: not a redis:// or rediss:// URL")
	}
	if c.PostgresURL != "" && !strings.HasPrefix(c.PostgresURL, "postgres://") && !strings.HasPrefix(c.PostgresURL, "postgresql://") {
		return c, fmt.Errorf("POSBOT_POSTGRES_URL: not a postgres:// URL")
	}
	return c, nil
}

// durationVar sets *d from the variable name, if it is set, which must be a
// positive duration.
func durationVar(getenv func(string) string, name string, d *time.Duration) error {
	v := getenv(name)
	if v == "" {
		return nil
	}
	x, err := time.ParseDuration(v)
	if err != nil || x <= 0 {
		return fmt.Errorf("%s: %q is not a positive duration", name, v)
	}
	*d = x
	return nil
}

// parsePrefix reads "10.0.0.0/8" or a single address such as "10.0.0.1".
func parsePrefix(s string) (netip.Prefix, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return p.Masked(), nil
}

// logLevels are the values POSBOT_LOG_LEVEL takes, in any case. slog's own
// parser also takes "info+2" and the like, which nobody should have to read.
var logLevels = map[string]slog.Level{
	"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError,
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// LogValue is the configuration as serve logs it at start-up: every setting,
// with the API key reduced to whether it is set and passwords in URLs masked.
func (c config) LogValue() slog.Value {
	format := "text"
	if c.LogJSON {
		format = "json"
	}
	return slog.GroupValue(
		slog.String("http_addr", c.HTTPAddr),
		slog.String("retriever", c.Retriever),
		slog.String("log_level", strings.ToLower(c.LogLevel.String())),
		slog.String("log_format", format),
		slog.String("openai_base_url", redactURL(c.OpenAIBaseURL)),
		slog.Bool("openai_api_key_set", c.OpenAIAPIKey != ""),
		slog.String("chat_model", c.ChatModel),
		slog.String("embed_model", c.EmbedModel),
		slog.String("llm_timeout", c.LLMTimeout.String()),
		slog.String("redis_url", redactURL(c.RedisURL)),
		slog.String("redis_prefix", or(c.RedisPrefix, "posbot:")),
		slog.String("postgres_url", redactURL(c.PostgresURL)),
		slog.String("drain_timeout", c.Drain.String()),
		slog.Bool("agent_token_set", c.Handoff.AgentToken != ""),
		slog.String("handoff_remind_after", c.Handoff.RemindAfter.String()),
		slog.String("handoff_lease", c.Handoff.Lease.String()),
		slog.String("support_hours", or(c.Handoff.SupportHours.String(), "always")),
		slog.String("provider_name", c.Handoff.Provider.Name),
		slog.Bool("provider_hotline_set", c.Handoff.Provider.Hotline != ""),
	)
}

// redactURL returns raw with its password, and the values of query
// parameters that may hold a secret (password, sslpassword, token, key …),
// replaced by "xxxxx". "" stays "", and a URL that does not parse is not
// shown at all.
func redactURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "(not a URL)"
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			if lk := strings.ToLower(k); strings.Contains(lk, "pass") || strings.Contains(lk, "secret") ||
				strings.Contains(lk, "token") || strings.Contains(lk, "key") {
				q[k] = []string{"xxxxx"}
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
