package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
)

func TestHandlerAddsContextArgs(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(Handler(slog.NewJSONHandler(&buf, nil))).With("channel", "http")
	ctx := With(With(context.Background(), "request_id", "r1"), "update_id", 7)
	log.InfoContext(ctx, "answered", "code", "51")
	log.Info("no context")
	log.InfoContext(ctx, "own id", "request_id", "r1")
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	var first, second map[string]any
	if err := json.Unmarshal(lines[0], &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(lines[1], &second); err != nil {
		t.Fatal(err)
	}
	if first["request_id"] != "r1" || first["update_id"] != float64(7) || first["channel"] != "http" || first["code"] != "51" {
		t.Errorf("line with context: %v", first)
	}
	if _, ok := second["request_id"]; ok {
		t.Errorf("line without context has a request id: %v", second)
	}
	if n := bytes.Count(lines[2], []byte(`"request_id"`)); n != 1 {
		t.Errorf("request_id %d times in %s", n, lines[2])
	}
}
