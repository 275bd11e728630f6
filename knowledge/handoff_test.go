package knowledge

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

// edited returns the embedded data files with file changed by edit.
func edited(t *testing.T, file string, edit func(string) string) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{}
	err := fs.WalkDir(embedded, "data", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(embedded, p)
		out[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	f, ok := out[file]
	if !ok {
		t.Fatalf("no %s", file)
	}
	before := string(f.Data)
	if after := edit(before); after != before {
		f.Data = []byte(after)
	} else {
		t.Fatalf("the edit did not change %s", file)
	}
	return out
}

// replace is an edit replacing old, which must occur, by new.
func replace(old, new string) func(string) string {
	return func(s string) string { return strings.Replace(s, old, new, 1) }
}

func TestHandoffValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(string) string
		want []string // in the error
	}{
		{"placeholders differ across languages",
			replace("en: 'Got it, passed to the agent (ticket #%d); %d ahead", "en: 'Got it, passed to the agent (ticket #%d); many ahead"),
			[]string{"handoff.yaml", "merchant text waiting (en)", `placeholders "%d", want "%d %d"`}},
		{"placeholders dropped in every language", replace("    zh: 消息发得太快了，这条没有转给客服。请 %d 秒后再发。", "    zh: 消息发得太快了，这条没有转给客服。请稍后再发。"),
			[]string{"handoff.yaml", "merchant text slow_down (zh)"}},
		{"agent placeholder changed", replace("title: '工单 #%d · %s · %s'", "title: '工单 #%s · %s · %s'"),
			[]string{"handoff.yaml", "agent text title", `want "%d %s %s"`}},
		{"merchant text missing", replace("  taken:\n", "  took:\n"),
			[]string{"handoff.yaml", "merchant text taken is missing", "merchant text took is not one posbot uses"}},
		{"a language missing", replace("    en: The agent has closed your case. If anything else comes up, just write to me and I will help.\n", ""),
			[]string{"handoff.yaml", "merchant text closed has no en version"}},
		{"agent text missing", replace("  steps: 已给出的步骤：\n", ""), []string{"handoff.yaml", "agent text steps is missing"}},
		{"six weekdays", replace("[Sun, Mon, Tue, Wed, Thu, Fri, Sat]", "[Mon, Tue, Wed, Thu, Fri, Sat]"),
			[]string{"handoff.yaml", "calendar en: weekdays lists 6 names"}},
		{"broken template", replace("{{with .Meaning}}（{{.}}）{{end}}{{end}}{{with .Time}}", "{{with .Meaning}}（{{.}}）{{end}}{{with .Time}}"),
			[]string{"handoff.yaml", "packets.bank.zh"}},
		{"template reads what it is not given", replace("终端号：{{or .TerminalNo", "卡号：{{.CardNumber}} 终端号：{{or .TerminalNo"),
			[]string{"handoff.yaml", "packets.provider.zh", "CardNumber"}},
		{"template calls a function there is not", replace(`{{join . "; "}}`, `{{concat . "; "}}`),
			[]string{"handoff.yaml", "packets.provider.en", "concat"}},
		{"a phone number in a packet", replace("请拨打银行卡背面的客服电话", "请拨打 400-820-8888 或银行卡背面的客服电话"),
			[]string{"handoff.yaml", "packets.bank.zh writes the number", "400-820-8888"}},
		{"a packet for no target", replace("packets:\n", "packets:\n  none:\n    zh: 无\n"),
			[]string{"handoff.yaml", "packets: none is not a target"}},
		{"a template comment is fine", replace("      【For the cardholder】", "      【For the cardholder】{{/* to the cardholder */}}"), nil},
		{"a packet language missing", func(s string) string {
			i := strings.Index(s, "    en: |\n      【To forward to your POS provider】")
			return s[:i]
		}, []string{"handoff.yaml", "packets.provider has no en template"}},
		{"unknown field", replace("calendar:\n  zh:\n", "calendar:\n  zh:\n    month: 月\n"), []string{"handoff.yaml", "month"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(edited(t, handoffFile, tt.edit))
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				return
			}
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

func TestPacketFallsBackToChinese(t *testing.T) {
	t.Parallel()
	b, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	h := b.Handoff()
	zh, err := h.Packet(TargetBank, "zh", PacketFacts{Code: "51"})
	if err != nil || !strings.Contains(zh, "应答码 51") {
		t.Fatalf("Packet(bank, zh) = %q, %v", zh, err)
	}
	if fr, err := h.Packet(TargetBank, "fr", PacketFacts{Code: "51"}); fr != zh || err != nil {
		t.Errorf("Packet(bank, fr) = %q, %v; want the Chinese packet", fr, err)
	}
	if none, err := h.Packet(TargetNone, "zh", PacketFacts{Code: "51"}); none != "" || err != nil {
		t.Errorf("Packet(none) = %q, %v; want none", none, err)
	}
}

func TestFactWordsValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file string
		edit       func(string) string
		want       string
	}{
		{"a word twice", "data/lexicon/zh.yaml", replace(`card_last4: ["尾号",`, `card_last4: ["尾号", "尾号",`), `lexicon zh: facts.card_last4 lists "尾号" twice`},
		{"an empty word", "data/lexicon/en.yaml", replace(`currency: ["rmb",`, `currency: ["", "rmb",`), "lexicon en: facts.currency lists an empty word"},
		{"no labels in any language", "data/lexicon/zh.yaml", replace(`terminal_no: ["终端编号", "终端号码", "终端号", "终端代码"]`, `terminal_no: []`), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(edited(t, tt.file, tt.edit))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Load: %v", err) // English still labels the terminal number
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load error %v; want one mentioning %q", err, tt.want)
			}
		})
	}
	fsys := edited(t, "data/lexicon/zh.yaml", replace(`ref_no: ["检索参考号", "交易参考号", "参考号"]`, `ref_no: []`))
	en := string(fsys["data/lexicon/en.yaml"].Data)
	fsys["data/lexicon/en.yaml"].Data = []byte(strings.Replace(en, `ref_no: ["reference no.", "reference no", "reference number", "ref no.", "ref no", "ref number"]`, `ref_no: []`, 1))
	if _, err := Load(fsys); err == nil || !strings.Contains(err.Error(), "facts.ref_no is empty in every language") {
		t.Errorf("Load without reference number labels: %v", err)
	}
}
