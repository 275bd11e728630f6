package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"testing"

	"github.com/posbot/posbot/pgstore"
)

func TestWriteMigrateResult(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		res  pgstore.MigrateResult
		want string
	}{
		{"fresh database", pgstore.MigrateResult{
			Applied: []pgstore.Migration{{Version: 1, Name: "00001_init"}, {Version: 2, Name: "00002_handoff"}}, Version: 2},
			"applied migration 1: 00001_init\napplied migration 2: 00002_handoff\nschema now at version 2\n"},
		{"one new", pgstore.MigrateResult{Applied: []pgstore.Migration{{Version: 3, Name: "00003_x"}}, Version: 3},
			"applied migration 3: 00003_x\nschema now at version 3\n"},
		{"nothing to do", pgstore.MigrateResult{Version: 2}, "schema up to date (version 2)\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if err := writeMigrateResult(&b, tt.res); err != nil || b.String() != tt.want {
			t.Errorf("%s: %q, %v; want %q", tt.name, b.String(), err, tt.want)
		}
	}
}

// TestMigrateCommand runs posbot migrate twice on the test database: the
// second run has nothing to apply and says so.
func TestMigrateCommand(t *testing.T) {
	url := os.Getenv("POSBOT_TEST_POSTGRES_URL")
	if url == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("POSBOT_TEST_POSTGRES_URL must be set in CI")
		}
		t.Skip("POSBOT_TEST_POSTGRES_URL not set")
	}
	vars := env(map[string]string{"POSBOT_POSTGRES_URL": url})
	var out bytes.Buffer
	for range 2 {
		out.Reset()
		if err := run(context.Background(), []string{"migrate"}, nil, &out, &bytes.Buffer{}, vars); err != nil {
			t.Fatal(err)
		}
	}
	if !regexp.MustCompile(`^schema up to date \(version [1-9][0-9]*\)\n$`).MatchString(out.String()) {
		t.Errorf("second posbot migrate printed %q", out.String())
	}
}
