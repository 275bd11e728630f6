package telegram

import (
	"context"
	"strconv"
	"strings"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/logging"
)

// incoming is an update reduced to what posbot uses. models.Update does not
// leave the routing code.
type incoming struct {
	updateID int64
	chatID   int64
	kind     kind
	text     string // the text, the caption of an image, or the command's argument
	command  string // "start", "help", …, for kindCommand
	target   string // kindCommand: the bot named in "/start@name", "" if none
	fileID   string // kindImage
	fileSize int64  // kindImage, 0 if unknown
	queryID  string // kindCallback
	data     string // kindCallback

	messageID int    // the message's id in its chat (0 for a callback)
	replyText string // the text of the message this one replies to, if any
	from      string // who sent it, as agents are named (agentName)
}

type kind int

const (
	kindText kind = iota + 1
	kindCommand
	kindImage
	kindCallback
	kindOther // stickers, voice, files that are not images…
)

// convert reduces an update to an incoming message; ok is false for updates
// posbot does not answer (edits, channel posts, service messages).
func convert(u *models.Update) (incoming, bool) {
	in := incoming{updateID: u.ID}
	switch {
	case u.Message != nil:
		m := u.Message
		if m.From != nil && m.From.IsBot {
			return in, false
		}
		in.chatID, in.messageID, in.from = m.Chat.ID, m.ID, agentName(m.From)
		if r := m.ReplyToMessage; r != nil {
			in.replyText = r.Text + r.Caption
		}
		switch {
		case len(m.Photo) > 0:
			p := m.Photo[len(m.Photo)-1] // sizes are sent smallest first
			in.kind, in.fileID, in.fileSize, in.text = kindImage, p.FileID, int64(p.FileSize), m.Caption
		case m.Document != nil && strings.HasPrefix(m.Document.MimeType, "image/"):
			in.kind, in.fileID, in.fileSize, in.text = kindImage, m.Document.FileID, m.Document.FileSize, m.Caption
		case strings.HasPrefix(m.Text, "/"):
			in.kind = kindCommand
			in.command, in.target, in.text = parseCommand(m.Text)
		case strings.TrimSpace(m.Text) != "":
			in.kind, in.text = kindText, m.Text
		case m.Sticker != nil || m.Voice != nil || m.Audio != nil || m.Video != nil ||
			m.VideoNote != nil || m.Document != nil || m.Location != nil || m.Contact != nil:
			in.kind = kindOther
		default:
			return in, false // joins, pins and other service messages
		}
		return in, true
	case u.CallbackQuery != nil:
		q := u.CallbackQuery
		in.kind, in.queryID, in.data, in.from = kindCallback, q.ID, q.Data, agentName(&q.From)
		switch {
		case q.Message.Message != nil:
			in.chatID = q.Message.Message.Chat.ID
		case q.Message.InaccessibleMessage != nil && q.Message.InaccessibleMessage.Chat.ID != 0:
			in.chatID = q.Message.InaccessibleMessage.Chat.ID
		default:
			in.chatID = q.From.ID // a private chat's id is the user's
		}
		return in, in.chatID != 0
	}
	return in, false
}

// parseCommand splits "/start@posbot_bot arg" into "start", "posbot_bot"
// and "arg".
func parseCommand(text string) (cmd, target, arg string) {
	head, arg, _ := strings.Cut(strings.TrimPrefix(text, "/"), " ")
	head, target, _ = strings.Cut(head, "@")
	return strings.ToLower(head), target, strings.TrimSpace(arg)
}

func conversationID(chatID int64) string {
	return "tg:" + strconv.FormatInt(chatID, 10)
}

// handle answers one update. It runs on the chat's worker, under the update's
// deadline.
func (a *Adapter) handle(ctx context.Context, in incoming) {
	ctx = logging.With(ctx, "update_id", in.updateID)
	start := time.Now()
	log := a.log.With("update_id", in.updateID, "chat_id", in.chatID)
	switch in.kind {
	case kindText:
		a.answer(ctx, in.chatID, bot.Message{Text: in.text})
	case kindCommand:
		a.command(ctx, in)
	case kindImage:
		a.image(ctx, in)
	case kindCallback:
		a.callback(ctx, in)
	case kindOther: // no words to tell the language by
		a.say(ctx, in.chatID, a.text("zh", "unsupported"))
	}
	log.Debug("update handled", "kind", int(in.kind), "latency_ms", time.Since(start).Milliseconds())
}

func (a *Adapter) command(ctx context.Context, in incoming) {
	if in.target != "" && !strings.EqualFold(in.target, a.username) {
		return // "/start@otherbot" in a group is for another bot
	}
	switch in.command {
	case "start":
		a.say(ctx, in.chatID, a.startText())
	case "human":
		a.answer(ctx, in.chatID, bot.Message{Intent: bot.IntentHuman})
	case "reset":
		a.options.forget(in.chatID)
		if err := a.engine.Reset(ctx, conversationID(in.chatID)); err != nil {
			a.log.Error("reset failed", "chat_id", in.chatID, "err", err)
			a.say(ctx, in.chatID, a.text("zh", "failed"))
			return
		}
		a.say(ctx, in.chatID, a.text("zh", "reset"))
	default: // "help" and anything unknown
		a.say(ctx, in.chatID, a.text("zh", "help"))
	}
}

// answer hands a message to the engine, showing "typing…" meanwhile, and
// sends the reply.
func (a *Adapter) answer(ctx context.Context, chatID int64, m bot.Message) {
	m.ConversationID, m.Channel = conversationID(chatID), "telegram"
	a.produce(ctx, chatID, channel.Lang(m.Text), func(ctx context.Context) (bot.Reply, error) {
		return a.engine.Handle(ctx, m)
	})
}

// produce runs fn with the typing action on and sends its reply. When fn
// fails (the update's deadline passed) the merchant is told to try again,
// in lang, the language of what they sent.
func (a *Adapter) produce(ctx context.Context, chatID int64, lang string, fn func(context.Context) (bot.Reply, error)) {
	stop := a.typing(ctx, chatID)
	r, err := fn(ctx)
	stop()
	if err != nil {
		a.log.Error("no answer", "chat_id", chatID, "err", err)
		// The update's own context may be spent; a reply has time of its own.
		a.say(ctx, chatID, a.text(lang, "failed"))
		return
	}
	a.sendReply(ctx, chatID, r)
}

// sendReply sends an engine reply with its buttons; a silent reply (a
// person owns the conversation) sends nothing.
func (a *Adapter) sendReply(ctx context.Context, chatID int64, r bot.Reply) {
	if r.Silent {
		return
	}
	kb := a.keyboard(r)
	if len(r.Options) > 0 {
		a.options.put(chatID, r.Options, time.Now())
	}
	_ = a.reply(ctx, chatID, r.Answer, kb) // failures are logged by reply
}

// say sends one of the adapter's own texts.
func (a *Adapter) say(ctx context.Context, chatID int64, text string) {
	_ = a.reply(ctx, chatID, text, nil)
}

// callback handles a button press: an option of a clarifying question goes to
// the engine exactly as if it had been typed; 解决了 / 没解决 go to Feedback.
// The query is always answered, so the button stops spinning.
func (a *Adapter) callback(ctx context.Context, in incoming) {
	cb := parseCallback(in.data)
	text := ""
	if cb.kind == "opt" {
		var ok bool
		if text, ok = a.options.get(in.chatID, cb.index, time.Now()); !ok {
			cb.kind = ""
		}
	}
	notice := ""
	if cb.kind == "" { // no words to tell the language by
		notice = a.text("zh", "stale_button")
	}
	if _, err := a.bot.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: in.queryID, Text: notice}); err != nil {
		a.log.Debug("callback query not answered", "chat_id", in.chatID, "err", a.scrub(err))
	}
	switch cb.kind {
	case "say":
		a.answer(ctx, in.chatID, bot.Message{Text: cb.text})
	case "opt":
		a.answer(ctx, in.chatID, bot.Message{Text: text})
	case "fb":
		conv := conversationID(in.chatID)
		a.produce(ctx, in.chatID, "zh", func(ctx context.Context) (bot.Reply, error) {
			return a.engine.Feedback(ctx, conv, cb.solved)
		})
	default:
		a.log.Info("unknown or stale callback data", "chat_id", in.chatID)
	}
}

// image reads a photo or an image file with OCR (channel.Screens) and
// hands the text to the engine with the caption; when nothing can be read
// the merchant is told so, and a caption is still answered.
func (a *Adapter) image(ctx context.Context, in incoming) {
	stop := a.typing(ctx, in.chatID)
	sc := a.screens.Read(ctx, in.fileSize, in.text, func(ctx context.Context, max int64) ([]byte, error) {
		// A download that hangs costs this chat DownloadTimeout, then the
		// merchant is asked to type the code.
		ctx, cancel := context.WithTimeout(ctx, a.cfg.DownloadTimeout)
		defer cancel()
		return a.download(ctx, in.fileID, max)
	})
	stop()
	if sc.Notice != "" {
		a.say(ctx, in.chatID, sc.Notice)
	}
	if sc.Answer {
		a.answer(ctx, in.chatID, sc.Message)
	}
}
