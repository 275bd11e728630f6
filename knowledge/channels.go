package knowledge

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
)

// channelsFile holds what the channels say in their own words.
const channelsFile = "data/dialogue/channels.yaml"

// ChannelTexts are what the channels say in their own words, from
// data/dialogue/channels.yaml: to merchants, by channel (what several say
// alike under "common"), in every language; to agents on the Telegram
// desk, in Chinese. It is read-only and safe for concurrent use.
type ChannelTexts struct {
	// Merchant are what merchants read: section ("common", or a user of
	// ChannelMerchantTexts) → text key → language → text.
	Merchant map[string]Texts `yaml:"merchant"`
	// Agent are what agents read on the Telegram desk: text key → text.
	Agent AgentTexts `yaml:"agent"`
}

// commonSection holds the merchant texts several channels say alike.
const commonSection = "common"

// The texts the channels use, each with the placeholders it takes, in
// order: channels.yaml must hold each with exactly these placeholders,
// and no other. A user's text is in its own section of the file or, when
// several say it alike, in common. The users are the channel packages
// ("http" is httpapi, "cli" is `posbot chat`) and "screens", the
// screenshot intake every channel shares (channel.Screens).
var (
	ChannelMerchantTexts = map[string]map[string]string{
		"telegram": {"start": "", "help": "", "reset": "", "failed": "", "unsupported": "", "stale_button": "",
			"solved_button": "", "unsolved_button": ""},
		"wechat":   {"welcome": "", "failed": "", "unsupported": "", "voice_unrecognised": ""},
		"wecom":    {"welcome": "", "failed": "", "unsupported": "", "voice": ""},
		"chatwoot": {"handed_over": "%d", "handed_over_unrecorded": "", "escalated_unrecorded": "", "failed": "", "unsupported": ""},
		"bridge":   {"failed": ""},
		"cli":      {"chat_greeting": "", "reset": ""},
		"http": {"failed": "", "too_long": "%d", "new_conversations": "%d", "ocr_busy": "", "no_image": "",
			"image_incomplete": "", "internal_error": ""},
		"screens": {"image_unreadable": "", "image_unreadable_caption": "", "image_too_large": "%d"},
	}
	ChannelAgentTexts = map[string]string{
		"ticket": "%d", "opened": "%s", "claim_button": "", "close_button": "", "claimed": "%d", "closed": "%d",
		"stale_button": "", "text_only": "%d", "list_failed": "", "list_empty": "", "list_line": "%d %s %s %s %s",
		"unclaimed": "", "no_code": "", "ticket_closed": "%d", "ticket_claimed": "%d", "ticket_not_found": "%d",
		"not_delivered": "%d",
	}
)

func loadChannels(fsys fs.FS) (*ChannelTexts, error) {
	var c ChannelTexts
	if err := decodeFile(fsys, channelsFile, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// For returns the merchant texts user (a key of ChannelMerchantTexts)
// says: each of its keys from its own section, else from common. A user
// posbot does not know gets no texts (every Get panics).
func (c *ChannelTexts) For(user string) Texts {
	t := Texts{}
	for key := range ChannelMerchantTexts[user] {
		if m, ok := c.Merchant[user][key]; ok {
			t[key] = m
		} else if m, ok := c.Merchant[commonSection][key]; ok {
			t[key] = m
		}
	}
	return t
}

// validate checks the channels' texts against what the code uses (the
// keys and placeholders above) and langs, the languages posbot speaks; and
// that the desk's ticket reference (agent text ticket) is in every line
// the handoff posts to a desk about a ticket (handoff.yaml's title and
// event lines), since the Telegram desk finds the ticket an agent's reply
// is about by it.
func (c *ChannelTexts) validate(langs []string, h *Handoff) error {
	var errs []error
	bad := func(f string, a ...any) { errs = append(errs, fmt.Errorf(channelsFile+": "+f, a...)) }
	// placeholders are what a key takes wherever it is used.
	placeholders := map[string]string{}
	for _, user := range slices.Sorted(maps.Keys(ChannelMerchantTexts)) {
		for key, p := range ChannelMerchantTexts[user] {
			placeholders[user+"."+key] = p
			placeholders[commonSection+"."+key] = p
		}
	}
	for _, section := range slices.Sorted(maps.Keys(c.Merchant)) {
		if _, ok := ChannelMerchantTexts[section]; !ok && section != commonSection {
			bad("merchant section %s is not common or a channel posbot has (%s)", section,
				strings.Join(slices.Sorted(maps.Keys(ChannelMerchantTexts)), ", "))
			continue
		}
		for _, key := range slices.Sorted(maps.Keys(c.Merchant[section])) {
			name := section + "." + key
			want, ok := placeholders[name]
			if !ok {
				bad("merchant text %s is not one posbot uses", name)
				continue
			}
			if section == commonSection && !c.sharedBySomeone(key) {
				bad("merchant text %s is not one posbot uses: every channel that says %s has its own", name, key)
			}
			m := c.Merchant[section][key]
			for _, lang := range langs {
				if strings.TrimSpace(m[lang]) == "" {
					bad("merchant text %s has no %s version", name, lang)
				}
			}
			for _, lang := range slices.Sorted(maps.Keys(m)) {
				if !slices.Contains(langs, lang) {
					bad("merchant text %s has a %s version, a language posbot does not speak (%s)", name, lang, strings.Join(langs, ", "))
					continue
				}
				checkPlaceholders(bad, "merchant text "+name+" ("+lang+")", m[lang], want)
			}
		}
	}
	for _, user := range slices.Sorted(maps.Keys(ChannelMerchantTexts)) {
		for _, key := range slices.Sorted(maps.Keys(ChannelMerchantTexts[user])) {
			_, own := c.Merchant[user][key]
			_, common := c.Merchant[commonSection][key]
			if !own && !common {
				bad("merchant text %s.%s is missing (in %s or in %s)", user, key, user, commonSection)
			}
		}
	}
	for _, key := range slices.Sorted(maps.Keys(ChannelAgentTexts)) {
		s, ok := c.Agent[key]
		if !ok {
			bad("agent text %s is missing", key)
			continue
		}
		checkPlaceholders(bad, "agent text "+key, s, ChannelAgentTexts[key])
	}
	for _, key := range slices.Sorted(maps.Keys(c.Agent)) {
		if _, ok := ChannelAgentTexts[key]; !ok {
			bad("agent text %s is not one posbot uses", key)
		}
	}
	if err := errors.Join(errs...); err != nil || h == nil {
		return err
	}
	ref := c.Agent.Get("ticket", 42)
	for _, key := range slices.Sorted(maps.Keys(HandoffAgentTexts)) {
		if key != "title" && !strings.HasPrefix(key, "event_") {
			continue
		}
		text, ok := h.Agent[key]
		if !ok {
			continue // handoff.yaml's own check reports it
		}
		if line := fmt.Sprintf(text, sampleArgs(HandoffAgentTexts[key])...); !strings.Contains(line, ref) {
			bad("agent text ticket (%q) is not in %s's agent text %s (%q): the Telegram desk could not tell which ticket a reply to it is about",
				c.Agent["ticket"], handoffFile, key, line)
		}
	}
	return errors.Join(errs...)
}

// sharedBySomeone reports whether a user says common text key: it needs
// key and has none of its own.
func (c *ChannelTexts) sharedBySomeone(key string) bool {
	for user, keys := range ChannelMerchantTexts {
		if _, needs := keys[key]; needs {
			if _, own := c.Merchant[user][key]; !own {
				return true
			}
		}
	}
	return false
}

// sampleArgs are arguments for placeholders ("%d %s"): every number 42,
// every text "x".
func sampleArgs(placeholders string) []any {
	var args []any
	for _, p := range strings.Fields(placeholders) {
		if p == "%d" {
			args = append(args, 42)
		} else {
			args = append(args, "x")
		}
	}
	return args
}

// ChannelTexts returns what the channels say in their own words; nil for
// a Base without them (New, in tests).
func (b *Base) ChannelTexts() *ChannelTexts { return b.channels }
