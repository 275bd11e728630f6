package knowledge

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/gob"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"sync"
)

// The knowledge base is written in YAML for people, and parsing and
// validating it takes tens of milliseconds: most of a one-shot command's
// start. snapshot.gob holds the same knowledge, validated, in a form that
// decodes in a few milliseconds. Embedded uses it when it was made from the
// YAML compiled into the binary (SourceHash), and parses the YAML otherwise,
// so an edit is never ignored, only slower until the snapshot is remade:
//
//	go generate ./knowledge
//
// TestSnapshotFresh fails while the snapshot is stale.
//
//go:generate go test -run TestSnapshotFresh -update .

//go:embed snapshot.gob
var snapshotData []byte

// snapshot is what snapshot.gob holds.
type snapshot struct {
	SourceHash string
	Passages   []Passage
	Lexicons   Lexicons
	Dialogue   *Dialogue
	Texts      Texts
	Handoff    *Handoff
	Channels   *ChannelTexts
}

// SourceHash identifies the data files of fsys: a SHA-256 over their names
// and contents, in name order.
func SourceHash(fsys fs.FS) (string, error) {
	var names []string
	for _, pattern := range []string{"data/*.yaml", "data/lexicon/*.yaml", "data/dialogue/*.yaml"} {
		m, err := fs.Glob(fsys, pattern)
		if err != nil {
			return "", err
		}
		names = append(names, m...)
	}
	slices.Sort(names)
	h := sha256.New()
	buf := make([]byte, 32<<10)
	for _, n := range names {
		// Streamed through the hash: copying the files out first cost
		// more than hashing them.
		f, err := fsys.Open(n)
		if err != nil {
			return "", err
		}
		info, err := f.Stat()
		if err == nil {
			fmt.Fprintf(h, "%s\x00%d\x00", n, info.Size())
			_, err = io.CopyBuffer(h, f, buf)
		}
		f.Close()
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// encodeSnapshot writes b as a snapshot of the data files with hash source.
func encodeSnapshot(b *Base, source string) ([]byte, error) {
	var buf bytes.Buffer
	s := snapshot{SourceHash: source, Passages: b.passages, Lexicons: b.lexicons, Dialogue: b.dialogue, Texts: b.texts, Handoff: b.handoff,
		Channels: b.channels}
	if err := gob.NewEncoder(&buf).Encode(s); err != nil {
		return nil, fmt.Errorf("encode knowledge snapshot: %w", err)
	}
	return buf.Bytes(), nil
}

// fromSnapshot returns the base in data when it was made from the data
// files with hash source; ok is false otherwise.
func fromSnapshot(data []byte, source string) (*Base, bool) {
	var s snapshot
	if len(data) == 0 || gob.NewDecoder(bytes.NewReader(data)).Decode(&s) != nil || s.SourceHash != source {
		return nil, false
	}
	// Templates do not travel in gob: parse them again (they were
	// validated when the snapshot was made).
	if s.Handoff == nil || s.Channels == nil || s.Handoff.compile() != nil {
		return nil, false
	}
	b := &Base{byID: make(map[string]int, len(s.Passages)), byCode: map[string]int{},
		passages: s.Passages, lexicons: s.Lexicons, dialogue: s.Dialogue, texts: s.Texts, handoff: s.Handoff,
		channels: s.Channels}
	for i, p := range b.passages {
		b.byID[p.ID] = i
		if p.Code != "" {
			b.byCode[p.Code] = i
		}
	}
	b.matcher = sync.OnceValue(func() *Matcher { return NewMatcher(b.lexicons) })
	b.source = source
	return b, true
}

// Source returns the hash of the data files the base was loaded from ("" for
// a base built with New).
func (b *Base) Source() string { return b.source }
