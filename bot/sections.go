package bot

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/posbot/posbot/knowledge"
)

// Sections is a diagnostic answer laid out in its parts, so that a client
// can show them apart (the web chat page shows the steps first and folds
// the rest) without parsing the prose of Reply.Answer. The parts come from
// the knowledge passage the answer rests on, in the answer's language,
// whichever writer wrote Answer; Answer holds the same content as one text.
type Sections struct {
	// Before are short paragraphs that come before the diagnosis: a notice
	// (card data was masked, a long message was cut), a hedge (not sure),
	// the two candidates to choose from, or "another possible cause".
	Before []string `json:"before,omitempty"`
	// Title is the diagnosis's heading, e.g. "【应答码 51】余额不足".
	Title string `json:"title"`
	// Meaning says what the code or the terminal's message means.
	Meaning string `json:"meaning"`
	// Steps are what to do, in order.
	Steps []string `json:"steps"`
	// Outcome says what became of the payment when the card's bank
	// declined it (the customer was not charged); "" otherwise.
	Outcome string `json:"outcome,omitempty"`
	// Contact says whom to call and what to have ready.
	Contact string `json:"contact"`
	// Avoid are what not to do.
	Avoid []string `json:"avoid,omitempty"`
	// Notes say where sources disagree; "" when they do not.
	Notes string `json:"notes,omitempty"`
	// Others name other possible causes.
	Others []string `json:"others,omitempty"`
	// Sources name the documents the passage rests on.
	Sources []string `json:"sources,omitempty"`
	// After are paragraphs that come after the diagnosis: the answer to a
	// second question in the message, where a ticket stands, the text to
	// forward to the provider.
	After []string `json:"after,omitempty"`
}

// Layout lays the template answer of a draft out in sections, in the words
// of t: the same parts Render writes as one text, without their labels.
func Layout(d Draft, t knowledge.Texts) *Sections {
	p := d.Passages[0]
	lang := d.Lang
	en := lang == "en"
	summary, steps := p.Summary, p.Steps
	if en && p.EN != nil {
		summary, steps = p.EN.Summary, p.EN.Steps
	}
	s := &Sections{
		Title:   heading(p, lang, t),
		Meaning: summary,
		Steps:   append([]string(nil), steps...),
		Outcome: outcome(p, lang, t),
		Contact: capitalize(contact(p, lang, d.Code, t)),
		Others:  others(d, lang),
		Sources: append([]string(nil), p.Sources...),
	}
	if d.Intro != "" {
		s.Before = []string{d.Intro}
	}
	if !en {
		// Avoid items and notes are written in Chinese only, as in Render.
		s.Avoid = append(s.Avoid, p.Avoid...)
		s.Notes = p.Notes
	}
	if never := t.Get(lang, "answer_never_pin"); never != "" {
		s.Avoid = append(s.Avoid, never)
	}
	return s
}

// Clone returns a deep copy of s, for a layer that adds to a reply it was
// given (handoff.Gate adds where the ticket stands) without changing the
// original; nil for nil.
func (s *Sections) Clone() *Sections {
	if s == nil {
		return nil
	}
	c := *s
	for _, l := range []*[]string{&c.Before, &c.Steps, &c.Avoid, &c.Others, &c.Sources, &c.After} {
		if *l != nil {
			*l = append([]string(nil), *l...)
		}
	}
	return &c
}

// mapText replaces every text of s with f of it.
func (s *Sections) mapText(f func(string) string) {
	for _, p := range []*string{&s.Title, &s.Meaning, &s.Outcome, &s.Contact, &s.Notes} {
		*p = f(*p)
	}
	for _, l := range [][]string{s.Before, s.Steps, s.Avoid, s.Others, s.Sources, s.After} {
		for i := range l {
			l[i] = f(l[i])
		}
	}
}

// capitalize upper-cases the first letter of an English sentence that, in
// the running text, follows a label ("Who to contact: this is…").
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r >= utf8.RuneSelf || !unicode.IsLower(r) {
		return s
	}
	return strings.ToUpper(s[:n]) + s[n:]
}
