package telegram

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	tgbot "github.com/go-telegram/bot"

	"github.com/posbot/posbot/channel"
)

// download fetches a file through getFile and the file link, reading at most
// max bytes (channel.ErrTooLarge beyond). The link holds the bot token: it is
// never logged, and errors that would carry it are stripped of it.
func (a *Adapter) download(ctx context.Context, fileID string, max int64) ([]byte, error) {
	f, err := a.bot.GetFile(ctx, &tgbot.GetFileParams{FileID: fileID})
	if err != nil {
		return nil, fmt.Errorf("get file: %s", a.scrub(err))
	}
	if f.FileSize > max {
		return nil, channel.ErrTooLarge
	}
	if f.FilePath == "" {
		return nil, errors.New("get file: no file path")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.bot.FileDownloadLink(f), nil)
	if err != nil {
		return nil, errors.New("download file: bad link")
	}
	resp, err := a.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL part holds the token
		}
		return nil, fmt.Errorf("download file: %s", a.scrub(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download file: status %d", resp.StatusCode)
	}
	if resp.ContentLength > max {
		return nil, channel.ErrTooLarge
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("download file: %s", a.scrub(err))
	}
	if int64(len(b)) > max {
		return nil, channel.ErrTooLarge
	}
	return b, nil
}
