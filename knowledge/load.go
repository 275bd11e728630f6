package knowledge

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

//go:embed data/*.yaml data/lexicon/*.yaml data/dialogue/*.yaml
var embedded embed.FS

// Base is a validated, read-only set of passages. It is safe for concurrent use.
type Base struct {
	passages []Passage
	byID     map[string]int
	byCode   map[string]int
	lexicons Lexicons
	dialogue *Dialogue
	texts    Texts
	handoff  *Handoff
	channels *ChannelTexts
	matcher  func() *Matcher
	source   string
}

// Embedded returns the knowledge base compiled into the binary, loaded and
// validated once: a Base is read-only, so every caller shares it.
func Embedded() (*Base, error) { return embeddedBase() }

var embeddedBase = sync.OnceValues(func() (*Base, error) {
	source, err := SourceHash(embedded)
	if err != nil {
		return nil, fmt.Errorf("hash knowledge files: %w", err)
	}
	b, ok := fromSnapshot(snapshotData, source)
	if !ok {
		if b, err = Load(embedded); err != nil {
			return nil, err
		}
	}
	// Whoever reads a message needs the matcher: build it while the rest
	// of start-up goes on.
	go b.Matcher()
	return b, nil
})

// Load reads every data/*.yaml file of fsys (the passages), the lexicons
// of data/lexicon/ and the dialogue, handoff and channel texts of data/dialogue/,
// and validates them together. It returns all validation problems at once, joined.
func Load(fsys fs.FS) (*Base, error) {
	names, err := fs.Glob(fsys, "data/*.yaml")
	if err != nil {
		return nil, fmt.Errorf("list knowledge files: %w", err)
	}
	if len(names) == 0 {
		return nil, errors.New("load knowledge: no data/*.yaml files")
	}
	slices.Sort(names)
	var all []Passage
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		ps, err := decode(b)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", path.Base(name), err)
		}
		all = append(all, ps...)
	}
	b, err := New(all)
	if err != nil {
		return nil, err
	}
	if b.lexicons, err = loadLexicons(fsys); err != nil {
		return nil, err
	}
	if b.dialogue, b.texts, err = loadDialogue(fsys); err != nil {
		return nil, err
	}
	if b.handoff, err = loadHandoff(fsys); err != nil {
		return nil, err
	}
	if b.channels, err = loadChannels(fsys); err != nil {
		return nil, err
	}
	langs := b.lexicons.Languages()
	if err := errors.Join(b.validateDialogue(), b.handoff.validate(langs), b.channels.validate(langs, b.handoff)); err != nil {
		return nil, fmt.Errorf("invalid knowledge base: %w", err)
	}
	b.matcher = sync.OnceValue(func() *Matcher { return NewMatcher(b.lexicons) })
	if b.source, err = SourceHash(fsys); err != nil {
		return nil, fmt.Errorf("hash knowledge files: %w", err)
	}
	return b, nil
}

// decodeFile decodes the YAML file name of fsys into v, refusing unknown fields.
func decodeFile(fsys fs.FS, name string, v any) error {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("parse %s: %w", name, err)
	}
	return nil
}

func decode(b []byte) ([]Passage, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var ps []Passage
	if err := dec.Decode(&ps); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return ps, nil
}

// New validates passages and indexes them. Codes are normalised to upper case.
func New(ps []Passage) (*Base, error) {
	b := &Base{byID: make(map[string]int, len(ps)), byCode: make(map[string]int)}
	var errs []error
	for i := range ps {
		p := ps[i]
		p.Code = strings.ToUpper(strings.TrimSpace(p.Code))
		for j, c := range p.Codes {
			p.Codes[j] = strings.ToUpper(strings.TrimSpace(c))
		}
		if err := validate(p); err != nil {
			errs = append(errs, fmt.Errorf("passage %q: %w", p.ID, err))
		}
		if _, dup := b.byID[p.ID]; dup {
			errs = append(errs, fmt.Errorf("passage %q: duplicate id", p.ID))
		}
		b.byID[p.ID] = len(b.passages)
		if p.Code != "" {
			if other, dup := b.byCode[p.Code]; dup {
				errs = append(errs, fmt.Errorf("passage %q: code %s already belongs to %q", p.ID, p.Code, b.passages[other].ID))
			}
			b.byCode[p.Code] = len(b.passages)
		}
		p.Version = p.ContentVersion()
		b.passages = append(b.passages, p)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("invalid knowledge base: %w", err)
	}
	return b, nil
}

// ContentVersion hashes the passage's content (every field but Version):
// what New stores in Version, for stores that keep passages without it.
func (p Passage) ContentVersion() string {
	p.Version = ""
	b, _ := json.Marshal(p) // a Passage always marshals
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

var (
	idPattern   = regexp.MustCompile(`^[a-z0-9]+(-[a-zA-Z0-9]+)*$`)
	codePattern = regexp.MustCompile(`^[0-9A-Z]{2}$`)
	prohibition = regexp.MustCompile(`^(不|别|切勿|严禁|禁止|绝不|勿|千万)|不要|不得|切勿|禁止|严禁|绝不`)
	urlPattern  = regexp.MustCompile(`(?i)(https?://|www\.)[^\s，。)）]*`)
)

// officialHosts are the only sites a passage may link to: contact pages of
// the card scheme. Anything else (the article's advertisement, SEO pages) is refused.
var officialHosts = []string{"cn.unionpay.com", "www.unionpay.com", "www.95516.com"}

func validate(p Passage) error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(idPattern.MatchString(p.ID), "id must be lower-case words joined by '-'")
	check(slices.Contains([]string{KindOverview, KindFamily, KindCause, KindStrategy, KindCode, KindMessage}, p.Kind), "unknown kind %q", p.Kind)
	check(p.Family != "", "family is empty")
	check(strings.TrimSpace(p.Title) != "", "title is empty")
	check(strings.TrimSpace(p.Summary) != "", "summary is empty")
	check(len(p.Steps) > 0, "no steps")
	for i, s := range p.Steps {
		check(strings.TrimSpace(s) != "", "step %d is empty", i+1)
	}
	check(slices.Contains([]string{TargetBank, TargetProvider, TargetNone}, p.Target), "target %q is not bank, provider or none", p.Target)
	check(len(p.KeyTerms) > 0, "no key_terms")
	body := p.Summary + strings.Join(p.Steps, "")
	for _, k := range p.KeyTerms {
		check(strings.Contains(body, k), "key term %q is not in the summary or steps", k)
	}
	if p.Kind == KindCode {
		check(codePattern.MatchString(p.Code), "code passage needs a two-character code, got %q", p.Code)
		check(p.ID == "code-"+p.Code, "code passage id must be code-%s", p.Code)
	} else {
		check(p.Code == "", "only code passages have a code")
	}
	for _, c := range p.Codes {
		check(codePattern.MatchString(c), "related code %q is not a two-character code", c)
	}
	for _, a := range p.Avoid {
		// Answers print these under "注意": a bare "询问顾客的密码" would read
		// as an instruction.
		check(prohibition.MatchString(a), "avoid item %q is not phrased as a prohibition (不要…)", a)
	}
	if p.EN != nil {
		check(p.EN.Title != "" && p.EN.Summary != "", "en needs title and summary")
		check(len(p.EN.Steps) == len(p.Steps), "en has %d steps, zh has %d", len(p.EN.Steps), len(p.Steps))
	}
	for _, text := range p.texts() {
		if low := strings.ToLower(text); !strings.Contains(low, "http") && !strings.Contains(low, "www.") {
			continue // the regular expression is slow on long texts; most hold no link
		}
		for _, u := range urlPattern.FindAllString(text, -1) {
			check(official(u), "URL %q is not an official contact page", u)
		}
	}
	return errors.Join(errs...)
}

func official(u string) bool {
	host := strings.TrimPrefix(strings.TrimPrefix(strings.ToLower(u), "https://"), "http://")
	host, _, _ = strings.Cut(host, "/")
	return slices.Contains(officialHosts, host)
}

// texts returns every free-text field of p.
func (p Passage) texts() []string {
	t := []string{p.Title, p.Summary, p.Responsible, p.Notes}
	t = append(t, p.Display...)
	t = append(t, p.Phrasings...)
	t = append(t, p.Steps...)
	t = append(t, p.Prepare...)
	t = append(t, p.Avoid...)
	t = append(t, p.Sources...)
	if p.EN != nil {
		t = append(t, p.EN.Title, p.EN.Summary)
		t = append(t, p.EN.Steps...)
	}
	return t
}

// Text is the passage rendered as plain text, for embedding and export.
func (p Passage) Text() string {
	var b strings.Builder
	b.WriteString(p.Title)
	b.WriteString("。")
	b.WriteString(p.Summary)
	for i, s := range p.Steps {
		fmt.Fprintf(&b, " %d. %s", i+1, s)
	}
	return b.String()
}

// All returns every passage, in load order. The slice must not be modified.
func (b *Base) All() []Passage { return b.passages }

// Len returns the number of passages.
func (b *Base) Len() int { return len(b.passages) }

// ByID returns the passage with the given id.
func (b *Base) ByID(id string) (Passage, bool) {
	i, ok := b.byID[id]
	if !ok {
		return Passage{}, false
	}
	return b.passages[i], true
}

// ByCode returns the passage for a normalised response code ("51", "A0").
func (b *Base) ByCode(code string) (Passage, bool) {
	i, ok := b.byCode[strings.ToUpper(code)]
	if !ok {
		return Passage{}, false
	}
	return b.passages[i], true
}

// Codes returns every response code in the base, sorted.
func (b *Base) Codes() []string {
	codes := make([]string, 0, len(b.byCode))
	for c := range b.byCode {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	return codes
}
