package wechat

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/handoff"
	"github.com/posbot/posbot/wxapi"
)

// sendPath is the customer-service message API.
const sendPath = "/cgi-bin/message/custom/send"

// ErrUnreachable is returned when WeChat refuses a message for a reason a
// retry will not change: the merchant last wrote more than 48 hours ago or
// unfollowed (45015), the messages allowed since they last wrote are used
// up (45047), they do not follow the account (43004), or the account may
// not use the customer-service API (48001, e.g. unverified).
var ErrUnreachable = errors.New("wechat: merchant not reachable through the customer-service API")

// Send implements handoff.Sender: it writes to a merchant ("wx:<openid>")
// through the customer-service API, an agent's message split as needed.
func (a *Adapter) Send(ctx context.Context, conversationID string, n handoff.Notice) error {
	openID, ok := strings.CutPrefix(conversationID, "wx:")
	if !ok || openID == "" {
		return fmt.Errorf("wechat: %q is not a WeChat conversation", conversationID)
	}
	return a.push(ctx, openID, split(n.Text))
}

// push sends parts in order through the customer-service API. It stops at
// the first part that cannot be sent, logging why; an error code that will
// not change is not retried.
func (a *Adapter) push(ctx context.Context, openID string, parts []string) error {
	ctx, cancel := channel.Outlive(ctx, a.cfg.SendTimeout) // an answer goes out after a slow step too
	defer cancel()
	for i, p := range parts {
		if err := a.sendText(ctx, openID, p); err != nil {
			if errors.Is(err, ErrUnreachable) {
				a.log.WarnContext(ctx, "merchant not reachable; message dropped", "open_id", openID,
					"errcode", wxapi.Code(err), "part", i+1, "parts", len(parts))
			} else {
				a.log.ErrorContext(ctx, "message not sent", "open_id", openID, "part", i+1, "parts", len(parts), "err", err)
			}
			return err
		}
	}
	return nil
}

// sendText sends one text, trying again SendRetries times after a
// transport failure or a busy API.
func (a *Adapter) sendText(ctx context.Context, openID, text string) error {
	err := a.api.Deliver(ctx, sendPath, message.NewCustomerTextMessage(openID, text), a.cfg.SendRetries)
	switch wxapi.Code(err) {
	case wxapi.CodeOutOfWindow, wxapi.CodeOutOfCount, wxapi.CodeRequireSubscribe, wxapi.CodeUnauthorized:
		return fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	if err != nil {
		return fmt.Errorf("send: %w", err)
	}
	return nil
}

// image downloads a merchant's image: through the media API by its
// MediaId, else from its PicUrl, reading at most max bytes.
func (a *Adapter) image(ctx context.Context, in incoming, max int64) ([]byte, error) {
	var err error
	if in.mediaID != "" {
		var b []byte
		if b, err = a.api.Download(ctx, "/cgi-bin/media/get", url.Values{"media_id": {in.mediaID}}, max); err == nil {
			return b, nil
		}
		if errors.Is(err, wxapi.ErrTooLarge) {
			return nil, channel.ErrTooLarge
		}
		a.log.InfoContext(ctx, "image not got through the media API; trying its URL", "open_id", in.openID, "err", err)
	}
	if u, perr := url.Parse(in.picURL); perr != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.Join(err, errors.New("no image URL"))
	}
	b, err := a.api.Fetch(ctx, in.picURL, max)
	if errors.Is(err, wxapi.ErrTooLarge) {
		return nil, channel.ErrTooLarge
	}
	return b, err
}
