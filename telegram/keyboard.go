package telegram

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/channel"
)

// Callback data prefixes. Telegram limits callback data to 64 bytes.
const (
	maxCallbackData = 64
	cbSay           = "say:" // the option's text itself, when it fits
	cbOption        = "opt:" // the index of an option kept in optionMemory
	cbSolved        = "fb:1"
	cbUnsolved      = "fb:0"
)

// inlineKeyboard is the reply_markup of a message with inline buttons. It is
// ours rather than models.InlineKeyboardMarkup because that type serialises
// "copy_text":{"text":""} on every button, which the Bot API may refuse.
type inlineKeyboard struct {
	InlineKeyboard [][]inlineButton `json:"inline_keyboard"`
}

type inlineButton struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data"`
}

// keyboard builds the buttons of a reply: one row per option, and 解决了 /
// 没解决 under a diagnostic answer, in its language. It returns nil when
// there are none.
func (a *Adapter) keyboard(r bot.Reply) *inlineKeyboard {
	var rows [][]inlineButton
	for i, o := range r.Options {
		rows = append(rows, []inlineButton{{Text: o, CallbackData: optionData(i, o)}})
	}
	if diagnostic(r) {
		lang := channel.AnswerLang(r.Answer)
		rows = append(rows, []inlineButton{
			{Text: a.text(lang, "solved_button"), CallbackData: cbSolved},
			{Text: a.text(lang, "unsolved_button"), CallbackData: cbUnsolved},
		})
	}
	if rows == nil {
		return nil
	}
	return &inlineKeyboard{InlineKeyboard: rows}
}

// diagnostic reports whether a reply diagnoses the problem, and so asks
// whether it helped: it rests on passages and neither asks a question nor
// hands over to a person.
func diagnostic(r bot.Reply) bool {
	return len(r.Sources) > 0 && !r.Clarify && !r.Handoff
}

// optionData is the callback data of option i: the text itself when it fits,
// so that the button works whatever this process remembers, else its index.
func optionData(i int, text string) string {
	if len(cbSay)+len(text) <= maxCallbackData {
		return cbSay + text
	}
	return cbOption + strconv.Itoa(i)
}

// callback is a parsed button press.
type callback struct {
	kind   string // "say", "opt", "fb" or "" for unknown data
	text   string // "say": the option text
	index  int    // "opt": the option index
	solved bool   // "fb"
}

func parseCallback(data string) callback {
	switch {
	case data == cbSolved:
		return callback{kind: "fb", solved: true}
	case data == cbUnsolved:
		return callback{kind: "fb"}
	case strings.HasPrefix(data, cbSay):
		return callback{kind: "say", text: strings.TrimPrefix(data, cbSay)}
	case strings.HasPrefix(data, cbOption):
		i, err := strconv.Atoi(strings.TrimPrefix(data, cbOption))
		if err != nil || i < 0 {
			return callback{}
		}
		return callback{kind: "opt", index: i}
	}
	return callback{}
}

// Bounds of optionMemory.
const (
	optionTTL  = 24 * time.Hour
	optionMax  = 50_000
	optionScan = 1024 // entries examined per eviction
)

// optionMemory keeps the options of the last question asked in each chat,
// for buttons whose text is too long to travel in the callback data. It is
// bounded in size and age, and safe for concurrent use.
type optionMemory struct {
	mu sync.Mutex
	m  map[int64]optionEntry
}

type optionEntry struct {
	options []string
	at      time.Time
}

func (o *optionMemory) put(chatID int64, options []string, now time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil {
		o.m = make(map[int64]optionEntry)
	}
	if len(o.m) >= optionMax {
		n := 0
		for k, e := range o.m { // random order: expired first, else anything
			if now.Sub(e.at) > optionTTL || n >= optionScan/2 {
				delete(o.m, k)
			}
			if n++; n >= optionScan {
				break
			}
		}
	}
	o.m[chatID] = optionEntry{options: options, at: now}
}

func (o *optionMemory) get(chatID int64, i int, now time.Time) (string, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	e, ok := o.m[chatID]
	if !ok || now.Sub(e.at) > optionTTL || i >= len(e.options) {
		return "", false
	}
	return e.options[i], true
}

func (o *optionMemory) forget(chatID int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.m, chatID)
}
