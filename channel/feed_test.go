package channel_test

import (
	"testing"

	"github.com/posbot/posbot/channel"
	"github.com/posbot/posbot/channel/channeltest"
)

func TestMemoryFeed(t *testing.T) {
	channeltest.Feed(t, func(*testing.T) (channel.Feed, channel.Feed) {
		f := &channel.MemoryFeed{}
		return f, f
	})
}
