package handoff_test

import (
	"testing"

	"github.com/posbot/posbot/handoff"
	"github.com/posbot/posbot/handoff/handofftest"
)

func TestMemoryTickets(t *testing.T) {
	handofftest.Tickets(t, func(*testing.T) handoff.Tickets { return &handoff.MemoryTickets{} })
}

func TestMemoryTranscripts(t *testing.T) {
	handofftest.Transcripts(t, func(*testing.T) handoff.Transcripts { return &handoff.MemoryTranscripts{} })
}

func TestMemoryLeases(t *testing.T) {
	handofftest.Leases(t, func(*testing.T) handoff.Leases { return &handoff.MemoryLeases{} })
}
