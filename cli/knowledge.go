package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"

	"github.com/posbot/posbot/knowledge"
)

// passageJSON is one line of `posbot knowledge list --json`.
type passageJSON struct {
	ID     string   `json:"id"`
	Kind   string   `json:"kind"`
	Family string   `json:"family"`
	Title  string   `json:"title"`
	Text   string   `json:"text"`
	Codes  []string `json:"codes"`
	Target string   `json:"target"`
}

// ListKnowledge prints every passage: one JSON object per line, or id and
// title as a table.
func ListKnowledge(base *knowledge.Base, asJSON bool, out io.Writer) error {
	w := bufio.NewWriter(out)
	defer w.Flush()
	for _, p := range base.All() {
		codes := []string{}
		if p.Code != "" {
			codes = append(codes, p.Code)
		}
		for _, c := range p.Codes {
			if c != p.Code {
				codes = append(codes, c)
			}
		}
		if !asJSON {
			fmt.Fprintf(w, "%-28s %-9s %-8s %s\n", p.ID, p.Kind, p.Target, p.Title)
			continue
		}
		b, err := json.Marshal(passageJSON{p.ID, p.Kind, p.Family, p.Title, p.Text(), codes, p.Target})
		if err != nil {
			return fmt.Errorf("encode passage %s: %w", p.ID, err)
		}
		w.Write(b)
		w.WriteByte('\n')
	}
	return nil
}
