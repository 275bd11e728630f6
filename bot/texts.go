package bot

import (
	"fmt"
	"math"
	"time"

	"github.com/posbot/posbot/knowledge"
)

// The fixed wordings of the dialogue, in Chinese and English.

type clarifyText struct {
	text    string
	options []string
}

func triageQuestion(lang string) clarifyText {
	if lang == "en" {
		return clarifyText{"To find the cause I need one more detail: what code or words does the terminal's screen show (for example \"declined 51\")? If there is no code, which of these fits best?", triageOptions["en"]}
	}
	return clarifyText{"为了找准原因，请告诉我屏幕上显示的错误码或提示文字（例如“交易失败 51”）。如果没有代码，是下面哪种情况？", triageOptions["zh"]}
}

func emptyQuestion(lang string) clarifyText {
	if lang == "en" {
		return clarifyText{"I could not read anything in that message. Please send the code or the words on the terminal's screen, or a clear photo of it.", nil}
	}
	return clarifyText{"这条消息里我没有读到内容。请把POS机屏幕上的错误码或提示文字发给我，或者拍一张清晰的屏幕照片。", nil}
}

func greetingText(lang string) clarifyText {
	if lang == "en" {
		return clarifyText{"Hello! I help when a card terminal says the payment failed. Send me the code or the words on the screen (e.g. \"declined 51\"), or a photo of it.", nil}
	}
	return clarifyText{"你好！我是POS机交易失败助手。请把屏幕上的错误码或提示文字发给我（例如“交易失败 51”），也可以直接发屏幕照片。", nil}
}

func simpleReply(text string) Reply {
	return Reply{Answer: text, Target: knowledge.TargetNone, Writer: "template"}
}

func thanksText(lang string) string {
	if lang == "en" {
		return "You're welcome. If the terminal shows another code, just send it to me."
	}
	return "不客气！如果POS机再出现别的提示，直接把代码或文字发给我就行。"
}

func solvedText(lang string) string {
	if lang == "en" {
		return "Glad it works again. Thanks for letting me know — it helps us learn which fixes work."
	}
	return "太好了，问题解决了！谢谢反馈，这能帮我们知道哪些办法有效。以后再遇到提示，直接把代码发给我。"
}

func outOfScopeText(lang string) string {
	if lang == "en" {
		return "Sorry, I can only help with card terminal (POS) problems such as failed payments, error codes, no signal or card-reading trouble. Send me the code or the words on the screen."
	}
	return "抱歉，我只能帮忙处理POS机刷卡相关的问题，比如交易失败、错误码、没信号、读不了卡等。请把屏幕上的代码或提示文字发给我。"
}

func uncertainText(lang string) string {
	if lang == "en" {
		return "From what I know so far I cannot be sure; here is the closest match. Send me the code or the words on the screen for a precise answer."
	}
	return "根据目前的信息我还不能确定，下面是最相关的情况，供参考；如果屏幕上有代码或提示文字，发给我可以判断得更准。"
}

func unknownCodeText(lang, code string, private bool) string {
	switch {
	case lang == "en" && private:
		return fmt.Sprintf("%s is not a UnionPay response code; it is most likely your terminal brand's own code. Please send the full text on the screen and the name of your POS provider.", code)
	case lang == "en":
		return fmt.Sprintf("Code %s is not in the UnionPay response-code table I know. Please send the full text on the screen and the name of your POS provider.", code)
	case private:
		return fmt.Sprintf("%s 不是银联的标准应答码，多半是POS机品牌或服务商自己的代码。请把屏幕上的完整提示文字和你的POS服务商名称发给我。", code)
	}
	return fmt.Sprintf("应答码 %s 不在我掌握的银联应答码表里。请把屏幕上的完整提示文字和你的POS服务商名称发给我。", code)
}

func unknownCodeMeaning(lang string) string {
	if lang == "en" {
		return "Not a standard UnionPay response code; its meaning depends on the terminal brand."
	}
	return "不是银联标准应答码，含义取决于POS机品牌或服务商。"
}

func nextCauseText(lang string) string {
	if lang == "en" {
		return "Sorry that did not help. Let's check the next most likely cause:"
	}
	return "抱歉上一步没有解决。我们看下一个最可能的原因："
}

func stepsDidNotHelp(lang string) string {
	if lang == "en" {
		return "The steps did not solve it, so I am handing you to a person."
	}
	return "这些步骤没有解决问题，我帮你转给人工客服。"
}

func humanOption(lang string) string {
	if lang == "en" {
		return "Talk to a human"
	}
	return "转人工"
}

func handoffText(lang, why, summary string) string {
	if lang == "en" {
		s := "OK, I am handing this conversation to a human agent. To speed things up, please have your merchant ID (商户号), terminal ID (终端号), reference number (参考号), time and amount ready. Never send card numbers or PINs."
		if why != "" {
			s = why + " " + s
		}
		if summary != "" {
			s += "\n\nCase summary for the agent:\n" + summary
		}
		return s
	}
	s := "好的，正在为你转接人工客服。为了更快处理，请准备好商户号、终端号、参考号、交易时间和金额（不要发送完整卡号或密码）。"
	if why != "" {
		s = why + s
	}
	if summary != "" {
		s += "\n\n给客服的情况摘要：\n" + summary
	}
	return s
}

func cardWarning(lang string) string {
	if lang == "en" {
		return "⚠️ Please never send full card numbers, PINs, CVV or SMS codes in chat. I have hidden them and did not keep them. I only ever need the last 4 digits of a card."
	}
	return "⚠️ 请不要在聊天里发送完整卡号、密码、CVV或短信验证码。我已自动隐藏，不会保存。需要时只提供卡号后4位即可。"
}

func longNotice(lang string) string {
	if lang == "en" {
		return "Your message was very long, so I only read the beginning. The code or the words on the screen are enough."
	}
	return "你的消息太长了，我只读了前面一部分。发屏幕上的代码或提示文字就够了。"
}

func rateLimitedReply(lang string, after time.Duration) Reply {
	secs := int(math.Ceil(after.Seconds()))
	r := simpleReply(fmt.Sprintf("消息有点多，请 %d 秒后再发。如果很急，可以回复“转人工”。", secs))
	if lang == "en" {
		r = simpleReply(fmt.Sprintf("That's a lot of messages at once; please wait %d s and send again.", secs))
	}
	r.Sources = []Source{}
	return r
}

func fallbackReply(lang string) Reply {
	if lang == "en" {
		return simpleReply("Sorry, I ran into a problem answering that. Please try again in a moment, or type \"human\" to reach a person.")
	}
	return simpleReply("抱歉，我这边处理出了点问题。请稍后再发一次，或者回复“转人工”联系人工客服。")
}
