package wecom

// The adapter's own texts. Everything else the customer reads comes from the
// engine.
const (
	textWelcome = `您好！我是 POS 刷卡故障助手。刷卡机显示“交易失败”时，请把屏幕上的应答码（例如 51、A0）或提示文字发给我，也可以拍一张屏幕照片发过来。需要人工客服时，发送“转人工”。请不要发送完整卡号、密码或 CVN 码。`

	textResumed = "人工客服已结束本次服务。还有问题的话，直接发给我即可，我会继续帮你排查。"

	textFailed = "抱歉，我这边处理出了点问题。请稍后再发一次，或者发送“转人工”联系人工客服。"

	textUnsupported = "我目前能看懂文字和图片。请把终端屏幕上的应答码或提示文字打出来，或者拍一张屏幕照片发给我。"

	textVoice = "语音我暂时听不了。请直接打字发送屏幕上的应答码或提示文字，例如“交易失败 51”，或者拍一张屏幕照片。"
)
