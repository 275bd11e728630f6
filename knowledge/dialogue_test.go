package knowledge

import (
	"strings"
	"testing"
)

// A scope pair must name two passages that exist.
func TestScopePairsValidation(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, old, new, want string }{
		{"unknown passage", "terminal: msg-terminal-limit", "terminal: msg-terminal-limits", `scope pair 1: no passage "msg-terminal-limits"`},
		{"one passage twice", "terminal: msg-terminal-limit", "terminal: msg-over-limit", `scope pair 1: "msg-over-limit" on both sides`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(edited(t, "data/dialogue/dialogue.yaml", replace(tt.old, tt.new)))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load error = %v, want it to say %q", err, tt.want)
			}
		})
	}
}
