package knowledge

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"
)

// Dialogue is what the conversation engine needs from the knowledge base
// beyond passages: the triage question's options and the passages it uses
// by role, from data/dialogue/dialogue.yaml.
type Dialogue struct {
	// Triage are the options of the triage question, in order.
	Triage []TriageOption `yaml:"triage"`
	// Roles name passages (and one family) the dialogue uses by role.
	Roles map[string]string `yaml:"roles"`
	// ScopePairs are one symptom's two sides: what the card (its issuer)
	// and what the terminal (its provider) causes.
	ScopePairs []ScopePair `yaml:"scope_pairs"`
}

// ScopePair is a symptom with a card side and a terminal side ("交易超限":
// the card's own limit, or the limit the provider set on the terminal).
// When every card fails the same way the terminal side leads; when only
// one card does, the card side.
type ScopePair struct {
	Card     string `yaml:"card"`
	Terminal string `yaml:"terminal"`
}

// TriageOption is one option of the triage question.
type TriageOption struct {
	// Fact is the answer key (AnswerKeys) the option stands for.
	Fact string `yaml:"fact"`
	// Text is the option's wording, by language.
	Text map[string]string `yaml:"text"`
	// Passages answer the option, best first.
	Passages []string `yaml:"passages"`
}

// Roles the dialogue needs; every one must be named in dialogue.yaml.
var RoleKeys = []string{"one_card", "all_cards", "private_code", "scam", "security_family", "frozen_account", "debited", "overview"}

// Texts are what posbot says in its own words: text key → language → text,
// from data/dialogue/texts.yaml.
type Texts map[string]map[string]string

// Get returns text key in lang (Chinese when lang has none), formatted
// with args. It panics on an unknown key: keys are checked at load, so
// only a typo in code reaches it, and tests find it.
func (t Texts) Get(lang, key string, args ...any) string {
	m, ok := t[key]
	if !ok {
		panic(fmt.Sprintf("knowledge: unknown text %q", key))
	}
	s, ok := m[lang]
	if !ok {
		s = m["zh"]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// placeholder matches the fmt verbs texts may use.
var placeholder = regexp.MustCompile(`%[sdv]`)

func loadDialogue(fsys fs.FS) (*Dialogue, Texts, error) {
	var d Dialogue
	if err := decodeFile(fsys, "data/dialogue/dialogue.yaml", &d); err != nil {
		return nil, nil, err
	}
	var t Texts
	if err := decodeFile(fsys, "data/dialogue/texts.yaml", &t); err != nil {
		return nil, nil, err
	}
	return &d, t, nil
}

// validateDialogue checks the dialogue and texts against the passages and
// the languages of the lexicons.
func (b *Base) validateDialogue() error {
	var errs []error
	bad := func(f string, a ...any) { errs = append(errs, fmt.Errorf("dialogue: "+f, a...)) }
	langs := b.lexicons.Languages()
	for i, o := range b.dialogue.Triage {
		if !slices.Contains(AnswerKeys, o.Fact) {
			bad("triage option %d: fact %q is not one of %v", i+1, o.Fact, AnswerKeys)
		}
		for _, lang := range langs {
			if strings.TrimSpace(o.Text[lang]) == "" {
				bad("triage option %d has no %s text", i+1, lang)
			}
		}
		if len(o.Passages) == 0 {
			bad("triage option %d has no passages", i+1)
		}
		for _, id := range o.Passages {
			if _, ok := b.ByID(id); !ok {
				bad("triage option %d: no passage %q", i+1, id)
			}
		}
	}
	for _, k := range RoleKeys {
		id, ok := b.dialogue.Roles[k]
		switch {
		case !ok:
			bad("role %s is not named", k)
		case strings.HasSuffix(k, "_family"):
			if !slices.ContainsFunc(b.passages, func(p Passage) bool { return p.Family == id }) {
				bad("role %s: no passage of family %q", k, id)
			}
		default:
			if _, ok := b.ByID(id); !ok {
				bad("role %s: no passage %q", k, id)
			}
		}
	}
	for i, sp := range b.dialogue.ScopePairs {
		for _, id := range []string{sp.Card, sp.Terminal} {
			if _, ok := b.ByID(id); !ok {
				bad("scope pair %d: no passage %q", i+1, id)
			}
		}
		if sp.Card == sp.Terminal {
			bad("scope pair %d: %q on both sides", i+1, sp.Card)
		}
	}
	for key, m := range b.texts {
		for _, lang := range langs {
			if _, ok := m[lang]; !ok {
				bad("text %s has no %s version", key, lang)
			}
		}
		want := placeholder.FindAllString(m["zh"], -1)
		for lang, s := range m {
			if got := placeholder.FindAllString(s, -1); !slices.Equal(got, want) {
				bad("text %s (%s): placeholders %v, want %v as in zh", key, lang, got, want)
			}
		}
	}
	return errors.Join(errs...)
}

// Role returns the passage id (or family) the dialogue uses for role.
func (b *Base) Role(role string) string { return b.dialogue.Roles[role] }

// ScopePairs returns the symptoms with a card side and a terminal side.
func (b *Base) ScopePairs() []ScopePair { return b.dialogue.ScopePairs }

// Triage returns the options of the triage question, in order.
func (b *Base) Triage() []TriageOption { return b.dialogue.Triage }

// Texts returns what posbot says in its own words.
func (b *Base) Texts() Texts { return b.texts }

// Lexicons returns the vocabulary of every language.
func (b *Base) Lexicons() Lexicons { return b.lexicons }

// Matcher returns the matcher of the lexicons, built on first use and
// shared; nil for a Base without lexicons (New, in tests).
func (b *Base) Matcher() *Matcher {
	if b.matcher == nil {
		return nil
	}
	return b.matcher()
}
