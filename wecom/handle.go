package wecom

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/silenceper/wechat/v2/work/kf/sendmsg"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/wxapi"
)

// WeCom session states (service_state).
const (
	stateQueued = 2 // waiting in the pool for a servicer
	stateServed = 3 // a servicer serves the session
)

// process answers one message from the inbox, as sync_msg returned it.
func (a *Adapter) process(ctx context.Context, _ string, raw []byte) {
	if in, ok := convert(raw); ok {
		a.handle(ctx, in)
	}
}

// handle answers one pulled message on its customer's worker.
func (a *Adapter) handle(ctx context.Context, in incoming) {
	log := a.log.With("open_kfid", in.kfID, "external_userid", in.userID, "msgid", in.msgID)
	switch in.kind { // events: no words to tell the language by
	case kindWelcome:
		a.onEvent(ctx, log, in.code, a.text("zh", "welcome"))
		return
	case kindEnded:
		a.onEvent(ctx, log, in.code, a.handoffText("zh", "closed"))
		return
	}
	if a.served(ctx, log, in) {
		return
	}
	parts, handover := a.produce(ctx, in)
	if err := a.send(ctx, log, in, parts); err != nil {
		return
	}
	if handover {
		a.transfer(ctx, log, in)
	}
}

// served reports whether a person serves the session or it waits for one:
// the bot then stays silent (and send_msg would be refused anyway). When
// the state cannot be read the bot answers.
func (a *Adapter) served(ctx context.Context, log *slog.Logger, in incoming) bool {
	var st struct {
		State    int    `json:"service_state"`
		Servicer string `json:"servicer_userid"`
	}
	err := a.api.PostJSON(ctx, "/cgi-bin/kf/service_state/get",
		map[string]string{"open_kfid": in.kfID, "external_userid": in.userID}, &st)
	if err != nil {
		log.WarnContext(ctx, "session state unknown; the bot answers", "err", err)
		return false
	}
	if st.State == stateQueued || st.State == stateServed {
		log.InfoContext(ctx, "a person has the session; the bot is silent", "service_state", st.State, "servicer", st.Servicer)
		return true
	}
	return false
}

// produce asks the engine and returns the messages to send and whether
// the engine hands the conversation to a person.
func (a *Adapter) produce(ctx context.Context, in incoming) ([]string, bool) {
	switch in.kind {
	case kindText:
		return a.answer(ctx, in, bot.Message{Text: in.text})
	case kindImage:
		sc := a.screens.Read(ctx, 0, "", func(ctx context.Context, max int64) ([]byte, error) {
			ctx, cancel := context.WithTimeout(ctx, a.cfg.DownloadTimeout)
			defer cancel()
			b, err := a.api.Download(ctx, "/cgi-bin/media/get", url.Values{"media_id": {in.mediaID}}, max)
			if errors.Is(err, wxapi.ErrTooLarge) {
				return nil, channel.ErrTooLarge
			}
			return b, err
		})
		var parts []string
		if sc.Notice != "" {
			parts = split(sc.Notice)
		}
		if !sc.Answer {
			return parts, false
		}
		more, handover := a.answer(ctx, in, sc.Message)
		return append(parts, more...), handover
	case kindVoice: // no words to tell the language by
		return split(a.text("zh", "voice")), false
	}
	return split(a.text("zh", "unsupported")), false
}

func (a *Adapter) answer(ctx context.Context, in incoming, m bot.Message) ([]string, bool) {
	m.ConversationID, m.Channel = in.conversationID(), "wecom"
	r, err := a.engine.Handle(ctx, m)
	if err != nil {
		a.log.ErrorContext(ctx, "no answer", "external_userid", in.userID, "err", err)
		return split(a.text(channel.Lang(m.Text), "failed")), false
	}
	if r.Silent {
		return nil, false
	}
	text := r.Answer
	for i, o := range r.Options {
		if line := fmt.Sprintf("%d. %s", i+1, o); !strings.Contains(text, line) {
			text += "\n" + line
		}
	}
	return split(text), r.Handoff
}

func split(text string) []string { return channel.Split(text, MaxTextBytes, nil) }

// send sends parts in order with send_msg, stopping at the first that
// fails: 95018 says the session no longer takes the bot's messages (a
// person took it, or it ended), which no retry changes.
func (a *Adapter) send(ctx context.Context, log *slog.Logger, in incoming, parts []string) error {
	ctx, cancel := channel.Outlive(ctx, a.cfg.SendTimeout) // a reply goes out after a slow step too
	defer cancel()
	for i, p := range parts {
		var msg sendmsg.Text
		msg.ToUser, msg.OpenKFID, msg.MsgType, msg.Text.Content = in.userID, in.kfID, "text", p
		err := a.api.Deliver(ctx, "/cgi-bin/kf/send_msg", msg, a.cfg.SendRetries)
		if err == nil {
			continue
		}
		if wxapi.Code(err) == wxapi.CodeSessionState {
			log.InfoContext(ctx, "the session takes no bot messages now; reply dropped", "part", i+1, "parts", len(parts))
		} else {
			log.ErrorContext(ctx, "reply not sent", "part", i+1, "parts", len(parts), "err", err)
		}
		return err
	}
	return nil
}

// transfer hands the session to the configured servicer, or to the
// waiting pool when there is none or they are not receiving.
func (a *Adapter) transfer(ctx context.Context, log *slog.Logger, in incoming) {
	trans := func(state int, servicer string) error {
		body := map[string]any{"open_kfid": in.kfID, "external_userid": in.userID, "service_state": state}
		if servicer != "" {
			body["servicer_userid"] = servicer
		}
		return a.api.PostJSON(ctx, "/cgi-bin/kf/service_state/trans", body, nil)
	}
	if a.cfg.Servicer != "" {
		err := trans(stateServed, a.cfg.Servicer)
		if err == nil {
			log.InfoContext(ctx, "session handed to the servicer", "servicer", a.cfg.Servicer)
			return
		}
		log.WarnContext(ctx, "servicer not available; handing to the pool", "err", err)
	}
	if err := trans(stateQueued, ""); err != nil {
		log.ErrorContext(ctx, "session not handed over", "err", err)
		return
	}
	log.InfoContext(ctx, "session put in the waiting pool")
}

// onEvent answers an event with text through send_msg_on_event and the
// event's code (a welcome, or the bot's word after a servicer ended).
func (a *Adapter) onEvent(ctx context.Context, log *slog.Logger, code, text string) {
	body := map[string]any{"code": code, "msgtype": "text", "text": map[string]string{"content": text}}
	if err := a.api.Deliver(ctx, "/cgi-bin/kf/send_msg_on_event", body, a.cfg.SendRetries); err != nil {
		log.WarnContext(ctx, "event message not sent", "err", err)
	}
}
