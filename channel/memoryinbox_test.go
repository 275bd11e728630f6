package channel_test

import (
	"testing"
	"time"

	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/channel/channeltest"
)

func TestMemoryInbox(t *testing.T) {
	channeltest.InboxStore(t, func(t *testing.T) (channel.InboxStore, channel.InboxStore, time.Duration, func(time.Duration)) {
		m := channel.NewMemoryInbox(0)
		return m, m, 0, nil
	})
}
