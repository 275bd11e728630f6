package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/bot/bottest"
	"github.com/posbot/posbot/knowledge"
)

func newEngine(t testing.TB, opts ...func(*bot.Config)) (*bot.Engine, *knowledge.Base) {
	t.Helper()
	return bottest.Engine(t, opts...), bottest.Base(t)
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func ids(ss []bot.Source) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.ID
	}
	return out
}

func ask(t *testing.T, e *bot.Engine, conv, text string) bot.Reply {
	t.Helper()
	return askPhoto(t, e, conv, text, "")
}

// askPhoto sends text with a photo whose OCR read image.
func askPhoto(t *testing.T, e *bot.Engine, conv, text, image string) bot.Reply {
	t.Helper()
	r, err := e.Handle(context.Background(), bot.Message{ConversationID: conv, Channel: "test", Text: text, ImageText: image})
	if err != nil {
		t.Fatalf("Handle(%q): %v", text, err)
	}
	return r
}

func TestAnswers(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t)
	tests := []struct {
		name, text     string
		code, target   string
		clarify        bool
		handoff        bool
		mention        []string
		forbid         []string
		topSourceIsOne string
	}{
		{name: "51 insufficient funds", text: "刷卡显示交易失败51", code: "51", target: "bank", mention: []string{"余额", "背面", "1."}},
		{name: "A0 needs sign-in", text: "错误码：A0", code: "A0", target: "provider", mention: []string{"签到", "商户号", "终端号"}},
		{name: "55 wrong PIN", text: "顾客刷卡提示55密码错", code: "55", target: "bank", mention: []string{"密码"}},
		{name: "comm failure without code", text: "机器一直通讯失败", target: "provider", mention: []string{"信号"}, topSourceIsOne: "msg-comm-fail"},
		{name: "vague report", text: "刷卡失败了怎么办", target: "none", clarify: true, mention: []string{"所有卡都刷不了"}},
		{name: "human", text: "转人工", handoff: true, target: "none"},
		{name: "out of scope", text: "今天天气怎么样", target: "none", mention: []string{"POS"}},
		{name: "english", text: "card declined with code 51", code: "51", target: "bank", mention: []string{"bank"}, forbid: []string{"余额不足"}},
		{name: "amount is not a code", text: "刷了1000元显示交易失败", target: "none", clarify: true},
		// A symptom with a card side and a terminal side: the scope decides.
		{name: "over the limit on every card", text: "POS提示单笔金额超限，顾客换了两张卡都一样", target: "provider", topSourceIsOne: "msg-terminal-limit"},
		{name: "over the limit on one card", text: "提示交易超限 只有这一张卡不行", target: "bank", topSourceIsOne: "msg-over-limit"},
		// Without the scope the terminal side leads here; with it, the card side.
		{name: "terminal limit words, one card", text: "提示终端限额超限 只有这一张卡不行", target: "bank", topSourceIsOne: "msg-over-limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := ask(t, e, "t-"+tt.name, tt.text)
			if r.Code != tt.code || r.Target != tt.target || r.Clarify != tt.clarify || r.Handoff != tt.handoff {
				t.Errorf("got code=%q target=%q clarify=%v handoff=%v, want %q %q %v %v\n%s",
					r.Code, r.Target, r.Clarify, r.Handoff, tt.code, tt.target, tt.clarify, tt.handoff, r.Answer)
			}
			for _, m := range tt.mention {
				if !strings.Contains(r.Answer, m) {
					t.Errorf("answer lacks %q:\n%s", m, r.Answer)
				}
			}
			for _, f := range tt.forbid {
				if strings.Contains(r.Answer, f) {
					t.Errorf("answer contains %q:\n%s", f, r.Answer)
				}
			}
			if tt.topSourceIsOne != "" && (len(r.Sources) == 0 || r.Sources[0].ID != tt.topSourceIsOne) {
				t.Errorf("sources %v, want %s first", ids(r.Sources), tt.topSourceIsOne)
			}
		})
	}
}

func TestCardDataNeverLeaves(t *testing.T) {
	t.Parallel()
	sessions := &bot.MemorySessions{}
	e, _ := newEngine(t, func(c *bot.Config) { c.Sessions = sessions })
	const pan = "6222021234567890123"
	r := ask(t, e, "card", "卡号6222 0212 3456 7890 123 密码是123456 刷卡显示51")
	for _, bad := range []string{pan, "6222 0212 3456 7890 123", "123456"} {
		if strings.Contains(r.Answer, bad) {
			t.Errorf("reply contains %q", bad)
		}
	}
	if !r.CardDataMasked || !strings.Contains(r.Answer, "不要") || r.Code != "51" {
		t.Errorf("masked=%v code=%q; want a warning and code 51:\n%s", r.CardDataMasked, r.Code, r.Answer)
	}
	st, err := sessions.Get(context.Background(), "card")
	if err != nil {
		t.Fatal(err)
	}
	for _, turn := range st.History {
		if strings.Contains(turn.Text, pan) || strings.Contains(turn.Text, "123456") {
			t.Errorf("stored transcript holds card data: %q", turn.Text)
		}
	}
}

// TestVolunteeredSecretNeverEchoed: a CVV that happens to occur in the
// answer's fixed text ("583" in "ISO 8583") is scrubbed from the reply.
func TestVolunteeredSecretNeverEchoed(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t)
	r := ask(t, e, "cvv", "顾客的信用卡621488063059277311,背面三位数是583,提示59卡片校验错")
	if strings.Contains(r.Answer, "583") || r.Code != "59" {
		t.Fatalf("code %q; reply repeats the CVV:\n%s", r.Code, r.Answer)
	}
}

func TestClarifyThenResolve(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t)
	tests := []struct {
		name, reply  string
		code, target string
		source       string
	}{
		{"code", "51", "51", "bank", "code-51"},
		{"every card", "所有卡都不行", "", "provider", "msg-all-cards-fail"},
		{"ordinal", "第二个", "", "bank", "msg-one-card-fail"},
		{"button text", "机器没信号/连不上网", "", "provider", "msg-comm-fail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			conv := "clarify-" + tt.name
			first := ask(t, e, conv, "pos机刷不了卡了")
			if !first.Clarify || len(first.Options) != 4 {
				t.Fatalf("first reply: clarify=%v options=%v, want a question with 4 options", first.Clarify, first.Options)
			}
			r := ask(t, e, conv, tt.reply)
			if r.Clarify || r.Code != tt.code || r.Target != tt.target || len(r.Sources) == 0 || r.Sources[0].ID != tt.source {
				t.Errorf("reply %q: clarify=%v code=%q target=%q sources=%v; want %q %q %s",
					tt.reply, r.Clarify, r.Code, r.Target, ids(r.Sources), tt.code, tt.target, tt.source)
			}
		})
	}
}

// TestFraudComesFirst: with signs of fraud, the safety passage leads even
// when another matches more words.
func TestFraudComesFirst(t *testing.T) {
	t.Parallel()
	e, base := newEngine(t)
	r := ask(t, e, "fraud", "有个客人拿了好几张卡一张张试 前面几张都提示余额不足")
	if len(r.Sources) == 0 {
		t.Fatal("no answer")
	}
	p, _ := base.ByID(r.Sources[0].ID)
	if p.Family != "security" && p.ID != "msg-scam" {
		t.Fatalf("first source %s (%s), want a security or scam passage; all: %v", p.ID, p.Family, ids(r.Sources))
	}
	c := ask(t, e, "fraud-code", "一个顾客拿好几张卡轮着刷 前面几张都报51 最后一张刷成功了")
	p, _ = base.ByID(c.Sources[0].ID)
	if c.Code != "51" || c.CodeMeaning == "" || (p.Family != "security" && p.ID != "msg-scam") {
		t.Fatalf("with a code: code=%q meaning=%q first=%s; want 51 kept and the safety answer first", c.Code, c.CodeMeaning, p.ID)
	}
}

// TestFollowUpKeepsTheThread: a follow-up that says little on its own is
// read with the previous message, not answered with a triage question.
func TestFollowUpKeepsTheThread(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t)
	first := ask(t, e, "thread", "客人说钱扣了但是机器显示交易失败")
	r := ask(t, e, "thread", "刚查了交易明细，里面没有这笔")
	if r.Clarify || len(r.Sources) == 0 || len(first.Sources) == 0 || r.Target == "none" {
		t.Fatalf("follow-up lost the thread: clarify=%v target=%q sources=%v (first %v)", r.Clarify, r.Target, ids(r.Sources), ids(first.Sources))
	}
}

func TestHandoffTakesTheTarget(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t)
	r := ask(t, e, "complaint", "投诉！刷卡的钱三天都没到账，我要找你们人工客服")
	if !r.Handoff || r.Target != "provider" {
		t.Fatalf("handoff=%v target=%q, want a handoff to the provider's side", r.Handoff, r.Target)
	}
}

// TestQuotedScreenLeads: the passage whose screen wording the merchant
// quotes comes first.
func TestQuotedScreenLeads(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t)
	r := ask(t, e, "quoted", "屏幕一直提示请插卡，顾客刷磁条不行")
	if len(r.Sources) == 0 || r.Sources[0].ID != "msg-insert-chip" {
		t.Fatalf("sources %v, want msg-insert-chip first", ids(r.Sources))
	}
}

// TestGuidanceIsNotAQuote: screen guidance many codes' screens carry
// (请联系发卡行, in 01's, 02's and 44's "交易失败，请联系发卡行") is not the
// quoted meaning of the one code whose title holds it: without a code the
// answer does not claim 02, and says it is not sure.
func TestGuidanceIsNotAQuote(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t)
	r := ask(t, e, "guidance", "这张卡昨天在我们店刷还好好的 今天就不行 提示交易失败请联系发卡行")
	if r.Code != "" || r.Confidence >= 0.5 {
		t.Errorf("code %q, confidence %.2f, sources %v; want no code and an answer that says it is not sure:\n%s", r.Code, r.Confidence, ids(r.Sources), r.Answer)
	}
}

func TestHandoffStatesTheDiagnosis(t *testing.T) {
	t.Parallel()
	e, base := newEngine(t)
	ask(t, e, "diag", "错误码A0")
	r := ask(t, e, "diag", "还是不行 转人工")
	st, err := e.State(context.Background(), "diag")
	if err != nil {
		t.Fatal(err)
	}
	sum := bot.Summary(base, st, "zh")
	if !r.Handoff || r.Reason != "asked" || !strings.Contains(sum, "初步判断") || !strings.Contains(sum, "A0") {
		t.Fatalf("handoff %+v; agent summary lacks the diagnosis:\n%s", r, sum)
	}
	if strings.Contains(r.Answer, "已给出的排查") || strings.Contains(r.Answer, "商户说") {
		t.Fatalf("the agent's summary was shown to the merchant:\n%s", r.Answer)
	}
}

func TestSolvedStartsOver(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t)
	ask(t, e, "over", "交易失败51")
	ask(t, e, "over", "解决了")
	r := ask(t, e, "over", "打印机没纸了")
	if r.Code != "" || len(r.Sources) == 0 || r.Sources[0].ID == "code-51" {
		t.Fatalf("a new problem after 解决了 was read as code 51: code=%q sources=%v", r.Code, ids(r.Sources))
	}
}

func TestThanksAfterAnswer(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t)
	ask(t, e, "thanks", "交易失败51")
	r := ask(t, e, "thanks", "谢谢")
	if len(r.Sources) != 0 || !strings.Contains(r.Answer, "不客气") {
		t.Fatalf("谢谢 was answered as a question:\n%s", r.Answer)
	}
}

// TestWeakHitSaysSo: a general question with some evidence is answered with
// a plain statement of uncertainty, not a triage question; a message of
// generic failure words is asked about.
func TestWeakHitSaysSo(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t)
	r := ask(t, e, "weak", "怀疑是网络问题的话该找谁")
	if r.Clarify || len(r.Sources) == 0 || !strings.Contains(r.Answer, "不能确定") || r.Confidence >= 0.35 {
		t.Fatalf("weak hit: clarify=%v confidence=%v sources=%v\n%s", r.Clarify, r.Confidence, ids(r.Sources), r.Answer)
	}
	if v := ask(t, e, "none", "收款收不了了 急急急"); !v.Clarify {
		t.Fatalf("generic words only were answered:\n%s", v.Answer)
	}
}

// TestTriageNextCause: after a triage answer, 没解决 moves to the next cause
// of that branch, not to whatever the answer text happened to match.
func TestTriageNextCause(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t)
	ask(t, e, "branch", "pos机刷不了卡了")
	ask(t, e, "branch", "所有卡都刷不了")
	r := ask(t, e, "branch", "重启过了，还是不行")
	if len(r.Sources) == 0 || r.Sources[0].ID != "msg-comm-fail" || r.Target != "provider" {
		t.Fatalf("next cause %v target %q, want msg-comm-fail for the every-card branch", ids(r.Sources), r.Target)
	}
}

func TestAsksOnlyOnce(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t)
	ask(t, e, "once", "交易失败")
	r := ask(t, e, "once", "就是失败啊")
	if r.Clarify {
		t.Fatalf("asked a second clarifying question:\n%s", r.Answer)
	}
	if len(r.Sources) == 0 {
		t.Fatal("no answer after the question")
	}
}

func TestFeedback(t *testing.T) {
	t.Parallel()
	outcomes := &bot.MemoryOutcomes{}
	e, _ := newEngine(t, func(c *bot.Config) { c.Outcomes = outcomes })
	ctx := context.Background()
	first := ask(t, e, "fb", "错误码A0")
	r, err := e.Feedback(ctx, "fb", false)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Sources) == 0 || r.Sources[0].ID == first.Sources[0].ID || len(r.Options) == 0 {
		t.Fatalf("没解决 should offer the next cause with a 转人工 option; got sources %v options %v", ids(r.Sources), r.Options)
	}
	r, err = e.Feedback(ctx, "fb", true)
	if err != nil {
		t.Fatal(err)
	}
	got := outcomes.All()
	if len(got) != 2 || got[0].PassageID != "code-A0" || got[0].Solved || !got[1].Solved || got[0].ConversationID != "fb" {
		t.Fatalf("outcomes %+v", got)
	}
	if r.Handoff || r.Clarify {
		t.Fatalf("solved reply: %+v", r)
	}
}

func TestUnsolvedTwiceHandsOff(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t)
	ask(t, e, "ho", "机器一直通讯失败")
	var r bot.Reply
	for range 6 {
		r = ask(t, e, "ho", "还是不行")
		if r.Handoff {
			break
		}
	}
	if !r.Handoff || r.Reason != "not_solved" {
		t.Fatalf("never handed off: %+v", r)
	}
}

// TestHandoffTriggersInConversation walks conversations that should, and
// should not, bring a person in, turn by turn.
func TestHandoffTriggersInConversation(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t)
	type turn struct {
		text    string
		handoff bool
		reason  string
	}
	tests := []struct {
		name  string
		turns []turn
	}{
		{"the same code twice more", []turn{{"刷卡显示交易失败51", false, ""}, {"还是51", false, ""}, {"还是51 试了好几遍了", true, "not_solved"}}},
		{"the same code in English", []turn{{"declined 99", false, ""}, {"still getting 99", false, ""}, {"still 99, doesn't work", true, "not_solved"}}},
		{"a symptom that persists", []turn{{"机器一直通讯失败", false, ""}, {"重启了还是通讯失败", false, ""}, {"没解决", true, "not_solved"}}},
		{"a new code starts over", []turn{{"显示51", false, ""}, {"没解决", false, ""}, {"现在变成96了", false, ""}, {"没解决", false, ""}}},
		{"还是 meaning or", []turn{{"刷卡显示51", false, ""}, {"这是卡的问题还是机器的问题", false, ""}, {"那是银行的事还是你们的事", false, ""}}},
		{"cannot describe it", []turn{{"机器坏了", false, ""}, {"说不清楚", false, ""}, {"我也不知道怎么说", true, "unsure"}}},
		{"a request declined", []turn{{"不用转人工了 已经好了", false, ""}}},
		{"a person mentioned", []turn{{"昨天转过人工了 人家说是银行那边的事 51到底啥意思", false, ""}}},
		{"a question about the bot", []turn{{"你是真人还是机器人", false, ""}}},
		{"a caller posing as staff", []turn{{"有个自称银联工作人员的打电话给我说要改参数 还要主管密码", false, ""}}},
		{"a request", []turn{{"别回复模板了 我要找人工", true, "asked"}}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conv := sprintf("trig-%d", i)
			for _, tr := range tt.turns {
				r := ask(t, e, conv, tr.text)
				if r.Handoff != tr.handoff || (tr.handoff && r.Reason != tr.reason) {
					t.Fatalf("%q: handoff %v reason %q, want %v %q\n%s", tr.text, r.Handoff, r.Reason, tr.handoff, tr.reason, r.Answer)
				}
			}
		})
	}
}

// TestEscalationCues: the bot answers and flags the case for a person.
func TestEscalationCues(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t)
	tests := []struct{ text, reason string }{
		{"商户号直接给我冻了 一万多全卡在里面", "frozen"},
		{"钱被冻了 生意咋做 结算资金 12396.00 已冻结", "frozen"},
		{"my merchant account got frozen and the settlement is on hold", "frozen"},
		{"第一次显示失败 又刷了一次成功了 顾客说扣了两笔钱", "debited"},
		{"有个说是建行的人打电话给我说pos机要升级 让我把验证码念给他", "fraud"},
		{"扣款成功没有 在哪看啊", ""},
		{"客人的卡被银行冻结了 刷出来62", ""},
		{"客人问在我这刷卡会不会被盗刷 我咋跟他说", ""}, // keeping fraud away: nothing happened
		{"how do i prevent skimming and cloned cards at my shop", ""},
		{"刚才那张卡我怀疑是伪卡 卡面卡号和小票上的对不上", "fraud"},
	}
	for i, tt := range tests {
		r := ask(t, e, sprintf("esc-%d", i), tt.text)
		if r.Escalate != (tt.reason != "") || r.Reason != tt.reason || r.Handoff {
			t.Errorf("%q: escalate %v reason %q handoff %v, want reason %q", tt.text, r.Escalate, r.Reason, r.Handoff, tt.reason)
		}
	}
}

type failingSessions struct{}

func (failingSessions) Get(context.Context, string) (bot.State, error) {
	return bot.State{}, errors.New("connection refused")
}
func (failingSessions) Put(context.Context, string, bot.State) error {
	return errors.New("connection refused")
}
func (failingSessions) Delete(context.Context, string) error { return errors.New("connection refused") }

func TestStoreAwayStillAnswers(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t, func(c *bot.Config) { c.Sessions = failingSessions{} })
	r := ask(t, e, "away", "刷卡显示交易失败51")
	if r.Code != "51" || r.Answer == "" {
		t.Fatalf("no answer without a store: %+v", r)
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t)
	long := strings.Repeat("交易失败", 2000) + " 51"
	tests := []struct{ name, text, want string }{
		{"empty", "   ", "屏幕"},
		{"oversized", long, "太长"},
		{"emoji only", "😭😭😭", "POS"},
		{"unknown private code", "错误码E102", "不是银联"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := ask(t, e, "bad-"+tt.name, tt.text)
			if !strings.Contains(r.Answer, tt.want) {
				t.Errorf("answer lacks %q:\n%s", tt.want, r.Answer)
			}
		})
	}
}

func TestSessionTTL(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	s := &bot.MemorySessions{TTL: time.Minute, Now: func() time.Time { return now }}
	ctx := context.Background()
	if err := s.Put(ctx, "a", bot.State{Facts: bot.Facts{Code: "51"}}); err != nil {
		t.Fatal(err)
	}
	if st, err := s.Get(ctx, "a"); err != nil || st.Facts.Code != "51" {
		t.Fatalf("Get = %+v, %v", st, err)
	}
	now = now.Add(2 * time.Minute)
	if _, err := s.Get(ctx, "a"); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("expired Get err = %v, want ErrNotFound", err)
	}
}

// benchMessages are the messages the engine benchmarks answer in turn: a
// code, two symptoms, a letter code and a vague report.
var benchMessages = []string{"刷卡显示交易失败51", "机器一直通讯失败", "错误码：A0", "刷卡失败了怎么办", "插卡没反应读不出来"}

// BenchmarkOfflineAnswer measures one message end to end through the
// offline engine, each in a new conversation, after one round of warm-up
// (what is built on first use, such as the Traditional-character table,
// is not a message's cost). Compare it with BenchmarkBaselineJSON of the
// same run: on a busy machine the ratio moves less than either figure.
func BenchmarkOfflineAnswer(b *testing.B) {
	e, _ := newEngine(b)
	ctx := context.Background()
	msgs := benchMessages
	for i, m := range msgs {
		if _, err := e.Handle(ctx, bot.Message{ConversationID: sprintf("warm%d", i), Text: m}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_, err := e.Handle(ctx, bot.Message{ConversationID: sprintf("b%d", i), Text: msgs[i%len(msgs)]})
		if err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkBaselineJSON is the yardstick for BenchmarkOfflineAnswer: what
// any JSON service does per message, decoding a request and encoding a
// reply of the engine's size, with no engine at all.
func BenchmarkBaselineJSON(b *testing.B) {
	e, _ := newEngine(b)
	r, err := e.Handle(context.Background(), bot.Message{ConversationID: "baseline", Text: benchMessages[0]})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		var req struct {
			ConversationID string `json:"conversation_id"`
			Text           string `json:"text"`
		}
		body := `{"conversation_id":"` + sprintf("b%d", i) + `","text":"` + benchMessages[i%len(benchMessages)] + `"}`
		if err := json.Unmarshal([]byte(body), &req); err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(r); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func TestRateLimited(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	lim := &bot.MemoryLimiter{Limit: 2, Window: time.Minute, Now: func() time.Time { return now }}
	e, _ := newEngine(t, func(c *bot.Config) { c.Limiter = lim })
	ask(t, e, "rl", "交易失败51")
	ask(t, e, "rl", "错误码A0")
	r := ask(t, e, "rl", "错误码A0")
	if r.Code != "" || !strings.Contains(r.Answer, "秒后") || r.Sources == nil {
		t.Fatalf("third message in a minute not limited: %+v", r)
	}
	if other := ask(t, e, "rl-other", "错误码A0"); other.Code != "A0" {
		t.Fatalf("another conversation was limited too: %+v", other)
	}
}

// countingWriter is a model that writes a valid answer and counts its calls.
type countingWriter struct{ calls atomic.Int32 }

func (w *countingWriter) Write(_ context.Context, d bot.Draft) (string, error) {
	w.calls.Add(1)
	return d.Template, nil
}

func TestAnswerCache(t *testing.T) {
	t.Parallel()
	w := &countingWriter{}
	e, _ := newEngine(t, func(c *bot.Config) { c.Writer = w; c.Answers = &bot.MemoryAnswerCache{} })
	for i := range 3 {
		r := ask(t, e, sprintf("cache-%d", i), "刷卡显示交易失败51")
		if r.Writer != "model" {
			t.Fatalf("writer %q", r.Writer)
		}
	}
	if n := w.calls.Load(); n != 1 {
		t.Fatalf("model called %d times for one question, want 1 (cached)", n)
	}
}

// TestConversationSerialised sends messages of one conversation from many
// goroutines: the lock must keep every turn in the stored transcript.
func TestConversationSerialised(t *testing.T) {
	t.Parallel()
	sessions := &bot.MemorySessions{}
	e, _ := newEngine(t, func(c *bot.Config) { c.Sessions = sessions })
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() { ask(t, e, "race", sprintf("错误码A%d", i%8)) })
	}
	wg.Wait()
	st, err := sessions.Get(context.Background(), "race")
	if err != nil {
		t.Fatal(err)
	}
	if len(st.History) != 16 {
		t.Fatalf("%d turns stored for 8 messages, want 16: a write was lost", len(st.History))
	}
}

// TestSureOrHedged: a diagnosis resting on little evidence says it is not
// sure and reports a confidence below the bar; a quoted screen wording is
// answered plainly.
func TestSureOrHedged(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t)
	quoted := ask(t, e, "sure", "屏幕显示终端已锁定")
	if quoted.Confidence < 0.35 || strings.Contains(quoted.Answer, "还不能确定") || quoted.Sources[0].ID != "msg-terminal-locked" {
		t.Fatalf("quoted screen wording: %+v", quoted)
	}
	weak := ask(t, e, "unsure", "客人说他那边好像有点问题，刷了一下没过")
	if weak.Clarify || weak.Confidence >= 0.35 || !strings.Contains(weak.Answer, "还不能确定") {
		t.Fatalf("weak evidence answered as sure: confidence %.2f\n%s", weak.Confidence, weak.Answer)
	}
}

// TestAnotherQuestion: "还有个事" after an answer about a code opens a new
// question; it is answered on its own, not as more about the code. Without
// the opening words a follow-up stays on the code.
func TestAnotherQuestion(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t)
	ask(t, e, "switch", "刷卡显示03 无效商户")
	r := ask(t, e, "switch", "顺便问下 客人扫码付款老显示用户支付中 怎么弄")
	if r.Code != "" || len(r.Sources) == 0 || r.Sources[0].ID != "adj-qr-payment" {
		t.Fatalf("code %q, sources %v; want the QR payment answer, not 03's", r.Code, ids(r.Sources))
	}
	ask(t, e, "stay", "刷卡显示03 无效商户")
	r = ask(t, e, "stay", "那让顾客打哪个电话")
	if r.Code != "03" {
		t.Fatalf("a follow-up without opening words: code %q, want 03", r.Code)
	}
}

// TestCorrectedCode: "不是34是54" answers 54.
func TestCorrectedCode(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t)
	ask(t, e, "fix", "刷卡说34")
	r := ask(t, e, "fix", "不是34是54 好像是卡过期的那个")
	if r.Code != "54" || len(r.Sources) == 0 || r.Sources[0].ID != "code-54" {
		t.Fatalf("code %q, sources %v; want 54", r.Code, ids(r.Sources))
	}
}

// TestCauseBeforeItsFamily: a cause comes before the overview of its family
// when the two are about as close.
func TestCauseBeforeItsFamily(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t)
	r := ask(t, e, "family", "每到月底最后一天，刷卡就特别慢，好多超时失败，平时没这么多")
	if len(r.Sources) == 0 || r.Sources[0].ID != "ext-bank-busy" {
		t.Fatalf("sources %v, want ext-bank-busy before its family's overview", ids(r.Sources))
	}
}

// TestQuestionUnderPicture: a question typed under a picture that says
// nothing of it (a sales slip's names and numbers) is answered by what was
// typed; the picture's own topic follows among the sources.
func TestQuestionUnderPicture(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t)
	slip := "银联POS签购单 POS SALES SLIP\n商户存根 MERCHANT COPY\n商户名称:兴隆副食\n交易类型:消费/SALE\n参考号 REF NO.:412396051177\n金额 AMOUNT: RMB 640.00"
	r := askPhoto(t, e, "slip", "只退一半钱怎么操作", slip)
	if len(r.Sources) == 0 || r.Sources[0].ID != "msg-void-refund" {
		t.Errorf("sources %v, want msg-void-refund first:\n%s", ids(r.Sources), r.Answer)
	}
}

// TestUnreadablePhoto: a photo nothing could be read from, sent with a few
// words or none, gets the question of what the screen says; a photo of a
// menu with a question that is not about the terminal does not.
func TestUnreadablePhoto(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t)
	for i, tt := range []struct {
		text, image string
		clarify     bool
	}{
		{"这个怎么弄", "@#%&* 1 l | 0O\n≡≡ ﹏\n確", true},
		{"", "15:42 4G 33%\n||||| ~~ 囗\n取消 确认", true},
		{"帮我算算这桌多少钱", "点菜单 3号桌\n红烧肉 38\n酸菜鱼 58", false},
	} {
		r := askPhoto(t, e, sprintf("photo-%d", i), tt.text, tt.image)
		if r.Clarify != tt.clarify || strings.Contains(r.Answer, tt.image) {
			t.Errorf("%q with a photo: clarify %v, want %v:\n%s", tt.text, r.Clarify, tt.clarify, r.Answer)
		}
	}
}

// TestCodeLookedUp: in a conversation, a line ending on "是96" names the
// code the merchant went to look up; the same line opening a conversation
// does not.
func TestCodeLookedUp(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t)
	ask(t, e, "looked-up", "我爸说机器显示九十几，让稍后重试")
	if r := ask(t, e, "looked-up", "他又仔细看了一下，是96"); r.Code != "96" {
		t.Errorf("code %q after looking it up, want 96:\n%s", r.Code, r.Answer)
	}
	if r := ask(t, e, "looked-up-first", "他又仔细看了一下，是96"); r.Code != "" {
		t.Errorf("code %q on a first line, want none", r.Code)
	}
}

// TestEnglishScreen: a terminal with an English screen: its words for a
// code lead to that code's passage, and its words for a symptom to the
// symptom's.
func TestEnglishScreen(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t)
	for i, tt := range []struct{ text, top, target string }{
		{"PICK UP CARD 怎么回事", "code-04", "bank"},
		{"屏幕上英文写着 DO NOT HONOUR 是啥意思", "code-05", "bank"},
		{"下午3点51分开始一直 COMMS ERROR", "msg-comm-fail", "provider"},
	} {
		r := ask(t, e, sprintf("english-screen-%d", i), tt.text)
		if len(r.Sources) == 0 || r.Sources[0].ID != tt.top || r.Target != tt.target {
			t.Errorf("%q: sources %v target %q, want %s first and %s", tt.text, ids(r.Sources), r.Target, tt.top, tt.target)
		}
	}
}
