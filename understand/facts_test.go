package understand

import (
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/posbot/posbot/knowledge"
)

func TestFacts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want Facts
	}{
		{"all three with colons", "商户号:123456789012345 终端号:12345678 参考号:123456789012",
			Facts{MerchantNo: "123456789012345", TerminalNo: "12345678", RefNo: "123456789012"}},
		{"full-width colons and 编号", "商户编号：898310048161234\n终端编号：10293847",
			Facts{MerchantNo: "898310048161234", TerminalNo: "10293847"}},
		{"space separators", "商户号 12345678901234A 终端号 ab123456",
			Facts{MerchantNo: "12345678901234A", TerminalNo: "AB123456"}},
		{"是 as separator", "商户号是898310048161234，终端号12345678",
			Facts{MerchantNo: "898310048161234", TerminalNo: "12345678"}},
		{"receipt with english gloss", "商户编号(MERCHANT NO.):123456789012345\n终端编号(TERMINAL NO.):12345678\n检索参考号(REFERENCE NO.):000123456789",
			Facts{MerchantNo: "123456789012345", TerminalNo: "12345678", RefNo: "000123456789"}},
		{"检索参考号", "检索参考号 301234567890", Facts{RefNo: "301234567890"}},
		{"english labels", "merchant no. 123456789012345, terminal id 12345678",
			Facts{MerchantNo: "123456789012345", TerminalNo: "12345678"}},
		{"english labels run together", "MerchantID:123456789012345 Ref No 301234567890",
			Facts{MerchantNo: "123456789012345", RefNo: "301234567890"}},
		{"wrong lengths ignored", "商户号12345678901234 终端号123456789 参考号12345", Facts{}},
		{"unlabelled numbers ignored", "123456789012345 12345678", Facts{}},
		{"nothing", "交易失败51", Facts{}},

		{"spoken time, amount and a masked card", "今天下午3点20分刷了128.50元，卡号622202******7894，显示51",
			Facts{Time: "今天下午3点20分", Amount: "128.50", CardLast4: "7894"}},
		{"clock time and yuan sign", "14:32 收款 ￥99 失败", Facts{Time: "14:32", Amount: "99"}},
		{"尾号是", "尾号是 1234 的卡", Facts{CardLast4: "1234"}},
		{"尾号 with a colon", "卡尾号：5678", Facts{CardLast4: "5678"}},
		{"date and time", "2026-11-25 09:15:02 那笔 300块 扣款了", Facts{Time: "2026-11-25 09:15:02", Amount: "300"}},
		{"a date alone is no time", "2026-11-25 那笔", Facts{}},
		{"spoken date and half hour", "11月25日晚上8点半那笔 50块钱", Facts{Time: "11月25日晚上8点半", Amount: "50"}},
		{"english card and amount", "the card ending in 4321 was declined for 88 RMB at 9:05",
			Facts{Time: "9:05", Amount: "88", CardLast4: "4321"}},
		{"last four digits", "Last four digits: 9876", Facts{CardLast4: "9876"}},
		{"codes and numbers are not times", "错误码 A0，终端号 12345678", Facts{TerminalNo: "12345678"}},
		{"an identifier holds no time", "参考号 301234567890", Facts{RefNo: "301234567890"}},
		{"five digits after 尾号 are not a card", "尾号12345", Facts{}},
	}
	fr := testFacts()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, fr.Read(tc.in)); diff != "" {
				t.Errorf("Read(%q) mismatch (-want +got):\n%s", tc.in, diff)
			}
			// The engine's text is normalised; facts read the same there.
			if diff := cmp.Diff(tc.want, fr.Read(Normalize(tc.in))); diff != "" {
				t.Errorf("Read(Normalize(%q)) mismatch (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

// The words are the lexicon's: a word a support lead adds is read.
func TestFactWordsAreData(t *testing.T) {
	t.Parallel()
	fsys := knowledgeFiles(t)
	zh := string(fsys["data/lexicon/zh.yaml"].Data)
	const from, to = `card_last4: ["尾号"`, `card_last4: ["卡号末尾", "尾号"`
	if !strings.Contains(zh, from) {
		t.Fatalf("zh.yaml has no %s", from)
	}
	fsys["data/lexicon/zh.yaml"].Data = []byte(strings.Replace(zh, from, to, 1))
	base, err := knowledge.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	fr, err := NewFactReader(base)
	if err != nil {
		t.Fatal(err)
	}
	const said = "卡号末尾 4321 刷不了"
	if got := fr.Read(said).CardLast4; got != "4321" {
		t.Errorf("with 卡号末尾 in the lexicon, Read(%q).CardLast4 = %q", said, got)
	}
	if got := testFacts().Read(said).CardLast4; got != "" {
		t.Errorf("without it, Read(%q).CardLast4 = %q", said, got)
	}
}

func TestNewFactReaderNeedsLexicons(t *testing.T) {
	t.Parallel()
	base, err := knowledge.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewFactReader(base); err == nil {
		t.Error("NewFactReader of a base without lexicons succeeded")
	}
}

// knowledgeFiles copies the knowledge base's data files, to be edited.
func knowledgeFiles(t *testing.T) fstest.MapFS {
	t.Helper()
	src := os.DirFS("../knowledge")
	out := fstest.MapFS{}
	err := fs.WalkDir(src, "data", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		b, err := fs.ReadFile(src, p)
		out[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// BenchmarkFactReader reads the facts of one merchant message, as the
// handoff does for each merchant turn when a ticket opens.
func BenchmarkFactReader(b *testing.B) {
	fr := testFacts()
	const said = "今天下午3点20分刷了128.50元，卡号622202******7894，商户号:123456789012345 终端号:12345678，显示51"
	b.ReportAllocs()
	for b.Loop() {
		fr.Read(said)
	}
}
