package understand

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestIdentifiers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want Ids
	}{
		{"all three with colons", "商户号:123456789012345 终端号:12345678 参考号:123456789012",
			Ids{MerchantNo: "123456789012345", TerminalNo: "12345678", RefNo: "123456789012"}},
		{"full-width colons and 编号", "商户编号：898310048161234\n终端编号：10293847",
			Ids{MerchantNo: "898310048161234", TerminalNo: "10293847"}},
		{"space separators", "商户号 12345678901234A 终端号 ab123456",
			Ids{MerchantNo: "12345678901234A", TerminalNo: "AB123456"}},
		{"是 as separator", "商户号是898310048161234，终端号12345678",
			Ids{MerchantNo: "898310048161234", TerminalNo: "12345678"}},
		{"receipt with english gloss", "商户编号(MERCHANT NO.):123456789012345\n终端编号(TERMINAL NO.):12345678\n检索参考号(REFERENCE NO.):000123456789",
			Ids{MerchantNo: "123456789012345", TerminalNo: "12345678", RefNo: "000123456789"}},
		{"检索参考号", "检索参考号 301234567890", Ids{RefNo: "301234567890"}},
		{"english labels", "merchant no. 123456789012345, terminal id 12345678",
			Ids{MerchantNo: "123456789012345", TerminalNo: "12345678"}},
		{"wrong lengths ignored", "商户号12345678901234 终端号123456789 参考号12345", Ids{}},
		{"unlabelled numbers ignored", "123456789012345 12345678", Ids{}},
		{"nothing", "交易失败51", Ids{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, Identifiers(tc.in)); diff != "" {
				t.Errorf("Identifiers(%q) mismatch (-want +got):\n%s", tc.in, diff)
			}
			// The engine reads identifiers from normalised text too.
			if diff := cmp.Diff(tc.want, Identifiers(Normalize(tc.in))); diff != "" {
				t.Errorf("Identifiers(Normalize(%q)) mismatch (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}
