package content

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"

	"github.com/enews/enews/internal/plaintext"
)

// maxStripPasses bounds how often markup is stripped from one value. A feed
// that escapes its HTML twice ("&amp;lt;script&amp;gt;") yields a tag again
// after the first unescape; a few passes catch that, and the bound keeps a
// deliberately nested payload from costing more than a few scans.
const maxStripPasses = 4

// textCleaner turns untrusted feed text (HTML, entities, stray control bytes)
// into the plain text the items table stores. One cleaner is built per Load:
// a bluemonday policy is safe for concurrent use but costs a few maps to
// build, so it is not rebuilt per field.
type textCleaner struct {
	policy *bluemonday.Policy
}

func newTextCleaner() *textCleaner {
	// Strict keeps no element at all. Adding a space for every stripped tag
	// keeps "<p>One</p><p>Two</p>" from reading "OneTwo"; the extra spaces
	// collapse below, and a tag inside a word is far rarer than paragraphs.
	return &textCleaner{policy: bluemonday.StrictPolicy().AddSpaceWhenStrippingTag(true)}
}

// plain reduces s to one line of plain text: no tags, entities decoded,
// control characters removed, whitespace runs collapsed to single spaces.
func (c *textCleaner) plain(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	// Without '<' there is no tag to strip, and the sanitizer would only
	// re-escape what UnescapeString undoes; skipping it keeps a 10,000-entry
	// import cheap.
	if strings.IndexByte(s, '<') >= 0 {
		s = c.stripMarkup(s)
	} else if strings.IndexByte(s, '&') >= 0 {
		s = html.UnescapeString(s)
		if looksLikeMarkup(s) {
			s = c.stripMarkup(s)
		}
	}
	return collapseSpace(s)
}

// stripMarkup removes tags, then decodes entities so "&amp;" reads "&". The
// decode can reveal markup that was escaped once more, so it repeats while
// tags remain and each pass still changes something.
func (c *textCleaner) stripMarkup(s string) string {
	for range maxStripPasses {
		next := html.UnescapeString(c.policy.Sanitize(s))
		if next == s {
			return next
		}
		s = next
		if !looksLikeMarkup(s) {
			break
		}
	}
	return s
}

// looksLikeMarkup reports a '<' that an HTML parser would read as the start of
// a tag, comment or doctype rather than as text such as "a < b".
func looksLikeMarkup(s string) bool {
	for i := strings.IndexByte(s, '<'); i >= 0 && i+1 < len(s); {
		next := s[i+1]
		if next == '/' || next == '!' || next == '?' || ('a' <= next && next <= 'z') || ('A' <= next && next <= 'Z') {
			return true
		}
		j := strings.IndexByte(s[i+1:], '<')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// collapseSpace drops control characters and turns every run of Unicode white
// space (tabs, newlines, no-break spaces…) into one space, trimmed at both
// ends. Stored text is one line: the email and web templates decide layout.
func collapseSpace(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	pendingSpace := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			pendingSpace = b.Len() > 0
		case unicode.IsControl(r) || plaintext.IsBidiControl(r):
			// C0/C1 controls (NUL, ESC, DEL…) carry nothing readable and
			// can confuse terminals and mail clients; bidi controls can
			// make a title read other than it is.
		default:
			if pendingSpace {
				b.WriteByte(' ')
				pendingSpace = false
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}
