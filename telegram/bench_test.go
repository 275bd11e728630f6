package telegram_test

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkWebhookUpdates measures updates per second through the webhook
// handler: secret check, JSON decoding, dedup, the per-chat queues, the
// offline engine on the real knowledge base, typing actions and the
// sendMessage call to a loopback Bot API, 64 chats at once.
func BenchmarkWebhookUpdates(b *testing.B) {
	h := start(b, setup{webhook: true})
	// Warm up: the first answer builds lazily initialised state.
	h.post(textUpdate(1, 1, "刷卡显示交易失败51"), secret)
	h.api.waitSent(b, 1)

	var id atomic.Int64
	id.Store(1)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := id.Add(1)
			rec := h.post(textUpdate(n, 1000+n%64, "刷卡显示交易失败51"), secret)
			for rec.Code == http.StatusServiceUnavailable { // the inbox is full: Telegram delivers it again
				time.Sleep(time.Millisecond)
				rec = h.post(textUpdate(n, 1000+n%64, "刷卡显示交易失败51"), secret)
			}
			if rec.Code != http.StatusOK {
				b.Errorf("status %d", rec.Code)
			}
		}
	})
	h.api.waitSent(b, b.N+1)
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "updates/s")
}
