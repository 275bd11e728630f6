package main

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// version, when set at link time (go build -ldflags "-X main.version=v1.2.3",
// as the Dockerfile does from its POSBOT_VERSION argument), is the version
// reported instead of the one Go stamped into the binary. An image is built
// without .git, so Go has no VCS information to stamp there.
var version string

// buildInfo is what `posbot version` prints and posbot_build_info reports.
type buildInfo struct {
	// Version is the module version Go stamped (a tag, or a pseudo-version
	// from the commit with "+dirty" for uncommitted changes), the link-time
	// version, or "devel" when there is neither (go run, go test).
	Version string
	// Revision, Time and Modified are vcs.revision, vcs.time and
	// vcs.modified; empty and false when the build had no VCS information.
	Revision string
	Time     string
	Modified bool
	// GoVersion is the Go toolchain that built the binary.
	GoVersion string
}

// readBuildInfo describes the running binary.
func readBuildInfo() buildInfo {
	bi, _ := debug.ReadBuildInfo()
	return newBuildInfo(bi, version)
}

// newBuildInfo reads bi (nil when the binary has none); linked, when set,
// overrides the module version.
func newBuildInfo(bi *debug.BuildInfo, linked string) buildInfo {
	b := buildInfo{Version: "devel"}
	if bi != nil {
		b.GoVersion = bi.GoVersion
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			b.Version = v
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Revision = s.Value
			case "vcs.time":
				b.Time = s.Value
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
	}
	if linked != "" {
		b.Version = linked
	}
	return b
}

// write prints b as `posbot version` does: the version on the first line,
// then one "key: value" line for each fact known.
func (b buildInfo) write(w io.Writer) error {
	var s strings.Builder
	fmt.Fprintf(&s, "posbot %s\n", b.Version)
	if b.Revision != "" {
		fmt.Fprintf(&s, "revision: %s\ntime: %s\nmodified: %t\n", b.Revision, b.Time, b.Modified)
	}
	if b.GoVersion != "" {
		fmt.Fprintf(&s, "go: %s\n", b.GoVersion)
	}
	_, err := io.WriteString(w, s.String())
	return err
}
