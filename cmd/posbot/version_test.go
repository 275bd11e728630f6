package main

import (
	"bytes"
	"context"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNewBuildInfo(t *testing.T) {
	t.Parallel()
	vcs := []debug.BuildSetting{
		{Key: "-trimpath", Value: "true"},
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "d4ca7f2d1e0c8b7a6f5e4d3c2b1a09f8e7d6c5b4"},
		{Key: "vcs.time", Value: "2026-12-01T09:30:00Z"},
		{Key: "vcs.modified", Value: "true"},
	}
	tests := []struct {
		name   string
		bi     *debug.BuildInfo
		linked string
		want   buildInfo
	}{
		{"no build info", nil, "", buildInfo{Version: "devel"}},
		{"go run", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/posbot/posbot", Version: "(devel)"}},
			"", buildInfo{Version: "devel", GoVersion: "go1.26.8"}},
		{"go build in a checkout", &debug.BuildInfo{GoVersion: "go1.26.8",
			Main:     debug.Module{Version: "v0.0.0-20261201093000-d4ca7f2d1e0c+dirty"},
			Settings: vcs}, "",
			buildInfo{Version: "v0.0.0-20261201093000-d4ca7f2d1e0c+dirty", Revision: "d4ca7f2d1e0c8b7a6f5e4d3c2b1a09f8e7d6c5b4",
				Time: "2026-12-01T09:30:00Z", Modified: true, GoVersion: "go1.26.8"}},
		{"a tagged release", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.4.0"}}, "",
			buildInfo{Version: "v1.4.0", GoVersion: "go1.26.8"}},
		{"docker build with POSBOT_VERSION", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, "v1.4.0-rc1",
			buildInfo{Version: "v1.4.0-rc1", GoVersion: "go1.26.8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if d := cmp.Diff(tt.want, newBuildInfo(tt.bi, tt.linked)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestVersionCommand(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	// A bad configuration does not stop it: it reads none.
	if err := run(context.Background(), []string{"version"}, nil, &out, &bytes.Buffer{}, env(map[string]string{"POSBOT_LOG_LEVEL": "loud"})); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if !strings.HasPrefix(lines[0], "posbot ") || lines[len(lines)-1] != "go: "+runtime.Version() {
		t.Errorf("posbot version printed:\n%s", out.String())
	}

	out.Reset()
	b := buildInfo{Version: "v1.4.0", Revision: "d4ca7f2", Time: "2026-12-01T09:30:00Z", GoVersion: "go1.26.8"}
	if err := b.write(&out); err != nil {
		t.Fatal(err)
	}
	want := "posbot v1.4.0\nrevision: d4ca7f2\ntime: 2026-12-01T09:30:00Z\nmodified: false\ngo: go1.26.8\n"
	if d := cmp.Diff(want, out.String()); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}
