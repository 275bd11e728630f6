package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/bot/bottest"
)

// encodingJSON is what writeJSON writes for v.
func encodingJSON(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// filled returns a Reply with every field set, by reflection, so that a
// field added to bot.Reply and not to appendReply fails the test.
func filled(s string, f float64) bot.Reply {
	var r bot.Reply
	v := reflect.ValueOf(&r).Elem()
	for i := range v.NumField() {
		fv := v.Field(i)
		switch fv.Kind() {
		case reflect.String:
			fv.SetString(s + v.Type().Field(i).Name)
		case reflect.Bool:
			fv.SetBool(true)
		case reflect.Float64:
			fv.SetFloat(f)
		case reflect.Slice:
			switch fv.Type().Elem().Kind() {
			case reflect.String:
				fv.Set(reflect.ValueOf([]string{s, "", s + "2"}))
			default:
				fv.Set(reflect.ValueOf([]bot.Source{{ID: s, Title: s + "t", Score: f}, {}}))
			}
		}
	}
	return r
}

// TestAppendReplyLikeEncodingJSON: appendReply writes what encoding/json
// writes for every field of bot.Reply, set or not, for odd strings and
// figures, and for the engine's replies to messages of every kind.
func TestAppendReplyLikeEncodingJSON(t *testing.T) {
	t.Parallel()
	strs := []string{"", "交易失败 51\n请换卡", "quote\" back\\ slash\t\r\b\f\x00\x1f\x7f <&>", "\u2028\u2029 sep",
		"broken \xff\xe4\xb8 \xed\xa0\x80 \xe0\x80\x80 \xf0\x9f\x99\x82 emoji", "ΑΒΓ é ǅ", "\xe2\x80"}
	floats := []float64{0, 1, 0.91, 0.35, 1e-7, 1.5e-9, 123456789, 1e21, 2.5e22, -0.5, math.SmallestNonzeroFloat64}
	var replies []bot.Reply
	replies = append(replies, bot.Reply{}, bot.Reply{Sources: []bot.Source{}})
	for _, s := range strs {
		for _, f := range floats {
			replies = append(replies, filled(s, f))
		}
	}
	e := bottest.Engine(t)
	for _, m := range []string{"刷卡显示交易失败51", "刷卡失败了怎么办", "卡号6222021234567890123 密码123456", "转人工",
		"card declined with code 55", "你好", "花呗怎么还款", "1", "没解决", "没解决"} {
		r, err := e.Handle(context.Background(), bot.Message{ConversationID: "json", Text: m})
		if err != nil {
			t.Fatal(err)
		}
		replies = append(replies, r)
	}
	for _, r := range replies {
		got, ok := appendReply(nil, r)
		if want := encodingJSON(t, r); !ok || !bytes.Equal(got, want) {
			t.Fatalf("appendReply:\n%s\nencoding/json:\n%s", got, want)
		}
	}
	if _, ok := appendReply(nil, bot.Reply{Confidence: math.NaN()}); ok {
		t.Error("NaN accepted")
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"交易失败", "\u2028", "\xff", "a\"b\\c\n", "\xe2\x80\xa8\xe2\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendJSONString(nil, s)
		want := bytes.TrimSuffix(encodingJSON(t, s), []byte("\n"))
		if !bytes.Equal(got, want) {
			t.Fatalf("appendJSONString(%q) = %s, encoding/json %s", s, got, want)
		}
	})
}
