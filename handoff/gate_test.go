package handoff_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/bot/bottest"
	"github.com/posbot/posbot/bot/storetest"
	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/handoff"
)

// desk records what it is told.
type desk struct {
	mu     sync.Mutex
	events []posted
}

type posted struct {
	ticket handoff.Ticket
	event  handoff.Event
}

func (d *desk) Name() string { return "fake" }

func (d *desk) Post(_ context.Context, t handoff.Ticket, e handoff.Event) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.events = append(d.events, posted{t, e})
	return fmt.Sprint("msg-", len(d.events)), nil
}

func (d *desk) kinds() []handoff.EventKind {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []handoff.EventKind
	for _, p := range d.events {
		out = append(out, p.event.Kind)
	}
	return out
}

func (d *desk) last() posted {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.events[len(d.events)-1]
}

// sender records the notices merchants get.
type sender struct {
	mu      sync.Mutex
	notices []handoff.Notice
}

func (s *sender) Send(_ context.Context, _ string, n handoff.Notice) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notices = append(s.notices, n)
	return nil
}

func (s *sender) got() []handoff.Notice {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.notices)
}

type rig struct {
	clock  *storetest.Clock // Wednesday 2026-11-25 17:30 in Shanghai: in support hours
	svc    *handoff.Service
	gate   *handoff.Gate
	desk   *desk
	sender *sender
	engine *bot.Engine
}

// newRig gates the offline engine (or next, when set) on a fake clock.
func newRig(t *testing.T, hours string, next channel.Engine) *rig {
	t.Helper()
	h, err := handoff.ParseHours(hours)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{clock: storetest.NewClock(), desk: &desk{}, sender: &sender{}}
	r.engine = bottest.Engine(t, func(c *bot.Config) { c.Now = r.clock.Now })
	r.svc, err = handoff.New(handoff.Config{Base: bottest.Base(t), Hours: h, Now: r.clock.Now,
		Lease: 30 * time.Minute, RemindAfter: 10 * time.Minute,
		Provider: handoff.Provider{Name: "银联商务", Hotline: "400-000-0000"}})
	if err != nil {
		t.Fatal(err)
	}
	r.svc.Attach(r.desk)
	r.svc.SetSender("telegram", r.sender)
	if next == nil {
		next = r.engine
	}
	r.gate = r.svc.Gate(next, r.engine)
	return r
}

func (r *rig) say(t *testing.T, conv, text string) bot.Reply {
	t.Helper()
	rep, err := r.gate.Handle(context.Background(), bot.Message{ConversationID: conv, Channel: "telegram", Text: text})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func (r *rig) human(t *testing.T, conv string) bot.Reply {
	t.Helper()
	rep, err := r.gate.Handle(context.Background(), bot.Message{ConversationID: conv, Channel: "telegram", Intent: bot.IntentHuman})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// botAnswers says "交易失败<code>" and checks the bot answers it.
func (r *rig) botAnswers(t *testing.T, conv, code, when string) {
	t.Helper()
	if rep := r.say(t, conv, "交易失败"+code); rep.Silent || rep.Code != code {
		t.Errorf("%s: %+v; want the bot's answer to %s", when, rep, code)
	}
}

func (r *rig) ticket(t *testing.T, id int64) handoff.Ticket {
	t.Helper()
	tk, _, err := r.svc.Ticket(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestAskedHandoffLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRig(t, "Mon-Fri 09:00-18:00 Asia/Shanghai", nil)
	const conv = "tg:1001"
	r.say(t, conv, "刷卡显示交易失败51，商户号:123456789012345 金额 128元")
	opened := r.human(t, conv)
	if !opened.Handoff || opened.Silent || !strings.Contains(opened.Answer, "工单 #1") || !strings.Contains(opened.Answer, "你是下一位") {
		t.Errorf("handoff reply = %+v; want the queue position", opened)
	}
	for _, agentOnly := range []string{"给客服的情况摘要", "应答码：51\n", "商户说："} {
		if strings.Contains(opened.Answer, agentOnly) {
			t.Errorf("the merchant was shown the agent summary (%q):\n%s", agentOnly, opened.Answer)
		}
	}
	if !strings.Contains(opened.Answer, "银行卡背面") {
		t.Errorf("bank-side case without the packet for the cardholder:\n%s", opened.Answer)
	}
	ann := r.desk.last()
	if ann.event.Kind != handoff.EventOpened || ann.ticket.Code != "51" || ann.ticket.Target != "bank" ||
		ann.ticket.Supplied.MerchantNo != "123456789012345" || ann.ticket.Supplied.Amount != "128元" ||
		!strings.Contains(ann.ticket.Summary, "商户说") || len(ann.ticket.Considered) == 0 {
		t.Errorf("announced ticket = %+v", ann.ticket)
	}
	if !strings.Contains(r.svc.AgentView(ann.ticket), "商户号 123456789012345") {
		t.Errorf("agent view lacks what the merchant supplied:\n%s", r.svc.AgentView(ann.ticket))
	}

	// Waiting in the queue: the bot does not answer, the desk sees the message.
	wait := r.say(t, conv, "还要等多久")
	if wait.Silent || !strings.Contains(wait.Answer, "前面还有 0 位") || len(wait.Sources) != 0 {
		t.Errorf("message while queued = %+v; want the queue status, not a bot answer", wait)
	}
	if p := r.desk.last(); p.event.Kind != handoff.EventMerchant || p.event.Text != "还要等多久" {
		t.Errorf("desk got %+v, want the merchant's message", p.event)
	}

	if _, err := r.svc.Claim(ctx, 1, "alice", "fake"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.Claim(ctx, 1, "bob", "api"); err == nil {
		t.Error("a second agent claimed a claimed ticket")
	}
	silent := r.say(t, conv, "卡号6222021234567894的客人也刷不了")
	if !silent.Silent || silent.Answer == "" || strings.Contains(silent.TextRedacted, "2021234567") {
		t.Errorf("message while claimed = %+v; want silent with a status line and masked text", silent)
	}
	if p := r.desk.last(); p.event.Text != "卡号****7894的客人也刷不了" {
		t.Errorf("desk got %q, want the card shortened to its last four digits", p.event.Text)
	}
	if _, err := r.svc.Reply(ctx, 1, "alice", "请把参考号发我", "tg:-100:77", "fake"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.Reply(ctx, 1, "alice", "请把参考号发我", "tg:-100:77", "fake"); err != nil {
		t.Fatal(err)
	}
	fb, err := r.gate.Feedback(ctx, conv, false)
	if err != nil || !fb.Silent {
		t.Errorf("feedback while claimed = %+v, %v; want silent", fb, err)
	}
	// The verdict sent as a message's intent (the web chat's buttons)
	// reaches the agent as Feedback's does.
	byIntent, err := r.gate.Handle(ctx, bot.Message{ConversationID: conv, Channel: "http", Intent: bot.IntentSolved})
	if err != nil || !byIntent.Silent {
		t.Errorf("解决了 as an intent while claimed = %+v, %v; want silent", byIntent, err)
	}
	if p := r.desk.last(); p.event.Text != "（商户点了“解决了”）" {
		t.Errorf("desk got %q for 解决了 sent as an intent", p.event.Text)
	}
	if _, err := r.svc.Close(ctx, 1, "alice", "fake"); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, n := range r.sender.got() {
		kinds = append(kinds, n.Kind+":"+n.Text)
	}
	want := []string{"taken:" + "人工客服已接手你的问题，接下来请直接在这里和客服沟通。", "agent:人工客服：请把参考号发我",
		"closed:人工客服已结束本次服务。如果还有问题，直接发给我，我会继续帮你。"}
	if !slices.Equal(kinds, want) {
		t.Errorf("merchant notices:\n%q\nwant (the duplicate reply relayed once):\n%q", kinds, want)
	}
	r.botAnswers(t, conv, "55", "after close")
	_, turns, _ := r.svc.Ticket(ctx, 1)
	var roles []string
	for _, tr := range turns {
		roles = append(roles, tr.Role)
	}
	if !slices.Contains(roles, "agent") || !slices.Contains(roles, "merchant") || !slices.Contains(roles, "bot") {
		t.Errorf("transcript roles %v, want merchant, bot and agent turns", roles)
	}
	if got := r.desk.kinds(); !slices.Equal(got, []handoff.EventKind{handoff.EventOpened, handoff.EventMerchant,
		handoff.EventClaimed, handoff.EventMerchant, handoff.EventMerchant, handoff.EventMerchant, handoff.EventClosed}) {
		t.Errorf("desk events %v", got)
	}
}

// Whatever the language and however the handoff was asked for, the
// merchant never sees the agents' summary.
func TestNoSummaryForTheMerchant(t *testing.T) {
	t.Parallel()
	for i, said := range [][]string{
		{"card declined code 51 what do I do", "I want to talk to a human"},
		{"刷卡显示交易失败51", "转人工"},
		{"POS机一直显示通讯失败", "没解决", "还是不行，找人工"},
	} {
		r := newRig(t, "", nil)
		conv := fmt.Sprint("tg:", 90+i)
		var rep bot.Reply
		for _, s := range said {
			rep = r.say(t, conv, s)
		}
		if !rep.Handoff {
			t.Fatalf("%q: no handoff: %s", said, rep.Answer)
		}
		for _, agentOnly := range []string{"summary", "摘要", "商户说", "已给出的排查", "The merchant said"} {
			if strings.Contains(rep.Answer, agentOnly) {
				t.Errorf("%q: the merchant was shown the agent summary (%q):\n%s", said, agentOnly, rep.Answer)
			}
		}
	}
}

func TestOneTicketPerConversation(t *testing.T) {
	t.Parallel()
	r := newRig(t, "", nil)
	first := r.human(t, "tg:2")
	// A handoff redelivered to the engine (the gate does not hold yet: say
	// it reached another replica first) finds the open ticket.
	again, err := r.engine.Handle(context.Background(), bot.Message{ConversationID: "tg:2", Intent: bot.IntentHuman})
	if err != nil || !again.Handoff {
		t.Fatal(again, err)
	}
	ts, _ := r.svc.Active(context.Background())
	if len(ts) != 1 || !strings.Contains(first.Answer, "#1") {
		t.Fatalf("active tickets %+v", ts)
	}
	if n := len(r.desk.kinds()); n != 1 {
		t.Errorf("desk told %d times, want 1", n)
	}
}

func TestLeaseLapses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRig(t, "", nil)
	const conv = "tg:3"
	r.say(t, conv, "交易失败96")
	r.human(t, conv)
	if _, err := r.svc.Claim(ctx, 1, "alice", "fake"); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(29 * time.Minute)
	if rep := r.say(t, conv, "在吗"); !rep.Silent {
		t.Fatalf("within the lease: %+v", rep)
	}
	r.clock.Advance(2 * time.Minute)
	rep := r.say(t, conv, "交易失败96")
	if rep.Silent || rep.Code != "96" {
		t.Errorf("after the lease lapsed: %+v; want the bot's answer", rep)
	}
	n := r.sender.got()
	if len(n) != 2 || n[1].Kind != handoff.NoticeResumed {
		t.Errorf("notices %+v; want taken, then resumed", n)
	}
	tk := r.ticket(t, 1)
	if tk.Status != handoff.StatusOpen || tk.ClaimedBy != "" {
		t.Errorf("ticket after lapse = %+v; want open again, unclaimed", tk)
	}
	if k := r.desk.kinds(); !slices.Contains(k, handoff.EventReleased) {
		t.Errorf("desk events %v; want released", k)
	}
	// The bot answers while the ticket waits, and the desk still sees the messages.
	if k := r.desk.kinds(); k[len(k)-1] != handoff.EventMerchant {
		t.Errorf("desk events %v; want the merchant's message last", k)
	}
}

func TestSweepLapsesAndReminds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRig(t, "Mon-Fri 09:00-18:00 Asia/Shanghai", nil)
	r.human(t, "tg:4") // held in the queue for the lease
	r.clock.Advance(10 * time.Minute)
	r.svc.Sweep(ctx)
	r.svc.Sweep(ctx)
	if k := r.desk.kinds(); !slices.Equal(k, []handoff.EventKind{handoff.EventOpened, handoff.EventReminder}) {
		t.Errorf("desk events after 10 minutes %v; want one reminder", k)
	}
	r.clock.Advance(21 * time.Minute)
	r.svc.Sweep(ctx)
	r.svc.Sweep(ctx)
	n := r.sender.got()
	if len(n) != 1 || n[0].Kind != handoff.NoticeResumed || !strings.Contains(n[0].Text, "都在忙") {
		t.Errorf("notices %+v; want one: the queue lapsed, the bot answers", n)
	}
	r.botAnswers(t, "tg:4", "51", "after the queue lapsed")
	// Evenings bring no reminders.
	r.clock.Advance(10 * time.Hour)
	before := len(r.desk.kinds())
	r.svc.Sweep(ctx)
	if k := r.desk.kinds(); len(k) != before {
		t.Errorf("reminded outside support hours: %v", k[before:])
	}
}

func TestAfterHours(t *testing.T) {
	t.Parallel()
	r := newRig(t, "Mon-Fri 09:00-18:00 Asia/Shanghai", nil)
	r.clock.Advance(2*24*time.Hour + 18*time.Hour + 30*time.Minute) // Saturday noon
	r.say(t, "tg:5", "所有卡都刷不了，一直显示通讯失败")
	rep := r.human(t, "tg:5")
	for _, want := range []string{"不在人工客服的服务时间", "周一至周五 09:00-18:00", "北京时间", "周一 11-30 09:00", "1. "} {
		if !strings.Contains(rep.Answer, want) {
			t.Errorf("after-hours handoff lacks %q:\n%s", want, rep.Answer)
		}
	}
	r.botAnswers(t, "tg:5", "51", "outside hours")
}

// escalating answers like the engine, and escalates what says 冻结.
type escalating struct{ *bot.Engine }

func (e escalating) Handle(ctx context.Context, m bot.Message) (bot.Reply, error) {
	r, err := e.Engine.Handle(ctx, m)
	if strings.Contains(m.Text, "冻结") {
		r.Escalate, r.Reason, r.Target = true, handoff.ReasonFrozen, "provider"
	}
	return r, err
}

func TestEscalation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRig(t, "", nil)
	r.gate = r.svc.Gate(escalating{r.engine}, r.engine)
	rep := r.say(t, "tg:6", "商户号:123456789012345 终端号:12345678 提示商户被冻结了，收不了款")
	if rep.Silent || !strings.Contains(rep.Answer, "也已转给人工客服跟进（工单 #1）") {
		t.Errorf("escalated reply:\n%s", rep.Answer)
	}
	for _, want := range []string{"可转发给 POS 服务商", "商户号：123456789012345", "终端号：12345678", "参考号：（请补充）", "银联商务", "400-000-0000"} {
		if !strings.Contains(rep.Answer, want) {
			t.Errorf("provider packet lacks %q:\n%s", want, rep.Answer)
		}
	}
	// A client showing the sections shows the ticket and the packet too.
	if s := rep.Sections; s == nil || len(s.After) != 2 || !strings.Contains(s.After[0], "工单 #1") ||
		!strings.Contains(s.After[1], "参考号：（请补充）") {
		t.Errorf("escalated reply's sections lack the ticket and the packet: %+v", rep.Sections)
	}
	tk := r.ticket(t, 1)
	if tk.Priority != handoff.PriorityHigh || tk.Reason != handoff.ReasonFrozen || !tk.LeaseUntil.IsZero() {
		t.Errorf("ticket = %+v; want high priority, not held", tk)
	}
	r.botAnswers(t, "tg:6", "51", "an escalated case before the claim")
	if _, err := r.svc.Claim(ctx, 1, "alice", "fake"); err != nil {
		t.Fatal(err)
	}
	if next := r.say(t, "tg:6", "交易失败51"); !next.Silent {
		t.Errorf("after the claim the bot is silent: %+v", next)
	}
}

func TestResetClosesTicket(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRig(t, "", nil)
	r.human(t, "tg:7")
	if err := r.gate.Reset(ctx, "tg:7"); err != nil {
		t.Fatal(err)
	}
	if tk := r.ticket(t, 1); tk.Status != handoff.StatusClosed || tk.ClosedBy != "merchant" {
		t.Errorf("ticket after reset = %+v", tk)
	}
	r.botAnswers(t, "tg:7", "51", "after reset")
	if n := r.sender.got(); len(n) != 0 {
		t.Errorf("the merchant who reset was sent %+v", n)
	}
}

// longDigits are runs that could be phone numbers.
var longDigits = regexp.MustCompile(`\d[\d -]{5,}\d`)

// No packet carries a number the merchant or the configuration did not give.
func TestPacketsInventNoNumbers(t *testing.T) {
	t.Parallel()
	base := bottest.Base(t)
	for _, code := range base.Codes() {
		for _, lang := range []string{"zh", "en"} {
			r := newRig(t, "", nil)
			r.gate = r.svc.Gate(escalating{r.engine}, r.engine)
			text := "交易失败 " + code + " 冻结"
			if lang == "en" {
				text = "card declined code " + code + " account frozen"
			}
			rep := r.say(t, "tg:8", text)
			for _, n := range longDigits.FindAllString(rep.Answer, -1) {
				if n != "400-000-0000" {
					t.Errorf("code %s (%s): reply has a number %q nobody gave:\n%s", code, lang, n, rep.Answer)
				}
			}
		}
	}
}

// Messages relayed to a person do not pass the engine's rate limit: the
// gate has its own.
func TestRelayLimited(t *testing.T) {
	t.Parallel()
	r := newRig(t, "", nil)
	lim := &bot.MemoryLimiter{Limit: 2, Window: time.Minute, Now: r.clock.Now}
	var err error
	if r.svc, err = handoff.New(handoff.Config{Base: bottest.Base(t), Now: r.clock.Now, Limiter: lim}); err != nil {
		t.Fatal(err)
	}
	r.svc.Attach(r.desk)
	r.gate = r.svc.Gate(r.engine, r.engine)
	r.human(t, "tg:9")
	for i := range 3 {
		rep := r.say(t, "tg:9", fmt.Sprint("第", i, "条"))
		if limited := strings.Contains(rep.Answer, "没有转给客服"); limited != (i == 2) {
			t.Errorf("message %d: %q", i, rep.Answer)
		}
	}
	if n := len(r.desk.kinds()); n != 3 {
		t.Errorf("desk got %d events, want the ticket and two messages", n)
	}
}
