package wechat

// The adapter's own texts. Everything else the merchant reads comes from the
// engine.
const (
	textWelcome = `您好！我是 POS 刷卡故障助手。
刷卡机显示“交易失败”时，请把屏幕上的应答码（例如 51、A0）或提示文字发给我，也可以直接拍一张屏幕照片发过来，我会告诉您原因和处理办法。

需要人工客服时，发送“转人工”。请不要发送完整卡号、密码或 CVN 码。`

	textFailed = "抱歉，我这边处理出了点问题。请稍后再发一次，或者发送“转人工”联系人工客服。"

	textUnsupported = "我目前能看懂文字、图片和语音。请把终端屏幕上的应答码或提示文字打出来，或者拍一张屏幕照片发给我。"

	textVoiceUnrecognised = "这条语音我没能识别出文字。请直接打字发送屏幕上的应答码或提示文字，例如“交易失败 51”。"
)
