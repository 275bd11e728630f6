package metrics

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"
)

// CheckTimeout bounds each readiness check.
const CheckTimeout = time.Second

// Ready returns the /readyz handler. It runs every check concurrently, each
// bounded by CheckTimeout, and answers 200 {"status":"ready","checks":{name:"ok"}}
// or 503 {"status":"not ready","checks":{...}} where a failed check shows
// "timeout" or "error". Error details are not shown: the endpoint may be
// public, and the stores log their failures. No checks means ready.
func Ready(checks map[string]func(ctx context.Context) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res := make(map[string]string, len(checks))
		var mu sync.Mutex
		var wg sync.WaitGroup
		for name, check := range checks {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(r.Context(), CheckTimeout)
				defer cancel()
				err := run(ctx, check)
				s := "ok"
				switch {
				case errors.Is(err, context.DeadlineExceeded):
					s = "timeout"
				case err != nil:
					s = "error"
				}
				mu.Lock()
				res[name] = s
				mu.Unlock()
			})
		}
		wg.Wait()
		body := struct {
			Status string            `json:"status"`
			Checks map[string]string `json:"checks"`
		}{"ready", res}
		code := http.StatusOK
		for _, s := range res {
			if s != "ok" {
				body.Status, code = "not ready", http.StatusServiceUnavailable
			}
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(body)
	})
}

// run calls check but returns when ctx ends even if check ignores ctx, so one
// stuck dependency cannot hang the probe.
func run(ctx context.Context, check func(ctx context.Context) error) error {
	done := make(chan error, 1)
	go func() { done <- check(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
