package understand

import (
	"regexp"
	"strings"
)

// Ids are the receipt identifiers a support agent needs to find a merchant,
// a terminal and a transaction. Empty fields were not found.
type Ids struct {
	MerchantNo string // 商户号, 15 characters (ISO 8583 field 42)
	TerminalNo string // 终端号, 8 characters (field 41)
	RefNo      string // 参考号, 12 characters (field 37)
}

// idLabel is what may sit between a label and its value on receipts and
// screens: an English gloss in parentheses ("商户编号(MERCHANT NO.):"),
// "是", colons and spaces.
const idLabel = `(?:\s*\([a-z. ]{0,24}\))?(?:\s|[:：=是为])*`

// Each pattern captures a value of exactly the field's length: the trailing
// group refuses a longer run of letters or digits.
var (
	merchantNo = regexp.MustCompile(`(?i)(?:商户编号|商户号码?|商户代码|merchant\s*(?:no\.?|id|number))` + idLabel + `([0-9a-z]{15})(?:[^0-9a-z]|$)`)
	terminalNo = regexp.MustCompile(`(?i)(?:终端编号|终端号码?|终端代码|terminal\s*(?:no\.?|id|number))` + idLabel + `([0-9a-z]{8})(?:[^0-9a-z]|$)`)
	refNo      = regexp.MustCompile(`(?i)(?:检索参考号|参考号|交易参考号|ref(?:erence)?\s*(?:no\.?|number))` + idLabel + `([0-9a-z]{12})(?:[^0-9a-z]|$)`)
)

// Identifiers finds the labelled merchant, terminal and reference numbers in
// s, typed or OCR'd from a receipt. Letters in values are returned uppercase.
// Unlabelled numbers are ignored: a bare 15-digit number may be anything.
func Identifiers(s string) Ids {
	return Ids{
		MerchantNo: firstValue(merchantNo, s),
		TerminalNo: firstValue(terminalNo, s),
		RefNo:      firstValue(refNo, s),
	}
}

func firstValue(re *regexp.Regexp, s string) string {
	m := re.FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return strings.ToUpper(m[1])
}
