package httpapi

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/posbot/posbot/bot"
)

// writeReply writes the engine's reply as the JSON body of a 200 response:
// the bytes writeJSON would write, made without reflection. encoding/json
// spent most of its time reading every Chinese character of the answer to
// check that it is not U+2028 or U+2029; appendJSONString looks at the lead
// byte. TestAppendReplyLikeEncodingJSON holds the two to the same output,
// every field of bot.Reply included.
func writeReply(w http.ResponseWriter, r bot.Reply) {
	bp := replyBuffers.Get().(*[]byte)
	b, ok := appendReply((*bp)[:0], r)
	if !ok { // a figure JSON cannot hold: as encoding/json handles it
		writeJSON(w, http.StatusOK, r)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b) // the client has gone if this fails
	if cap(b) <= 64<<10 {
		*bp = b
		replyBuffers.Put(bp)
	}
}

var replyBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// appendReply appends r as encoding/json (HTML left unescaped) encodes it,
// with its newline; ok is false for a NaN or infinite figure.
func appendReply(b []byte, r bot.Reply) (_ []byte, ok bool) {
	b = append(b, `{"answer":`...)
	b = appendJSONString(b, r.Answer)
	b = append(b, `,"code":`...)
	b = appendJSONString(b, r.Code)
	b = append(b, `,"code_meaning":`...)
	b = appendJSONString(b, r.CodeMeaning)
	b = append(b, `,"target":`...)
	b = appendJSONString(b, r.Target)
	b = append(b, `,"clarify":`...)
	b = strconv.AppendBool(b, r.Clarify)
	b = append(b, `,"handoff":`...)
	b = strconv.AppendBool(b, r.Handoff)
	b = append(b, `,"sources":`...)
	if r.Sources == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, s := range r.Sources {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"id":`...)
			b = appendJSONString(b, s.ID)
			b = append(b, `,"title":`...)
			b = appendJSONString(b, s.Title)
			b = append(b, `,"score":`...)
			if b, ok = appendJSONFloat(b, s.Score); !ok {
				return b, false
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if r.Sections != nil {
		b = appendSections(append(b, `,"sections":`...), r.Sections)
	}
	if len(r.Options) > 0 {
		b = append(b, `,"options":[`...)
		for i, o := range r.Options {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, o)
		}
		b = append(b, ']')
	}
	b = append(b, `,"confidence":`...)
	if b, ok = appendJSONFloat(b, r.Confidence); !ok {
		return b, false
	}
	if r.CardDataMasked {
		b = append(b, `,"card_data_masked":true`...)
	}
	if r.Writer != "" {
		b = append(b, `,"writer":`...)
		b = appendJSONString(b, r.Writer)
	}
	if r.Escalate {
		b = append(b, `,"escalate":true`...)
	}
	if r.Reason != "" {
		b = append(b, `,"reason":`...)
		b = appendJSONString(b, r.Reason)
	}
	if r.Silent {
		b = append(b, `,"silent":true`...)
	}
	if r.TextRedacted != "" {
		b = append(b, `,"text_redacted":`...)
		b = appendJSONString(b, r.TextRedacted)
	}
	return append(b, "}\n"...), true
}

// appendSections appends s as encoding/json encodes a bot.Sections.
func appendSections(b []byte, s *bot.Sections) []byte {
	b = append(b, '{')
	first := true
	key := func(k string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, `":`...)
	}
	list := func(k string, l []string, omitEmpty bool) {
		if omitEmpty && len(l) == 0 {
			return
		}
		key(k)
		if l == nil {
			b = append(b, "null"...)
			return
		}
		b = append(b, '[')
		for i, v := range l {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, v)
		}
		b = append(b, ']')
	}
	str := func(k, v string, omitEmpty bool) {
		if omitEmpty && v == "" {
			return
		}
		key(k)
		b = appendJSONString(b, v)
	}
	list("before", s.Before, true)
	str("title", s.Title, false)
	str("meaning", s.Meaning, false)
	list("steps", s.Steps, false)
	str("outcome", s.Outcome, true)
	str("contact", s.Contact, false)
	list("avoid", s.Avoid, true)
	str("notes", s.Notes, true)
	list("others", s.Others, true)
	list("sources", s.Sources, true)
	list("after", s.After, true)
	return append(b, '}')
}

// appendJSONFloat appends f as encoding/json writes a float64: like %g
// with other exponent cutoffs, the exponent not padded.
func appendJSONFloat(b []byte, f float64) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, false
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, true
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted as encoding/json does without HTML
// escaping: quotes, backslashes and control characters escaped, broken
// UTF-8 as \ufffd, U+2028 and U+2029 as \u2028 and \u2029. A well-formed
// three-byte character (most of Chinese text) is passed over by its bytes.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		if i+2 < len(s) && threeByte(c, s[i+1], s[i+2]) {
			if c == 0xe2 && s[i+1] == 0x80 && (s[i+2] == 0xa8 || s[i+2] == 0xa9) { // U+2028, U+2029
				b = append(b, s[start:i]...)
				b = append(b, '\\', 'u', '2', '0', '2', hexDigits[s[i+2]&0xf])
				i += 3
				start = i
				continue
			}
			i += 3
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// threeByte reports whether c0 c1 c2 encode one character of U+0800 to
// U+FFFF that UTF-8 allows (not overlong, not a surrogate).
func threeByte(c0, c1, c2 byte) bool {
	if c2&0xc0 != 0x80 {
		return false
	}
	switch {
	case c0 == 0xe0:
		return 0xa0 <= c1 && c1 <= 0xbf
	case c0 == 0xed:
		return 0x80 <= c1 && c1 <= 0x9f
	case 0xe1 <= c0 && c0 <= 0xef:
		return c1&0xc0 == 0x80
	}
	return false
}
