// Package plaintext holds the few rules for shortening and flattening text
// that enews shows in more than one place: in email, on pages, in the
// terminal and in logs. Each rule has one copy, here.
package plaintext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Ellipsis marks text that was cut.
const Ellipsis = "…"

// OneLine folds all whitespace, CR and LF included, into single spaces: a
// value may then sit in a subject, a header, a table cell or a log line
// without breaking it.
func OneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// IsBidiControl reports the invisible characters that reorder the text
// around them (LRE…RLO, LRI…PDI, LRM, RLM, ALM): in a name or a title they
// can make "moc.elpmaxe" read as "example.com", or hide where one field ends.
func IsBidiControl(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069 || r == 0x200E || r == 0x200F || r == 0x061C
}

// StripBidi removes bidirectional control characters.
func StripBidi(s string) string {
	if !strings.ContainsFunc(s, IsBidiControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if IsBidiControl(r) {
			return -1
		}
		return r
	}, s)
}

// Lines splits s at its line breaks, folds each line with OneLine and drops
// the blank ones: a postal address written one line per line.
func Lines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r", ""), "\n") {
		if l = OneLine(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// Clip cuts s to at most n runes, the ellipsis included, wherever the n-th
// rune falls: for listings and messages, where the point is a bounded width
// (a rejected feed entry's text is untrusted and may be huge). n <= 0 means
// no limit.
func Clip(s string, n int) string {
	if n <= 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + Ellipsis
}

// Shorten cuts s to at most n runes, the ellipsis included, at a word
// boundary when the text before the cut has one, and without trailing
// punctuation: for summaries and preheaders people read. n <= 0 means no
// limit.
func Shorten(s string, n int) string {
	if n <= 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	if n == 1 {
		return Ellipsis
	}
	// cut is the byte offset just after the first n-1 runes; the ellipsis
	// takes the last place.
	cut, runes := 0, 0
	for i := range s {
		if runes == n-1 {
			cut = i
			break
		}
		runes++
	}
	head := s[:cut]
	// Cut at the last space unless the cut already falls between words.
	if s[cut] != ' ' {
		if sp := strings.LastIndexByte(head, ' '); sp > 0 {
			head = head[:sp]
		}
	}
	head = strings.TrimRightFunc(head, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(",;:-–—·", r)
	})
	if head == "" {
		// A single word longer than the limit: cut inside it rather than
		// return nothing.
		head = s[:cut]
	}
	return head + Ellipsis
}
