package httpapi

import (
	"encoding/json"
	"net/http"
	"runtime/debug"
)

// errorBody is the JSON body of every error response.
type errorBody struct {
	Error string `json:"error"`
}

// writeJSON writes v as the JSON response body with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	// Chinese text and "<" stay readable with curl; nosniff and the JSON
	// content type keep a browser from treating the body as HTML.
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client has gone if this fails; nothing left to tell it
}

// writeError writes {"error": msg} with the given status.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Error: msg})
}

// recorder remembers whether and with which status a response was started,
// for the access log and to know whether a 500 can still be sent.
type recorder struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.code, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.code, r.wrote = http.StatusOK, true
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer (Flush,
// deadlines) for handlers mounted with Server.Handle.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// status is the response status as sent, 200 if the handler wrote nothing.
func (r *recorder) status() int {
	if !r.wrote {
		return http.StatusOK
	}
	return r.code
}

// stack is the current goroutine's stack, for panic logs.
func stack() string { return string(debug.Stack()) }
