package chatwoot

import "fmt"

// The adapter's own texts, in the merchant's language ("en", else
// Chinese). Everything else the merchant reads comes from the engine and
// the handoff.
// TODO(knowledge): move to knowledge/data texts with the other channels'.

func text(lang, zh, en string) string {
	if lang == "en" {
		return en
	}
	return zh
}

// textHandedOver follows the engine's answer when a person takes over.
func textHandedOver(lang string, ticket int64) string {
	if ticket == 0 {
		return text(lang, "已为你转接人工客服，客服会直接在这里回复你。",
			"I have passed this to a human agent, who will answer you right here.")
	}
	return text(lang, fmt.Sprintf("已为你转接人工客服（工单 #%d），客服会直接在这里回复你。", ticket),
		fmt.Sprintf("I have passed this to a human agent (ticket #%d), who will answer you right here.", ticket))
}

// textEscalated follows an answer a person must also follow up.
func textEscalated(lang string, ticket int64) string {
	if ticket == 0 {
		return text(lang, "这个情况我也已转给人工客服跟进，客服会在这里联系你；在此之前请先按上面的步骤处理。",
			"I have also passed this to a human agent, who will contact you here; until then please follow the steps above.")
	}
	return text(lang, fmt.Sprintf("这个情况我也已转给人工客服跟进（工单 #%d），客服会在这里联系你；在此之前请先按上面的步骤处理。", ticket),
		fmt.Sprintf("I have also passed this to a human agent (ticket #%d), who will contact you here; until then please follow the steps above.", ticket))
}

// textResumed tells the merchant the bot answers again after a person had
// the conversation.
func textResumed(lang string) string {
	return text(lang, "人工客服已结束本次服务。如果还有问题，直接发给我，我会继续帮你排查。",
		"The agent has finished with your case. If anything else comes up, just write to me and I will help.")
}

const (
	textFailed = "抱歉，我这边处理出了点问题。请稍后再发一次，或者发送“转人工”联系人工客服。"

	textUnsupported = "我目前能看懂文字和图片。请把终端屏幕上的应答码或提示文字打出来，或者拍一张屏幕照片发给我。"
)
