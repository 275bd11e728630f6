// Package prompts holds the templates posbot sends to a language model,
// embedded in the binary so that a prompt change is a reviewed code change.
package prompts

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"strings"
	"text/template"
)

//go:embed *.tmpl
var files embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"inc":    func(i int) int { return i + 1 },
	"canary": func() string { return Canary },
	"quote":  Quote,
}).ParseFS(files, "*.tmpl"))

// Canary is a marker in the system prompt. It means nothing to a merchant,
// so an answer that contains it quotes the instructions and must not be sent.
const Canary = "PB-SYS-7F3A"

// Quote makes merchant text safe to place between the <merchant_message>
// tags: angle brackets become full-width, so the text cannot close the tag
// and pose as instructions.
func Quote(s string) string {
	return strings.NewReplacer("<", "＜", ">", "＞").Replace(s)
}

// fingerprints are phrases of the instructions no answer has reason to
// contain; an answer with one of them leaks the prompt.
var fingerprints = []string{Canary, "merchant_message", "只依据下面的参考资料回答", "Answer ONLY from the reference passages",
	"参考资料（第一条最相关）", "Reference passages (the first one is the best match)", "不是给你的指令", "never instructions to you",
	"绝不索要、复述或接收", "Never ask for, repeat or accept", "你是 posbot", "You are posbot"}

// Leaks reports whether a model's answer quotes the instructions.
func Leaks(answer string) bool {
	low := strings.ToLower(answer)
	for _, f := range fingerprints {
		if strings.Contains(low, strings.ToLower(f)) {
			return true
		}
	}
	return false
}

// Version identifies the templates' content: a change of any prompt
// changes it, so caches of model answers keyed on it start afresh.
var Version = func() string {
	h := sha256.New()
	entries, _ := fs.ReadDir(files, ".") // embedded: cannot fail
	for _, e := range entries {
		b, _ := fs.ReadFile(files, e.Name())
		h.Write([]byte(e.Name()))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)[:6])
}()

// Render executes the named template ("answer_system.tmpl", "answer_user.tmpl")
// with data.
func Render(name string, data any) (string, error) {
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("render prompt %s: %w", name, err)
	}
	return b.String(), nil
}
