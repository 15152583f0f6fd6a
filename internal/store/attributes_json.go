package store

import "unicode/utf8"

// attributesJSON writes attributes as a JSON object for COPY, reusing buf.
// jsonb puts the keys in its own order, so map order does no harm; at a
// million rows, json.Marshal's reflection and key sorting cost a tenth of
// the import's client time. ok is false for text that is not UTF-8, which
// json.Marshal would have to repair.
func attributesJSON(buf []byte, attrs map[string]string) (out []byte, ok bool) {
	buf = append(buf[:0], '{')
	for k, v := range attrs {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return buf, false
		}
		if len(buf) > 1 {
			buf = append(buf, ',')
		}
		buf = appendJSONString(buf, k)
		buf = append(buf, ':')
		buf = appendJSONString(buf, v)
	}
	return append(buf, '}'), true
}

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, everything else as it is.
func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
