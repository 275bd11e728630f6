package handoff

import (
	"strings"
	"text/template"
)

// Provider is the merchant's POS service provider as configured
// (POSBOT_PROVIDER_NAME, POSBOT_PROVIDER_HOTLINE). Both may be empty.
type Provider struct {
	Name    string
	Hotline string
}

// packetTexts are the escalation packets by language and target. For the
// bank: what the merchant tells the cardholder, and what not to do. For the
// provider: a short text the merchant can forward. They take only what the
// merchant supplied (a card by its last four digits at most), the code and
// its meaning, the steps tried, and the configured provider name and
// hotline: never a phone number from anywhere else.
//
// TODO(knowledge): move to knowledge/data texts, per language, validated at load.
var packetTexts = map[string]map[string]string{
	"zh": {
		"bank": `【请转告持卡人】
请拨打银行卡背面的客服电话，告诉银行这笔交易被拒{{if .Code}}，应答码 {{.Code}}{{with .Meaning}}（{{.}}）{{end}}{{end}}{{with .S.Time}}，交易时间 {{.}}{{end}}{{with .S.Amount}}，金额 {{.}}{{end}}。银行会告诉您具体原因并处理。
请不要：反复刷这张卡；把卡号、密码或短信验证码告诉收银员或任何人；拆分金额绕过限额。`,
		"provider": `【可转发给 POS 服务商】
我店 POS 机交易失败，请协助处理：
商户号：{{or .S.MerchantNo "（请补充）"}}
终端号：{{or .S.TerminalNo "（请补充）"}}
参考号：{{or .S.RefNo "（请补充）"}}
交易时间：{{or .S.Time "（请补充）"}}
金额：{{or .S.Amount "（请补充）"}}
{{if .Code}}应答码：{{.Code}}{{with .Meaning}}（{{.}}）{{end}}
{{end}}{{with .Tried}}已尝试：{{join . "；"}}
{{end}}{{with .P}}{{if and .Name .Hotline}}服务商：{{.Name}}，客服热线 {{.Hotline}}{{else if .Hotline}}服务商客服热线 {{.Hotline}}{{else if .Name}}服务商：{{.Name}}（请用合同或终端上标注的官方客服电话联系）{{else}}请用合同或终端上标注的服务商官方客服电话联系。{{end}}{{end}}`,
	},
	"en": {
		"bank": `【For the cardholder】
Please call the customer service number on the back of your card and tell the bank the payment was declined{{if .Code}} with code {{.Code}}{{with .Meaning}} ({{.}}){{end}}{{end}}{{with .S.Time}} at {{.}}{{end}}{{with .S.Amount}} for {{.}}{{end}}. The bank can tell you why and lift the block.
Please do not: swipe the card again and again; tell anyone (the cashier included) your card number, PIN or SMS code; split the amount to get round a limit.`,
		"provider": `【To forward to your POS provider】
Our card terminal fails to complete sales; please help.
Merchant ID (商户号): {{or .S.MerchantNo "(please fill in)"}}
Terminal ID (终端号): {{or .S.TerminalNo "(please fill in)"}}
Reference no. (参考号): {{or .S.RefNo "(please fill in)"}}
Time: {{or .S.Time "(please fill in)"}}
Amount: {{or .S.Amount "(please fill in)"}}
{{if .Code}}Response code: {{.Code}}{{with .Meaning}} ({{.}}){{end}}
{{end}}{{with .Tried}}Already tried: {{join . "; "}}
{{end}}{{with .P}}{{if and .Name .Hotline}}Provider: {{.Name}}, hotline {{.Hotline}}{{else if .Hotline}}Provider hotline {{.Hotline}}{{else if .Name}}Provider: {{.Name}} (use the official number on your contract or the terminal){{else}}Use your provider's official number, as printed on your contract or the terminal.{{end}}{{end}}`,
	},
}

// packets are packetTexts parsed; a broken template fails every test.
var packets = func() map[string]*template.Template {
	out := map[string]*template.Template{}
	for lang, byTarget := range packetTexts {
		for target, text := range byTarget {
			out[lang+"/"+target] = template.Must(template.New(lang + "/" + target).
				Funcs(template.FuncMap{"join": strings.Join}).Option("missingkey=error").Parse(text))
		}
	}
	return out
}()

// packet is the escalation text for a ticket in lang, "" when its target is
// neither the bank nor the provider.
func packet(lang string, t Ticket, meaning string, tried []string, p Provider) string {
	if lang != "en" {
		lang = "zh"
	}
	tmpl, ok := packets[lang+"/"+t.Target]
	if !ok {
		return ""
	}
	var b strings.Builder
	data := struct {
		Code, Meaning string
		S             Supplied
		Tried         []string
		P             *Provider
	}{t.Code, meaning, t.Supplied, tried, &p}
	if err := tmpl.Execute(&b, data); err != nil {
		return "" // the templates are tested; no packet beats half a packet
	}
	return strings.TrimSpace(b.String())
}
