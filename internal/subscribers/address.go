// Package subscribers holds the rules for subscriber addresses and the
// streaming CSV import of subscriber lists. The rules are written up in
// ADDRESSES.md next to this file.
package subscribers

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"github.com/enews/enews/internal/newsletter"
)

// Limits from RFC 5321 section 4.5.3.1: a local part of 64 octets, and a
// forward-path of 256 octets including the angle brackets, which leaves 254
// for the address itself. DNS caps a label at 63 and a name at 253 octets.
const (
	maxLocalPart = 64
	maxAddress   = 254
	maxDomain    = 253
	maxLabel     = 63
	// maxInput bounds the work done on hostile input before any parsing.
	maxInput = 1024
)

// AddressError says why an address was refused. It matches newsletter.ErrInvalid
// with errors.Is, so the web layer maps it like any other bad input. The
// address itself is not part of the message: errors end up in logs, and logs
// never hold full addresses.
type AddressError struct {
	Reason string
}

func (e *AddressError) Error() string {
	return newsletter.ErrInvalid.Error() + ": address: " + e.Reason
}

// Unwrap lets errors.Is(err, newsletter.ErrInvalid) hold.
func (e *AddressError) Unwrap() error { return newsletter.ErrInvalid }

func refuse(format string, args ...any) error {
	return &AddressError{Reason: fmt.Sprintf(format, args...)}
}

// NormaliseAddress checks one subscriber address and returns the form stored
// in the database: the local part as typed, the domain lower-cased and in
// ASCII (IDNA punycode). Every refusal is an *AddressError.
func NormaliseAddress(s string) (string, error) {
	if addr, ok := plainAddress(s); ok {
		return addr, nil
	}
	return normaliseAddress(s)
}

// plainAddress is the fast path for the address nearly every list is made
// of: ASCII, a dot-atom local part, and a host name of letters, digits and
// inner hyphens. It allocates nothing unless the domain has capitals. It
// only accepts what normaliseAddress accepts, with the same result
// (TestPlainAddressAgrees); anything else, from a space to trim to an
// IDNA label, gets ok false and takes the full path.
func plainAddress(s string) (addr string, ok bool) {
	at := strings.IndexByte(s, '@')
	if at <= 0 || at > maxLocalPart || len(s) > maxAddress {
		return "", false
	}
	local, domain := s[:at], s[at+1:]
	prev := byte('.') // a leading dot counts as a double one
	for i := 0; i < len(local); i++ {
		c := local[i]
		if c == '.' && prev == '.' || c != '.' && !isAtext(c) {
			return "", false
		}
		prev = c
	}
	if prev == '.' || domain == "" || len(domain) > maxDomain {
		return "", false
	}
	upper, start, dots := false, 0, 0
	for i := 0; i <= len(domain); i++ {
		if i < len(domain) && domain[i] != '.' {
			switch c := domain[i]; {
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-':
			case 'A' <= c && c <= 'Z':
				upper = true
			default:
				return "", false
			}
			continue
		}
		// A label ends at i. "--" anywhere (xn-- and its kin) is left to
		// IDNA.
		label := domain[start:i]
		if label == "" || len(label) > maxLabel || label[0] == '-' || label[len(label)-1] == '-' ||
			strings.Contains(label, "--") {
			return "", false
		}
		if i < len(domain) {
			dots++
			start = i + 1
		}
	}
	if dots == 0 || strings.Trim(domain[start:], "0123456789") == "" {
		return "", false
	}
	if upper {
		return local + "@" + strings.ToLower(domain), true
	}
	return s, true
}

// normaliseAddress is NormaliseAddress's full path.
func normaliseAddress(s string) (string, error) {
	// Only printable spaces are trimmed: a tab, CR or LF at either end is as
	// suspicious as one in the middle (header injection), so it is refused
	// below rather than silently dropped.
	s = strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) && !unicode.IsControl(r) })
	switch {
	case s == "":
		return "", refuse("empty address")
	case len(s) > maxInput:
		return "", refuse("too long (more than %d octets)", maxAddress)
	case !utf8.ValidString(s):
		return "", refuse("not valid UTF-8")
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "", refuse("control character")
	case !strings.Contains(s, "@"):
		return "", refuse("missing @")
	}

	// net/mail understands the full RFC 5322 grammar, so it is the one place
	// that can tell a display name or an angle-addr from a plain addr-spec.
	// Only a bare addr-spec, exactly as typed, is accepted.
	parsed, parseErr := mail.ParseAddress(s)
	if parseErr == nil {
		if parsed.Name != "" {
			return "", refuse("display name not allowed")
		}
		if parsed.Address != s {
			return "", refuse("%s", notBareReason(s))
		}
	} else if strings.ContainsAny(s, "<>") {
		return "", refuse("angle brackets not allowed")
	}
	if strings.Count(s, "@") > 1 {
		return "", refuse("more than one @")
	}

	at := strings.IndexByte(s, '@')
	local, domain := s[:at], s[at+1:]
	if err := checkLocalPart(local); err != nil {
		return "", err
	}
	ascii, err := normaliseDomain(domain)
	if err != nil {
		return "", err
	}
	if parseErr != nil {
		// The checks above are stricter than RFC 5322, so this is not
		// expected; refusing keeps the two parsers from disagreeing silently.
		return "", refuse("malformed address")
	}
	addr := s
	if ascii != domain {
		addr = local + "@" + ascii
	}
	if len(addr) > maxAddress {
		return "", refuse("too long (more than %d octets)", maxAddress)
	}
	return addr, nil
}

// notBareReason names what net/mail removed when it parsed s into a
// different addr-spec.
func notBareReason(s string) string {
	switch {
	case strings.ContainsAny(s, "<>"):
		return "angle brackets not allowed"
	case strings.Contains(s, `"`):
		return "quoted local part not allowed"
	case strings.ContainsAny(s, "()"):
		return "comment not allowed"
	default:
		return "spaces not allowed"
	}
}

// checkLocalPart accepts an RFC 5322 dot-atom of ASCII atext. Quoted local
// parts are legal but refused: almost nothing outside test suites uses them,
// and they are a common carrier for injection tricks.
func checkLocalPart(local string) error {
	switch {
	case local == "":
		return refuse("empty local part")
	case len(local) > maxLocalPart:
		return refuse("local part too long (more than %d octets)", maxLocalPart)
	case !isASCII(local):
		// An internationalised local part needs SMTPUTF8 on every hop;
		// many receiving servers still refuse it, so such an address would
		// bounce more often than not.
		return refuse("non-ASCII local part not supported (needs SMTPUTF8)")
	case local[0] == '"':
		return refuse("quoted local part not allowed")
	case local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, ".."):
		return refuse("local part has a leading, trailing or double dot")
	}
	for i := 0; i < len(local); i++ {
		if c := local[i]; c != '.' && !isAtext(c) {
			return refuse("local part has character %q", c)
		}
	}
	return nil
}

// normaliseDomain converts the domain to lower-case ASCII with the IDNA
// Lookup profile (UTS 46 mapping, then punycode) and checks it is a plain
// host name with at least one dot.
func normaliseDomain(domain string) (string, error) {
	switch {
	case domain == "":
		return "", refuse("empty domain")
	case domain[0] == '[':
		return "", refuse("domain literal not allowed")
	}
	if err := checkLabels(domain); err != nil {
		return "", err
	}
	// ASCII characters are checked here for a plainer message than IDNA
	// gives; anything non-ASCII is IDNA's to judge.
	for i := 0; i < len(domain); i++ {
		c := domain[i]
		if c < utf8.RuneSelf && c != '.' && !isLDH(c|0x20) {
			return "", refuse("domain has character %q", c)
		}
	}
	ascii, err := idna.Lookup.ToASCII(domain)
	if err != nil {
		return "", refuse("domain refused by IDNA (%v)", err)
	}
	// Lookup already lower-cases; ToLower returns its argument unchanged
	// (no copy) when there is nothing to do.
	ascii = strings.ToLower(ascii)
	// Checked again: the IDNA mapping can turn other full stops (U+3002)
	// into dots.
	if err := checkLabels(ascii); err != nil {
		return "", err
	}
	if !strings.Contains(ascii, ".") {
		return "", refuse("domain has no dot")
	}
	if len(ascii) > maxDomain {
		return "", refuse("domain too long (more than %d octets)", maxDomain)
	}
	tld := ""
	for label := range strings.SplitSeq(ascii, ".") {
		tld = label
		if len(label) > maxLabel {
			return "", refuse("domain label too long (more than %d octets)", maxLabel)
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return "", refuse("domain label starts or ends with a hyphen")
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; !isLDH(c) {
				return "", refuse("domain has character %q", c)
			}
		}
	}
	if strings.Trim(tld, "0123456789") == "" {
		return "", refuse("top-level domain is numeric (IP addresses not allowed)")
	}
	return ascii, nil
}

// checkLabels refuses empty labels, which IDNA's Lookup profile lets through.
// The domain itself can be empty here: the IDNA mapping deletes invisible
// characters such as U+200B, and a domain of nothing else maps to "".
func checkLabels(domain string) error {
	if domain == "" {
		return refuse("empty domain")
	}
	if domain[0] == '.' || domain[len(domain)-1] == '.' || strings.Contains(domain, "..") {
		return refuse("domain has an empty label (leading, trailing or double dot)")
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// isAtext is RFC 5322 atext: letters, digits and !#$%&'*+-/=?^_`{|}~.
func isAtext(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// isLDH is a host name character (RFC 1123) after lower-casing.
func isLDH(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-'
}
