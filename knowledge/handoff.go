package knowledge

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"
	"text/template"
)

// handoffFile holds what the human handoff says.
const handoffFile = "data/dialogue/handoff.yaml"

// Handoff is what the human handoff says, from data/dialogue/handoff.yaml:
// to merchants, in their language; to agents on a desk, in theirs; the
// words of the support hours; and the escalation packets. It is read-only
// and safe for concurrent use.
type Handoff struct {
	// Merchant are what merchants read: text key → language → text.
	Merchant Texts `yaml:"merchant"`
	// Agent are what agents read on a desk: text key → text, in the one
	// language agents read (Chinese).
	Agent AgentTexts `yaml:"agent"`
	// Calendars are the words of the support hours, by language.
	Calendars map[string]Calendar `yaml:"calendar"`
	// Packets are the escalation packets' templates (Go text/template,
	// executed with a PacketFacts): target → language → template.
	Packets map[string]map[string]string `yaml:"packets"`

	packets map[string]*template.Template // by target + "/" + language
}

// AgentTexts are what agents read on a desk: text key → text.
type AgentTexts map[string]string

// Get returns text key formatted with args. It panics on an unknown key:
// keys are checked at load (HandoffAgentTexts), so only a typo in code
// reaches it, and tests find it.
func (a AgentTexts) Get(key string, args ...any) string {
	s, ok := a[key]
	if !ok {
		panic(fmt.Sprintf("knowledge: unknown agent text %q", key))
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Calendar are the words support hours are told in, such as "周一至周五
// 09:00-18:00，周六、周日 10:00-16:00" or "Mon-Fri 09:00-18:00, Sat/Sun
// 10:00-16:00".
type Calendar struct {
	// Weekdays are the days' short names, Sunday first.
	Weekdays []string `yaml:"weekdays"`
	// Daily stands for every day.
	Daily string `yaml:"daily"`
	// Through joins the first and last day of a range (Mon-Fri), And the
	// days of a list (Sat/Sun), Separator the windows.
	Through   string `yaml:"through"`
	And       string `yaml:"and"`
	Separator string `yaml:"separator"`
	// Zones name time zones as merchants know them (Asia/Shanghai: 北京时间);
	// a zone not named is shown by its IANA name.
	Zones map[string]string `yaml:"zones"`
}

// PacketFacts are what an escalation packet's template reads, by field
// name ({{.Code}}, {{.MerchantNo}}): what the merchant supplied (no card
// digits: a template cannot write what it is not given), the code and its
// meaning, the titles of the steps tried, and the configured provider's
// name and hotline, the only phone number a packet may carry. Empty fields
// are unknown.
type PacketFacts struct {
	Code, Meaning                               string
	MerchantNo, TerminalNo, RefNo, Time, Amount string
	Tried                                       []string
	Provider, Hotline                           string
}

// The texts the handoff uses, each with the placeholders it takes, in
// order: handoff.yaml must hold each (merchant texts in every language)
// with exactly these placeholders, and no other text.
var (
	HandoffMerchantTexts = map[string]string{
		"queued_next": "%d", "queued": "%d %d", "waiting": "%d %d", "with_agent": "", "escalated": "%d",
		"after_hours_steps": "%s %s %d %s %s", "after_hours": "%s %s %d %s %s", "no_steps": "",
		"slow_down": "%d", "taken": "", "agent_says": "%s", "closed": "", "resumed_agent": "", "resumed_busy": "",
		"unreachable": "",
	}
	HandoffAgentTexts = map[string]string{
		"title": "%d %s %s", "title_unrecorded": "%s %s", "channel": "%s %s", "code": "%s", "target": "%s", "supplied": "%s",
		"considered": "%s", "steps": "", "list_separator": "", "supplied_separator": "",
		"supplied_merchant_no": "%s", "supplied_terminal_no": "%s", "supplied_ref_no": "%s",
		"supplied_time": "%s", "supplied_amount": "%s", "supplied_card_last4": "%s", "amount": "%s",
		"priority_urgent": "", "priority_high": "", "priority_normal": "",
		"reason_asked": "", "reason_not_solved": "", "reason_unsure": "", "reason_fraud": "", "reason_frozen": "",
		"reason_debited": "", "target_bank": "", "target_provider": "", "target_none": "",
		"event_reminder": "%d %s", "event_claimed": "%d %s", "event_merchant": "%d %s", "event_agent": "%d %s %s",
		"event_released": "%d", "event_closed": "%d %s", "event_closed_by_merchant": "%d", "event_other": "%d %s",
		"waited_unknown": "", "merchant_again": "", "feedback_solved": "", "feedback_unsolved": "", "screenshot": "%s",
	}
	// PacketTargets are the targets an escalation packet is written for.
	PacketTargets = []string{TargetBank, TargetProvider}
)

func loadHandoff(fsys fs.FS) (*Handoff, error) {
	var h Handoff
	if err := decodeFile(fsys, handoffFile, &h); err != nil {
		return nil, err
	}
	return &h, nil
}

// longDigits are runs that could be phone numbers.
var longDigits = regexp.MustCompile(`\d[\d -]{5,}\d`)

// validate checks the handoff's texts against what the code uses (the keys
// and placeholders above) and the languages, and parses every packet
// template and executes it against a full and an empty sample, so that a
// broken one fails at start-up, not at a merchant's handoff.
func (h *Handoff) validate(langs []string) error {
	var errs []error
	bad := func(f string, a ...any) { errs = append(errs, fmt.Errorf(handoffFile+": "+f, a...)) }
	for _, key := range slices.Sorted(maps.Keys(HandoffMerchantTexts)) {
		m, ok := h.Merchant[key]
		if !ok {
			bad("merchant text %s is missing", key)
			continue
		}
		for _, lang := range langs {
			if strings.TrimSpace(m[lang]) == "" {
				bad("merchant text %s has no %s version", key, lang)
			}
		}
		for _, lang := range slices.Sorted(maps.Keys(m)) {
			checkPlaceholders(bad, "merchant text "+key+" ("+lang+")", m[lang], HandoffMerchantTexts[key])
		}
	}
	for _, key := range slices.Sorted(maps.Keys(h.Merchant)) {
		if _, ok := HandoffMerchantTexts[key]; !ok {
			bad("merchant text %s is not one posbot uses", key)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(HandoffAgentTexts)) {
		s, ok := h.Agent[key]
		if !ok {
			bad("agent text %s is missing", key)
			continue
		}
		checkPlaceholders(bad, "agent text "+key, s, HandoffAgentTexts[key])
	}
	for _, key := range slices.Sorted(maps.Keys(h.Agent)) {
		if _, ok := HandoffAgentTexts[key]; !ok {
			bad("agent text %s is not one posbot uses", key)
		}
	}
	for _, lang := range langs {
		c, ok := h.Calendars[lang]
		switch {
		case !ok:
			bad("calendar has no %s words", lang)
		case len(c.Weekdays) != 7 || slices.Contains(c.Weekdays, ""):
			bad("calendar %s: weekdays lists %d names, want 7 (Sunday first)", lang, len(c.Weekdays))
		case c.Daily == "" || c.Through == "" || c.And == "" || c.Separator == "":
			bad("calendar %s: daily, through, and and separator are all needed", lang)
		}
	}
	for _, target := range slices.Sorted(maps.Keys(h.Packets)) {
		if !slices.Contains(PacketTargets, target) {
			bad("packets: %s is not a target with a packet (%v)", target, PacketTargets)
		}
	}
	if err := h.compile(); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", handoffFile, err))
		return errors.Join(errs...)
	}
	for _, target := range PacketTargets {
		for _, lang := range langs {
			if _, ok := h.packets[target+"/"+lang]; !ok {
				bad("packets.%s has no %s template", target, lang)
				continue
			}
			for _, sample := range packetSamples {
				var out strings.Builder
				if err := h.packets[target+"/"+lang].Execute(&out, sample); err != nil {
					bad("%v", err) // the template's error names it
					break
				}
				if n := longDigits.FindString(out.String()); n != "" {
					bad("packets.%s.%s writes the number %q: a packet may carry no phone number but the configured hotline ({{.Hotline}})", target, lang, n)
					break
				}
			}
		}
	}
	return errors.Join(errs...)
}

// packetSamples are what every packet template is executed against at
// load: everything known, and nothing. They hold no digits, so any long
// number in a packet comes from its template.
var packetSamples = []PacketFacts{
	{Code: "XX", Meaning: "meaning", MerchantNo: "merchant-no", TerminalNo: "terminal-no", RefNo: "ref-no",
		Time: "time", Amount: "amount", Tried: []string{"step one", "step two"}, Provider: "provider", Hotline: "hotline"},
	{},
}

// checkPlaceholders reports text (named what) when its fmt placeholders
// are not want, space-separated.
func checkPlaceholders(bad func(string, ...any), what, text, want string) {
	if got := strings.Join(placeholder.FindAllString(text, -1), " "); got != want {
		bad("%s: placeholders %q, want %q", what, got, want)
	}
}

// compile parses the packet templates.
func (h *Handoff) compile() error {
	h.packets = map[string]*template.Template{}
	var errs []error
	for _, target := range slices.Sorted(maps.Keys(h.Packets)) {
		for _, lang := range slices.Sorted(maps.Keys(h.Packets[target])) {
			name := "packets." + target + "." + lang
			t, err := template.New(name).Funcs(template.FuncMap{"join": strings.Join}).
				Option("missingkey=error").Parse(h.Packets[target][lang])
			if err != nil {
				errs = append(errs, err)
				continue
			}
			h.packets[target+"/"+lang] = t
		}
	}
	return errors.Join(errs...)
}

// Packet returns the escalation packet for target in lang (Chinese when
// lang has none), trimmed; "" when target has no packet (none). The
// templates were executed at load, so an error here means facts no sample
// had.
func (h *Handoff) Packet(target, lang string, f PacketFacts) (string, error) {
	t, ok := h.packets[target+"/"+lang]
	if !ok {
		if t, ok = h.packets[target+"/zh"]; !ok {
			return "", nil
		}
	}
	var b strings.Builder
	if err := t.Execute(&b, f); err != nil {
		return "", fmt.Errorf("packet %s/%s: %w", target, lang, err)
	}
	return strings.TrimSpace(b.String()), nil
}

// Calendar returns the words of the support hours in lang, Chinese when
// lang has none.
func (h *Handoff) Calendar(lang string) Calendar {
	if c, ok := h.Calendars[lang]; ok {
		return c
	}
	return h.Calendars["zh"]
}

// Handoff returns what the human handoff says; nil for a Base without it
// (New, in tests).
func (b *Base) Handoff() *Handoff { return b.handoff }
