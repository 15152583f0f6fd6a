package subscribers

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/plaintext"
)

// Attribute limits for values set by hand (form, admin API, CLI); imported
// files follow the same rules for names and line breaks.
const (
	MaxAttributes     = 50
	MaxAttributeKey   = 100  // characters
	MaxAttributeValue = 2000 // bytes
)

// NormaliseName trims a subscriber's name and checks it is one line of at
// most MaxNameRunes characters. Names end up in greetings and in the To
// header, so a line break or any other control character is refused;
// bidirectional controls, invisible but able to reorder what is shown, are
// removed.
func NormaliseName(s string) (string, error) {
	s = strings.TrimSpace(plaintext.StripBidi(s))
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%w: name is not valid UTF-8", newsletter.ErrInvalid)
	}
	if n := utf8.RuneCountInString(s); n > MaxNameRunes {
		return "", fmt.Errorf("%w: name longer than %d characters (%d)", newsletter.ErrInvalid, MaxNameRunes, n)
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		return "", fmt.Errorf("%w: name has a control character", newsletter.ErrInvalid)
	}
	return s, nil
}

// CheckAttributes checks attributes set by hand: keys are the trimmed,
// lower-cased names an import would give them, neither email nor name;
// values are one line without NUL. It returns the normalised copy.
func CheckAttributes(attrs map[string]string) (map[string]string, error) {
	if len(attrs) > MaxAttributes {
		return nil, fmt.Errorf("%w: more than %d attributes", newsletter.ErrInvalid, MaxAttributes)
	}
	out := make(map[string]string, len(attrs))
	for k, v := range attrs {
		key := strings.ToLower(strings.TrimSpace(k))
		switch {
		case key == "" || key == "email" || key == "name":
			return nil, fmt.Errorf("%w: attribute key %q: empty, email or name", newsletter.ErrInvalid, k)
		case utf8.RuneCountInString(key) > MaxAttributeKey || !utf8.ValidString(key) || strings.ContainsFunc(key, unicode.IsControl):
			return nil, fmt.Errorf("%w: attribute key %q: at most %d printable characters", newsletter.ErrInvalid, k, MaxAttributeKey)
		case len(v) > MaxAttributeValue || !utf8.ValidString(v) || strings.ContainsAny(v, "\x00\r\n"):
			return nil, fmt.Errorf("%w: attribute %q: at most %d bytes of UTF-8 on one line", newsletter.ErrInvalid, key, MaxAttributeValue)
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("%w: attribute key %q given twice", newsletter.ErrInvalid, key)
		}
		out[key] = strings.TrimSpace(v)
	}
	return out, nil
}
