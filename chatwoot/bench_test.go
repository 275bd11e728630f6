package chatwoot_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// BenchmarkWebhookAccept measures what Chatwoot waits for: a signed
// message_created posted over HTTP, checked, read, deduplicated and queued
// (the job finds the conversation open and stays silent).
func BenchmarkWebhookAccept(b *testing.B) {
	benchWebhooks(b, "open")
}

// BenchmarkWebhookAnswered measures contacts' messages answered end to
// end: accepted, answered by the offline engine, posted to the fake
// Chatwoot (which posts each answer back as a webhook, as Chatwoot does).
func BenchmarkWebhookAnswered(b *testing.B) {
	benchWebhooks(b, "pending")
}

func benchWebhooks(b *testing.B, status string) {
	r := start(b, setup{})
	convs := make([]int64, 64)
	for i := range convs {
		convs[i] = r.fake.NewConversation()
	}
	bodies := make([][]byte, 0, b.N)
	for i := range b.N {
		bodies = append(bodies, []byte(fmt.Sprintf(`{"event":"message_created","id":%d,"content":"刷卡显示交易失败51","message_type":"incoming","private":false,`+
			`"sender":{"id":77,"type":"contact"},"conversation":{"id":%d,"status":%q},"account":{"id":%d}}`,
			time.Now().UnixNano()+int64(i), convs[i%len(convs)], status, r.fake.AccountID)))
	}
	b.ResetTimer()
	for _, body := range bodies {
		req, _ := http.NewRequest(http.MethodPost, r.url, bytes.NewReader(body))
		for k, v := range r.fake.Signed(body, time.Now()) {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b.Fatalf("webhook = %d", res.StatusCode)
		}
	}
	if status == "pending" {
		for len(r.fake.Calls()) < b.N {
			time.Sleep(time.Millisecond)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
}
