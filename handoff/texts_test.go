package handoff

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/posbot/posbot/knowledge"
)

// namedValues are the values this package passes to name after each
// prefix: every one needs its agent text.
var namedValues = map[string][]string{
	"priority_": {PriorityUrgent, PriorityHigh, PriorityNormal},
	"reason_":   {ReasonAsked, ReasonNotSolved, ReasonUnsure, ReasonFraud, ReasonFrozen, ReasonDebited},
	"target_":   {knowledge.TargetBank, knowledge.TargetProvider, knowledge.TargetNone},
}

// TestTextKeys reads this package's source for every text key it asks
// for (say, desk, name) and checks them against the keys the knowledge
// base requires of handoff.yaml (and so checks at load): a key the code
// asks for that the file need not have would panic at a merchant's
// handoff; a key the code no longer asks for is dead data.
func TestTextKeys(t *testing.T) {
	t.Parallel()
	merchant, agent, err := usedKeys(".")
	if err != nil {
		t.Fatal(err)
	}
	compare := func(what string, used map[string]bool, required map[string]string) {
		t.Helper()
		for _, k := range slices.Sorted(maps.Keys(used)) {
			if _, ok := required[k]; !ok {
				t.Errorf("the code asks for %s text %q, which knowledge does not require of handoff.yaml", what, k)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(required)) {
			if !used[k] {
				t.Errorf("knowledge requires %s text %q, which the code never asks for", what, k)
			}
		}
	}
	compare("merchant", merchant, knowledge.HandoffMerchantTexts)
	compare("agent", agent, knowledge.HandoffAgentTexts)
}

// usedKeys returns the literal keys of the say, desk and name calls in the
// package's non-test files in dir.
func usedKeys(dir string) (merchant, agent map[string]bool, err error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, nil, err
	}
	merchant, agent = map[string]bool{}, map[string]bool{}
	fset := token.NewFileSet()
	var errs []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			return nil, nil, err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			arg := map[string]int{"say": 1, "desk": 0, "name": 0}
			i, ok := arg[sel.Sel.Name]
			if !ok || len(call.Args) <= i {
				return true
			}
			lit, ok := call.Args[i].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				errs = append(errs, fmt.Sprintf("%s: %s with a key that is not a literal: TestTextKeys cannot check it", fset.Position(call.Pos()), sel.Sel.Name))
				return true
			}
			key, _ := strconv.Unquote(lit.Value)
			switch sel.Sel.Name {
			case "say":
				merchant[key] = true
			case "desk":
				agent[key] = true
			case "name":
				values, ok := namedValues[key]
				if !ok {
					errs = append(errs, fmt.Sprintf("%s: name with prefix %q, which namedValues does not list", fset.Position(call.Pos()), key))
				}
				for _, v := range values {
					agent[key+v] = true
				}
			}
			return true
		})
	}
	if len(errs) > 0 {
		return nil, nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return merchant, agent, nil
}

// Every desk line names its ticket as 工单 #<id>: the Telegram desk finds
// the ticket an agent's reply is about by it.
func TestEventTextsNameTheTicket(t *testing.T) {
	t.Parallel()
	s := testService(t)
	tk := Ticket{ID: 42, Priority: PriorityHigh, Reason: ReasonDebited, Target: knowledge.TargetProvider}
	for _, e := range []Event{{Kind: EventOpened}, {Kind: EventReminder}, {Kind: EventClaimed, Agent: "alice"},
		{Kind: EventMerchant, Text: "在吗"}, {Kind: EventAgent, Agent: "alice", Text: "在"}, {Kind: EventReleased},
		{Kind: EventClosed, Agent: "alice"}, {Kind: EventClosed, Agent: "merchant"}, {Kind: "other"}} {
		if got := s.EventText(tk, e); !strings.Contains(got, "工单 #42") || strings.Contains(got, "%!") {
			t.Errorf("%s: %q; want 工单 #42, all placeholders filled", e.Kind, got)
		}
	}
}

func TestAgentView(t *testing.T) {
	t.Parallel()
	s := testService(t)
	tk := Ticket{ID: 7, Priority: PriorityUrgent, Reason: ReasonFraud, Target: knowledge.TargetBank, Channel: "telegram",
		ConversationID: "tg:1", Code: "59", Summary: "商户说：有人让我刷卡退款",
		Supplied:   Supplied{MerchantNo: "123456789012345", Amount: "500元", CardLast4: "7894"},
		Considered: []string{"疑似诈骗", "59 疑似欺诈"}, Steps: []string{"不要退款", "联系服务商"}}
	want := "工单 #7 · 🔴 紧急 · 疑似欺诈\n渠道：telegram（tg:1）\n应答码：59\n转交方向：发卡行（持卡人联系银行）\n" +
		"商户提供：商户号 123456789012345，金额 500元，卡号后四位 7894\n\n商户说：有人让我刷卡退款\n\n" +
		"考虑过的原因：疑似诈骗；59 疑似欺诈\n已给出的步骤：\n1. 不要退款\n2. 联系服务商"
	if got := s.AgentView(tk); got != want {
		t.Errorf("AgentView:\n%s\nwant:\n%s", got, want)
	}
	// The code line is left out when the summary shows it already, and
	// names unknown to handoff.yaml show as they are.
	tk.Summary, tk.Priority, tk.Target = "应答码：59\n商户说：…", "later", "elsewhere"
	got := s.AgentView(tk)
	if strings.Count(got, "应答码：59") != 1 || !strings.Contains(got, "工单 #7 · later ·") || !strings.Contains(got, "转交方向：elsewhere") {
		t.Errorf("AgentView:\n%s", got)
	}
}

func TestAfterHoursText(t *testing.T) {
	t.Parallel()
	s := testService(t)
	h, err := ParseHours("Mon-Fri 09:00-18:00, Sat/Sun 10:00-16:00, daily 20:00-21:00 Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	next := h.Next(mustTime(t, "2026-11-27T22:00:00+08:00")) // Friday night → Saturday 10:00
	tests := []struct {
		lang  string
		steps bool
		want  string
	}{
		{"zh", true, "现在不在人工客服的服务时间（周一至周五 09:00-18:00，周六、周日 10:00-16:00，每天 20:00-21:00，北京时间）。已为你登记工单 #3，客服会在 周六 11-28 10:00 之后回复你。在此之前，你可以先试试："},
		{"en", false, "Our agents work Mon-Fri 09:00-18:00, Sat/Sun 10:00-16:00, daily 20:00-21:00 (Asia/Shanghai); a person will answer your ticket #3 after Sat 11-28 10:00. Until then please follow the steps above."},
	}
	for _, tt := range tests {
		if got := s.afterHoursText(tt.lang, h, next, 3, tt.steps); got != tt.want {
			t.Errorf("%s:\n%s\nwant\n%s", tt.lang, got, tt.want)
		}
	}
}

func TestNewNeedsHandoffTexts(t *testing.T) {
	t.Parallel()
	base, err := knowledge.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{Base: base}); err == nil || !strings.Contains(err.Error(), "handoff.yaml") {
		t.Errorf("New with a base without handoff texts: %v", err)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
