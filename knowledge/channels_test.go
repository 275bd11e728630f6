package knowledge

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestChannelsValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file string // channelsFile unless set
		edit func(string) string
		want []string // in the error
	}{
		{"placeholders differ across languages",
			"", replace("      en: 'I have passed this to a human agent (ticket #%d), who", "      en: 'I have passed this to a human agent (your ticket), who"),
			[]string{"channels.yaml", "merchant text chatwoot.handed_over (en)", `placeholders "", want "%d"`}},
		{"placeholder added in every language", "", func(s string) string {
			s = replace("      zh: 这个按钮已失效，请直接输入您的回答。", "      zh: 这个按钮（%d）已失效，请直接输入您的回答。")(s)
			return replace("      en: This button no longer works;", "      en: This button (%d) no longer works;")(s)
		}, []string{"channels.yaml", "merchant text telegram.stale_button (zh)", "merchant text telegram.stale_button (en)", `want ""`}},
		{"a common placeholder dropped", "", replace("（超过 %dMB）", "（太大）"),
			[]string{"channels.yaml", "merchant text common.image_too_large (zh)", `want "%d"`}},
		{"merchant text missing", "", replace("    help:\n", "    helping:\n"),
			[]string{"channels.yaml", "merchant text telegram.help is missing (in telegram or in common)", "merchant text telegram.helping is not one posbot uses"}},
		{"a text two channels share missing", "", replace("    reset:\n", "    restart:\n"),
			[]string{"channels.yaml", "merchant text telegram.reset is missing (in telegram or in common)", "merchant text cli.reset is missing", "merchant text common.restart is not one posbot uses"}},
		{"a shared text missing", "", replace("    failed:\n      zh: 抱歉，我这边处理出了点问题。请稍后再发一次，或者发送“转人工”", "    failure:\n      zh: 抱歉，我这边处理出了点问题。请稍后再发一次，或者发送“转人工”"),
			[]string{"channels.yaml", "merchant text bridge.failed is missing", "merchant text wechat.failed is missing", "merchant text common.failure is not one posbot uses"}},
		{"a common text nobody shares", "", replace("  common:\n", "  common:\n    voice_unrecognised:\n      zh: 听不清\n      en: Inaudible\n"),
			[]string{"channels.yaml", "merchant text common.voice_unrecognised is not one posbot uses: every channel that says voice_unrecognised has its own"}},
		{"a language missing", "", replace("      en: OK, this conversation is cleared. Describe the problem again, or send the code on the screen.\n", ""),
			[]string{"channels.yaml", "merchant text common.reset has no en version"}},
		{"an unknown language", "", replace("      en: ✅ Solved\n", "      en: ✅ Solved\n      fr: ✅ Résolu\n"),
			[]string{"channels.yaml", "merchant text telegram.solved_button has a fr version, a language posbot does not speak (en, zh)"}},
		{"an unknown channel", "", replace("  wecom:\n", "  line:\n    welcome:\n      zh: 你好\n      en: Hello\n  wecom:\n"),
			[]string{"channels.yaml", "merchant section line is not common or a channel posbot has"}},
		{"agent text missing", "", replace("  unclaimed: 待接手\n", ""), []string{"channels.yaml", "agent text unclaimed is missing"}},
		{"agent text unknown", "", replace("  unclaimed: 待接手\n", "  unclaimed: 待接手\n  waiting: 等待中\n"), []string{"channels.yaml", "agent text waiting is not one posbot uses"}},
		{"agent placeholder changed", "", replace("list_line: '工单 #%d · %s · %s · %s · %s'", "list_line: '工单 #%d · %s · %s · %s'"),
			[]string{"channels.yaml", "agent text list_line", `want "%d %s %s %s %s"`}},
		{"the ticket reference reworded", "", replace("  ticket: '工单 #%d'", "  ticket: '单号 %d'"),
			[]string{"channels.yaml", `agent text ticket ("单号 %d") is not in data/dialogue/handoff.yaml's agent text event_claimed`, "agent text title"}},
		{"an event line without the ticket reference", handoffFile, replace("event_released: '⌛ 工单 #%d 客服", "event_released: '⌛ 第 %d 号工单客服"),
			[]string{"channels.yaml", "handoff.yaml's agent text event_released"}},
		{"unknown field", "", replace("merchant:\n", "greeting: 你好\nmerchant:\n"), []string{"channels.yaml", "greeting"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := tt.file
			if file == "" {
				file = channelsFile
			}
			_, err := Load(edited(t, file, tt.edit))
			if err == nil {
				t.Fatalf("Load succeeded; want an error mentioning %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

// A text several channels share takes the same placeholders in each:
// channels.yaml holds one copy of it.
func TestChannelKeysAgree(t *testing.T) {
	t.Parallel()
	seen := map[string]string{} // key → user who declared it first
	for _, user := range slices.Sorted(maps.Keys(ChannelMerchantTexts)) {
		for key, p := range ChannelMerchantTexts[user] {
			if first, ok := seen[key]; ok && ChannelMerchantTexts[first][key] != p {
				t.Errorf("%s.%s takes %q, %s.%s %q", user, key, p, first, key, ChannelMerchantTexts[first][key])
			}
			seen[key] = user
		}
	}
}

func TestChannelTextsFor(t *testing.T) {
	t.Parallel()
	b, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	c := b.ChannelTexts()
	for _, user := range slices.Sorted(maps.Keys(ChannelMerchantTexts)) {
		texts := c.For(user)
		if got, want := slices.Sorted(maps.Keys(texts)), slices.Sorted(maps.Keys(ChannelMerchantTexts[user])); !slices.Equal(got, want) {
			t.Errorf("For(%s) has %v, want %v", user, got, want)
		}
	}
	// A channel's own text comes before common's; the rest is common's.
	if tg, wx := c.For("telegram").Get("zh", "failed"), c.For("wechat").Get("zh", "failed"); !strings.Contains(tg, "/human") || strings.Contains(wx, "/human") {
		t.Errorf("failed: Telegram says %q, WeChat %q; want Telegram's own, with /human", tg, wx)
	}
	if got, want := c.For("wecom").Get("en", "unsupported"), c.Merchant["common"]["unsupported"]["en"]; got != want {
		t.Errorf("WeCom's unsupported = %q, want common's %q", got, want)
	}
	if got := c.For("screens").Get("en", "image_too_large", 10); !strings.Contains(got, "over 10 MB") {
		t.Errorf("image_too_large = %q", got)
	}
	if got := c.For("nobody"); len(got) != 0 {
		t.Errorf("For(nobody) = %v, want no texts", got)
	}
}
