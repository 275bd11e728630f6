package ocrtest

import (
	"os"
	"os/exec"
	"testing"
)

// Need skips t when tesseract or a CJK font is missing, and fails it in CI
// (CI set), where both are always installed.
func Need(t testing.TB) {
	t.Helper()
	missing := func(what string, err error) {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing in CI: %v", what, err)
		}
		t.Skipf("%s missing: %v", what, err)
	}
	if _, err := exec.LookPath("tesseract"); err != nil {
		missing("tesseract", err)
	}
	if _, err := FontPath(); err != nil {
		missing("CJK font", err)
	}
}
