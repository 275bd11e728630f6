package httpapi

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"html/template"
	"net/http"
	"regexp"
)

// pageHTML is the chat page: one self-contained file with inline CSS and JS.
//
//go:embed page.html
var pageHTML string

// page serves the rendered chat page with a Content-Security-Policy that
// allows exactly its own inline style and script and requests to this origin.
type page struct {
	body []byte
	csp  string
}

// pageParams are what the page is rendered with.
type pageParams struct {
	MaxTextRunes  int   // the text limit, in characters
	MaxImageBytes int64 // the screenshot limit, checked before uploading
	Images        bool  // whether screenshots are read (an attach button)
	// ImageTooLarge is what the page says of a picture over MaxImageBytes.
	ImageTooLarge string
}

// newPage renders the page. It panics if the embedded template is broken,
// which the package tests catch.
func newPage(pp pageParams) page {
	var buf bytes.Buffer
	tmpl := template.Must(template.New("page").Parse(pageHTML))
	if err := tmpl.Execute(&buf, pp); err != nil {
		panic("httpapi: render page: " + err.Error())
	}
	// The CSP names the hash of each inline <style> and <script> body, so
	// nothing else can run even if text ever reached the page as markup.
	inline := regexp.MustCompile(`(?s)<(style|script)>(.*?)</(?:style|script)>`)
	hashes := map[string]string{"style": "", "script": ""}
	for _, m := range inline.FindAllSubmatch(buf.Bytes(), -1) {
		sum := sha256.Sum256(m[2])
		hashes[string(m[1])] += " 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	return page{
		body: buf.Bytes(),
		csp: "default-src 'none'; connect-src 'self'; img-src 'self' data:" +
			"; style-src" + hashes["style"] + "; script-src" + hashes["script"] +
			"; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
	}
}

// ServeHTTP serves the page.
func (p page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", p.csp)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
	_, _ = w.Write(p.body)
}
