package telegram

// The adapter's own texts. Everything else the merchant reads comes from the
// engine.
const (
	textStart = `您好！我是 POS 刷卡故障助手。
刷卡机显示“交易失败”时，请把屏幕上的应答码（例如 51、A0）或提示文字发给我，也可以直接拍一张屏幕照片发过来，我会告诉您原因和处理办法。

请不要发送完整卡号、密码或 CVN 码。

/help 使用说明
/human 转人工客服
/reset 重新开始

Hello! Send me the code or the message on your card terminal's screen, or a photo of it.`

	textHelp = `使用说明：
1. 发送屏幕上的应答码或提示文字，例如“交易失败 51”。
2. 或者拍一张终端屏幕的照片发过来（请拍清楚文字）。
3. 我提问时，可以直接点选按钮回答。
4. 按步骤处理后，请点“解决了”或“没解决”告诉我结果。

/human 转人工客服
/reset 清除本次对话，重新开始
请不要发送完整卡号、密码或 CVN 码。`

	textReset = "好的，本次对话已清除。请重新描述问题，或发送屏幕上的代码。"

	textFailed = "抱歉，我这边处理出了点问题。请稍后再发一次，或者发送 /human 联系人工客服。"

	textUnsupported = "我目前能看懂文字和图片。请把终端屏幕上的应答码或提示文字打出来，或者拍一张屏幕照片发给我。"

	textStaleButton = "这个按钮已失效，请直接输入您的回答。"
)
