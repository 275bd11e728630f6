package main

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/handoff"
)

func TestConfigBounds(t *testing.T) {
	t.Parallel()
	c, err := loadConfig(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxSessions != bot.DefaultMaxSessions || c.RateGlobal != 200 || c.PGSearchTimeout != 800*time.Millisecond || c.TrustedProxies != nil {
		t.Errorf("defaults: max sessions %d, global rate %v, search timeout %v, proxies %v", c.MaxSessions, c.RateGlobal, c.PGSearchTimeout, c.TrustedProxies)
	}

	c, err = loadConfig(env(map[string]string{
		"POSBOT_MAX_SESSIONS":      "1000",
		"POSBOT_RATE_GLOBAL":       "0.5",
		"POSBOT_PG_SEARCH_TIMEOUT": "2s",
		"POSBOT_TRUSTED_PROXIES":   "10.0.0.0/8, 192.168.1.7,fd00::/8",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32"), netip.MustParsePrefix("fd00::/8")}
	if c.MaxSessions != 1000 || c.RateGlobal != 0.5 || c.PGSearchTimeout != 2*time.Second {
		t.Errorf("set: max sessions %d, global rate %v, search timeout %v", c.MaxSessions, c.RateGlobal, c.PGSearchTimeout)
	}
	if d := cmp.Diff(want, c.TrustedProxies, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); d != "" {
		t.Errorf("POSBOT_TRUSTED_PROXIES (-want +got):\n%s", d)
	}
	if c, err := loadConfig(env(map[string]string{"POSBOT_RATE_GLOBAL": "0"})); err != nil || c.RateGlobal != 0 {
		t.Errorf("POSBOT_RATE_GLOBAL=0: %v, %v; want no limit", c.RateGlobal, err)
	}

	for name, bad := range map[string][]string{
		"POSBOT_MAX_SESSIONS":      {"0", "-5", "lots", "1.5"},
		"POSBOT_RATE_GLOBAL":       {"-1", "fast", "NaN", "Inf"},
		"POSBOT_PG_SEARCH_TIMEOUT": {"0s", "800", "soon"},
		"POSBOT_TRUSTED_PROXIES":   {"proxy.local", "10.0.0.0/33", "10.0.0.1,"},
	} {
		for _, v := range bad {
			if _, err := loadConfig(env(map[string]string{name: v})); err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s=%q: error %v, want one naming the variable", name, v, err)
			}
		}
	}
}

func TestHandoffConfig(t *testing.T) {
	t.Parallel()
	c, err := loadConfig(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	h := c.Handoff
	if h.AgentToken != "" || h.RemindAfter != handoff.DefaultRemindAfter || h.Lease != handoff.DefaultLease || !h.SupportHours.Always() {
		t.Errorf("defaults %+v", h)
	}
	c, err = loadConfig(env(map[string]string{
		"POSBOT_AGENT_TOKEN":          "0123456789abcdef0123",
		"POSBOT_HANDOFF_REMIND_AFTER": "5m",
		"POSBOT_HANDOFF_LEASE":        "1h",
		"POSBOT_SUPPORT_HOURS":        "Mon-Fri 09:00-18:00, Sat 10:00-16:00 Asia/Shanghai",
		"POSBOT_PROVIDER_NAME":        "银联商务",
		"POSBOT_PROVIDER_HOTLINE":     "+86 (21) 6888-0000",
	}))
	if err != nil {
		t.Fatal(err)
	}
	h = c.Handoff
	if h.RemindAfter != 5*time.Minute || h.Lease != time.Hour || h.SupportHours.Always() ||
		h.Provider != (handoff.Provider{Name: "银联商务", Hotline: "+86 (21) 6888-0000"}) {
		t.Errorf("set %+v", h)
	}
	for name, bad := range map[string][]string{
		"POSBOT_AGENT_TOKEN":          {"short", "has a space in it 12345"},
		"POSBOT_HANDOFF_REMIND_AFTER": {"0s", "10", "soon"},
		"POSBOT_HANDOFF_LEASE":        {"-1m", "forever"},
		"POSBOT_SUPPORT_HOURS":        {"9-18", "Mon-Fri 09:00-18:00", "Mon-Fri 18:00-09:00 Asia/Shanghai", "Mon-Fri 09:00-18:00 Mars/Base"},
		"POSBOT_PROVIDER_HOTLINE":     {"call us", "12", "400-000-0000 ext 5", "+86-1234567890123456789012"},
		"POSBOT_PROVIDER_NAME":        {strings.Repeat("名", 65)},
	} {
		for _, v := range bad {
			if _, err := loadConfig(env(map[string]string{name: v})); err == nil || !strings.HasPrefix(err.Error(), name+":") {
				t.Errorf("%s=%q: error %v, want one naming the variable", name, v, err)
			}
		}
	}
}
