// Package eval measures the conversation engine against a labelled dataset of
// merchant questions, the way a channel drives it, and reports pass rates,
// check accuracies, retrieval quality and latency.
package eval

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Case is one labelled question of the dataset. Pointer and nil-slice fields
// distinguish "not checked" (key missing or null) from an explicit expectation.
type Case struct {
	// ID names the case; it is unique across all datasets of a run.
	ID string `json:"id"`
	// Query is the message whose reply is scored.
	Query string `json:"query"`
	// ImageText is optional OCR text sent with Query (bot.Message.ImageText).
	ImageText string `json:"image_text,omitempty"`
	// Code is the expected normalised code: nil is not checked, "" expects none.
	Code *string `json:"code"`
	// Target lists acceptable targets (bank, provider, none); nil is not checked.
	Target []string `json:"target"`
	// Clarify is the expected clarify flag; nil is not checked.
	Clarify *bool `json:"clarify"`
	// Handoff is the expected handoff flag; a missing key means false.
	Handoff bool `json:"handoff"`
	// Escalate is the expected escalate flag (the bot answers and a person
	// must also take the case: fraud, a frozen account, money debited); nil
	// is not checked.
	Escalate *bool `json:"escalate,omitempty"`
	// Reason is the expected reason of a handoff or escalation ("asked",
	// "not_solved", "unsure", "fraud", "frozen", "debited"); "" is not
	// checked.
	Reason string `json:"reason,omitempty"`
	// Mention holds groups of alternatives: the answer must contain at least
	// one string of every group.
	Mention [][]string `json:"mention,omitempty"`
	// Forbid lists strings the answer must never contain.
	Forbid []string `json:"forbid,omitempty"`
	// ExpectIDs are passage ids retrieval should return; they feed the
	// retrieval metrics only, never pass/fail.
	ExpectIDs []string `json:"expect_ids,omitempty"`
	// Turns are earlier messages of the same conversation, sent before Query.
	Turns []string `json:"turns,omitempty"`
	// Kind is the case's kind (code, symptom, vague, …), "" if unlabelled.
	Kind string `json:"kind,omitempty"`
	// Family is the case's code family or topic, "" if unlabelled.
	Family string `json:"family,omitempty"`

	// Source is where the case was read, as "file:line".
	Source string `json:"source,omitempty"`
	// Dataset names the file the case was read from: its base name without
	// the extension ("dev7" for eval/testdata/dev7.jsonl).
	Dataset string `json:"dataset,omitempty"`
}

// rawCase is the wire form of a Case: fields that accept more than one shape
// are decoded by hand so that datasets written by others are read leniently.
type rawCase struct {
	ID        string          `json:"id"`
	Query     string          `json:"query"`
	ImageText string          `json:"image_text"`
	Code      *string         `json:"code"`
	Target    json.RawMessage `json:"target"`
	Clarify   *bool           `json:"clarify"`
	Handoff   *bool           `json:"handoff"`
	Escalate  *bool           `json:"escalate"`
	Reason    string          `json:"reason"`
	Mention   json.RawMessage `json:"mention"`
	Forbid    json.RawMessage `json:"forbid"`
	ExpectIDs json.RawMessage `json:"expect_ids"`
	Turns     json.RawMessage `json:"turns"`
	Kind      string          `json:"kind"`
	Family    string          `json:"family"`
}

// validTargets are the escalation targets a Reply may carry.
var validTargets = map[string]bool{"bank": true, "provider": true, "none": true}

// LoadFile reads a JSON Lines dataset from path; see ParseCases.
func LoadFile(path string) ([]Case, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open dataset: %w", err)
	}
	defer f.Close()
	return ParseCases(path, f)
}

// ParseCases reads JSON Lines cases from r; name prefixes error positions.
// Blank lines are skipped and unknown fields ignored. Every malformed line is
// reported, each error prefixed with "name:line:", joined with errors.Join.
func ParseCases(name string, r io.Reader) ([]Case, error) {
	br := bufio.NewReader(r)
	var (
		cases []Case
		errs  []error
		seen  = map[string]int{}
	)
	for line := 1; ; line++ {
		b, readErr := br.ReadBytes('\n')
		if readErr != nil && !errors.Is(readErr, io.EOF) {
			return nil, fmt.Errorf("%s:%d: read: %w", name, line, readErr)
		}
		if line == 1 {
			b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
		}
		if b = bytes.TrimSpace(b); len(b) > 0 {
			c, err := parseCase(b)
			switch {
			case err != nil:
				errs = append(errs, fmt.Errorf("%s:%d: %w", name, line, err))
			case seen[c.ID] != 0:
				errs = append(errs, fmt.Errorf("%s:%d: duplicate id %q (first on line %d)", name, line, c.ID, seen[c.ID]))
			default:
				seen[c.ID] = line
				c.Source = fmt.Sprintf("%s:%d", name, line)
				c.Dataset = datasetName(name)
				cases = append(cases, c)
			}
		}
		if readErr != nil {
			break
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return cases, nil
}

// datasetName is the name a dataset is reported under: the base name of
// its file without the extension ("embedded:eval/testdata/cases.jsonl" is
// "cases").
func datasetName(name string) string {
	base := path.Base(filepath.ToSlash(strings.TrimPrefix(name, "embedded:")))
	return strings.TrimSuffix(base, path.Ext(base))
}

// parseCase decodes and validates one line.
func parseCase(b []byte) (Case, error) {
	var rc rawCase
	if err := json.Unmarshal(b, &rc); err != nil {
		return Case{}, fmt.Errorf("decode case: %w", err)
	}
	c := Case{
		ID:        strings.TrimSpace(rc.ID),
		Query:     rc.Query,
		ImageText: rc.ImageText,
		Clarify:   rc.Clarify,
		Handoff:   rc.Handoff != nil && *rc.Handoff,
		Escalate:  rc.Escalate,
		Reason:    strings.TrimSpace(rc.Reason),
		Kind:      strings.TrimSpace(rc.Kind),
		Family:    strings.TrimSpace(rc.Family),
	}
	if c.ID == "" {
		return Case{}, errors.New(`missing "id"`)
	}
	if strings.TrimSpace(c.Query) == "" && strings.TrimSpace(c.ImageText) == "" {
		return Case{}, fmt.Errorf("case %q: missing \"query\"", c.ID)
	}
	if rc.Code != nil {
		code := strings.TrimSpace(*rc.Code)
		c.Code = &code
	}
	var err error
	if c.Target, err = stringOrList(rc.Target); err != nil {
		return Case{}, fmt.Errorf("case %q: target: %w", c.ID, err)
	}
	for _, t := range c.Target {
		if !validTargets[t] {
			return Case{}, fmt.Errorf("case %q: target: unknown value %q (want bank, provider or none)", c.ID, t)
		}
	}
	if c.Mention, err = mentionGroups(rc.Mention); err != nil {
		return Case{}, fmt.Errorf("case %q: mention: %w", c.ID, err)
	}
	if c.Forbid, err = stringOrList(rc.Forbid); err != nil {
		return Case{}, fmt.Errorf("case %q: forbid: %w", c.ID, err)
	}
	if c.ExpectIDs, err = stringOrList(rc.ExpectIDs); err != nil {
		return Case{}, fmt.Errorf("case %q: expect_ids: %w", c.ID, err)
	}
	if c.Turns, err = stringOrList(rc.Turns); err != nil {
		return Case{}, fmt.Errorf("case %q: turns: %w", c.ID, err)
	}
	return c, nil
}

// stringOrList decodes null/missing as nil, a string as a one-element list and
// a list of strings as is; empty strings are dropped. An empty list decodes to
// nil, so `"target": []` means "not checked" rather than "nothing acceptable".
func stringOrList(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		if strings.TrimSpace(one) == "" {
			return nil, nil
		}
		return []string{strings.TrimSpace(one)}, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("want a string or a list of strings: %w", err)
	}
	var out []string
	for _, s := range list {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

// mentionGroups decodes a list whose elements are groups of alternatives; a
// bare string element is a group of one, so ["a", ["b", "c"]] is two groups.
func mentionGroups(raw json.RawMessage) ([][]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, fmt.Errorf("want a list of groups: %w", err)
	}
	var groups [][]string
	for i, e := range elems {
		g, err := stringOrList(e)
		if err != nil {
			return nil, fmt.Errorf("group %d: %w", i+1, err)
		}
		if len(g) > 0 {
			groups = append(groups, g)
		}
	}
	return groups, nil
}
