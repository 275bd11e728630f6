// Package knowledge holds posbot's knowledge base: the passages that explain why
// a card terminal says 交易失败 and what the merchant should do about it.
//
// The passages are YAML files embedded in the binary (data/*.yaml), written in
// our own words from the source article's taxonomy and the UnionPay
// response-code table. They are validated when loaded, so a bad edit fails at
// start-up and in tests, never in front of a merchant.
package knowledge

// Kinds of passage.
const (
	KindOverview = "overview" // a headline cause or an aspect from the article
	KindFamily   = "family"   // one of the article's ten numbered cause families
	KindCause    = "cause"    // a sub-cause within a family
	KindStrategy = "strategy" // one of the article's eight remedy strategies
	KindCode     = "code"     // one response code (ISO 8583 field 39)
	KindMessage  = "message"  // a terminal message or situation without a code
)

// Escalation targets: who the merchant should turn to when the steps do not help.
const (
	TargetBank     = "bank"     // the card's issuing bank: the cardholder calls the number on the back of the card
	TargetProvider = "provider" // the POS service provider / acquirer, with 商户号, 终端号, 参考号 ready
	TargetNone     = "none"     // nobody needs to be called; the merchant can resolve it at the counter
)

// Passage is one retrievable unit of knowledge. The zero value is not valid;
// passages come from Load, which validates them.
type Passage struct {
	// Version identifies the passage's content: a hash of every field, set
	// by New. Caches of answers written from a passage key on it.
	Version string `yaml:"-" json:"-"`

	ID     string `yaml:"id" json:"id"`
	Kind   string `yaml:"kind" json:"kind"`
	Family string `yaml:"family" json:"family"`
	Title  string `yaml:"title" json:"title"`
	// Summary says in one sentence what the cause, code or message means.
	Summary string `yaml:"summary" json:"summary"`
	// Code is set on code passages only: the normalised response code ("51", "A0").
	Code string `yaml:"code,omitempty" json:"code,omitempty"`
	// Display lists the wordings a terminal shows for it (code and message passages).
	Display []string `yaml:"display,omitempty" json:"display,omitempty"`
	// Category is the classic UnionPay action category A–E (code passages).
	Category string `yaml:"category,omitempty" json:"category,omitempty"`
	// Responsible says who actually has to fix it, in words.
	Responsible string `yaml:"responsible,omitempty" json:"responsible,omitempty"`
	// Phrasings are the ways merchants describe it, colloquial spellings included.
	Phrasings []string `yaml:"phrasings" json:"phrasings,omitempty"`
	// Steps are concrete, ordered actions for the merchant.
	Steps []string `yaml:"steps" json:"steps"`
	// Target is who to escalate to: TargetBank, TargetProvider or TargetNone.
	Target string `yaml:"target" json:"target"`
	// Prepare lists what to have ready before calling the target.
	Prepare []string `yaml:"prepare,omitempty" json:"prepare,omitempty"`
	// Avoid lists what not to do.
	Avoid []string `yaml:"avoid,omitempty" json:"avoid,omitempty"`
	// Codes are related response codes (not unique across passages).
	Codes []string `yaml:"codes,omitempty" json:"codes,omitempty"`
	// KeyTerms are the words any answer built on this passage must keep.
	KeyTerms []string `yaml:"key_terms" json:"key_terms,omitempty"`
	// Actionable is false for causes a merchant cannot act on at the counter
	// (market competition, economic cycles); retrieval ranks those after the
	// actionable ones, unless both its rankings put one first.
	Actionable bool `yaml:"actionable" json:"actionable"`
	// Legacy marks codes from the classic POS spec that the 2015 table dropped.
	Legacy bool `yaml:"legacy,omitempty" json:"legacy,omitempty"`
	// Notes records where sources disagree, said plainly.
	Notes string `yaml:"notes,omitempty" json:"notes,omitempty"`
	// Sources names where the facts come from (no URLs).
	Sources []string `yaml:"sources" json:"sources,omitempty"`
	// EN is the English rendering used when the merchant writes English.
	EN *English `yaml:"en,omitempty" json:"en,omitempty"`
}

// English is the English rendering of a passage's title, summary and steps.
type English struct {
	Title   string   `yaml:"title" json:"title"`
	Summary string   `yaml:"summary" json:"summary"`
	Steps   []string `yaml:"steps" json:"steps"`
}
