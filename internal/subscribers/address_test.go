package subscribers

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/enews/enews/internal/newsletter"
)

func TestNormaliseAddressAccepts(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "anna@example.org", "anna@example.org"},
		{"domain lower-cased, local part kept", "Anna.Muster@Example.ORG", "Anna.Muster@example.org"},
		{"surrounding spaces trimmed", "  anna@example.org  ", "anna@example.org"},
		{"no-break space trimmed", "\u00a0anna@example.org\u00a0", "anna@example.org"},
		{"plus tag", "anna+news@example.org", "anna+news@example.org"},
		{"every atext character", "!#$%&'*+-/=?^_`{|}~@example.org", "!#$%&'*+-/=?^_`{|}~@example.org"},
		{"apostrophe is atext", "o'brien@example.ie", "o'brien@example.ie"},
		{"dots inside local part", "a.b.c@example.org", "a.b.c@example.org"},
		{"subdomains", "x@mail.eu.example.org", "x@mail.eu.example.org"},
		{"idn to punycode", "user@bücher.example", "user@xn--bcher-kva.example"},
		{"idn upper case", "user@BÜCHER.example", "user@xn--bcher-kva.example"},
		{"punycode kept", "user@xn--bcher-kva.example", "user@xn--bcher-kva.example"},
		{"ideographic full stop", "user@bücher\u3002example", "user@xn--bcher-kva.example"},
		{"sharp s not transitional", "user@straße.de", "user@xn--strae-oqa.de"},
		{"hyphen inside label", "a@my-host.example", "a@my-host.example"},
		{"digit labels", "a@123.example", "a@123.example"},
		{"local part of 64", strings.Repeat("l", 64) + "@example.org", strings.Repeat("l", 64) + "@example.org"},
		{"whole of 254", strings.Repeat("l", 64) + "@" + domainOfLength(189), strings.Repeat("l", 64) + "@" + domainOfLength(189)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormaliseAddress(tt.in)
			if err != nil {
				t.Fatalf("NormaliseAddress(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("NormaliseAddress(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormaliseAddressRefuses(t *testing.T) {
	tests := []struct {
		name, in, reason string
	}{
		{"empty", "", "empty address"},
		{"only spaces", "   ", "empty address"},
		{"missing @", "anna.example.org", "missing @"},
		{"two @", "a@b@example.org", "more than one @"},
		{"crlf header injection", "a@b.com\r\nBcc: x@y.com", "control character"},
		{"trailing newline", "a@b.com\n", "control character"},
		{"leading tab", "\ta@b.com", "control character"},
		{"tab inside", "a\t@b.com", "control character"},
		{"nul", "a\x00@b.com", "control character"},
		{"delete", "a\x7f@b.com", "control character"},
		{"c1 control", "a@b.com\u0085", "control character"},
		{"invalid utf-8", "a\xff@b.com", "not valid UTF-8"},
		{"display name", "Anna <anna@example.org>", "display name not allowed"},
		{"quoted display name", `"Anna M" <anna@example.org>`, "display name not allowed"},
		{"comment taken as name", "anna@example.org (Anna)", "display name not allowed"},
		{"angle brackets only", "<anna@example.org>", "angle brackets not allowed"},
		{"unclosed angle bracket", "Anna <anna@example.org", "angle brackets not allowed"},
		{"address list", "a@example.org, b@example.org", "more than one @"},
		{"quoted local part", `"anna"@example.org`, "quoted local part not allowed"},
		{"quoted local part with space", `"an na"@example.org`, "quoted local part not allowed"},
		{"space before @", "anna @example.org", "local part has character ' '"},
		{"space after @", "anna@ example.org", "spaces not allowed"},
		{"empty comment", "anna@example.org ()", "comment not allowed"},
		{"space in local part", "an na@example.org", "local part has character ' '"},
		{"sql text", "x'; DROP TABLE subscribers;--@a.com", "local part has character ';'"},
		{"html", "<script>@a.com", "angle brackets not allowed"},
		{"comma", "a,b@example.org", "local part has character ','"},
		{"backslash", `a\b@example.org`, `local part has character '\\'`},
		{"leading dot", ".anna@example.org", "leading, trailing or double dot"},
		{"trailing dot", "anna.@example.org", "leading, trailing or double dot"},
		{"double dot", "an..na@example.org", "leading, trailing or double dot"},
		{"empty local part", "@example.org", "empty local part"},
		{"non-ascii local part", "jürg@example.ch", "needs SMTPUTF8"},
		{"local part of 65", strings.Repeat("l", 65) + "@example.org", "local part too long"},
		{"whole of 255", strings.Repeat("l", 64) + "@" + domainOfLength(190), "too long (more than 254 octets)"},
		{"huge input", strings.Repeat("a", 5000) + "@example.org", "too long"},
		{"empty domain", "anna@", "empty domain"},
		{"domain without dot", "anna@localhost", "domain has no dot"},
		{"domain leading dot", "anna@.example.org", "empty label"},
		{"domain trailing dot", "anna@example.org.", "empty label"},
		{"domain empty label", "anna@example..org", "empty label"},
		{"domain of invisible characters", "anna@\u200b\u00ad", "empty domain"},
		{"label of invisible characters", "anna@\u200b.example", "empty label"},
		{"tld of invisible characters", "anna@example.\u00ad", "empty label"},
		{"domain literal", "anna@[192.0.2.1]", "domain literal not allowed"},
		{"bare ip", "anna@192.0.2.1", "top-level domain is numeric"},
		{"underscore in domain", "anna@my_host.example", "domain has character '_'"},
		{"space in domain", "anna@exa mple.org", "domain has character ' '"},
		{"comment in domain", "anna@(c)example.org", "domain has character '('"},
		{"symbol refused by IDNA", "anna@a♥️‍.example", "refused by IDNA"},
		{"label leading hyphen", "anna@-host.example", "refused by IDNA"},
		{"label trailing hyphen", "anna@host-.example", "refused by IDNA"},
		{"broken punycode", "anna@xn--a.example", "refused by IDNA"},
		{"label of 64", "anna@" + strings.Repeat("d", 64) + ".example", "domain label too long"},
		{"domain of 254", "a@" + domainOfLength(254), "domain too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormaliseAddress(tt.in)
			if err == nil {
				t.Fatalf("NormaliseAddress(%q) = %q, want error %q", tt.in, got, tt.reason)
			}
			if !errors.Is(err, newsletter.ErrInvalid) {
				t.Errorf("error %v does not wrap newsletter.ErrInvalid", err)
			}
			var ae *AddressError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v is not an *AddressError", err)
			}
			if !strings.Contains(ae.Reason, tt.reason) {
				t.Errorf("reason %q, want it to contain %q", ae.Reason, tt.reason)
			}
			if got != "" {
				t.Errorf("got %q alongside an error", got)
			}
		})
	}
}

// The refusal must not echo the address: errors are logged, addresses are not.
func TestAddressErrorOmitsAddress(t *testing.T) {
	_, err := NormaliseAddress("secret.person@example.org\r\n")
	if err == nil || strings.Contains(err.Error(), "secret.person") {
		t.Fatalf("error %v should hide the address", err)
	}
}

// Normalising a normalised address changes nothing.
func TestNormaliseAddressIdempotent(t *testing.T) {
	for _, in := range []string{"Anna@Example.org", "user@bücher.example", "o'brien@example.ie"} {
		t.Run(in, func(t *testing.T) {
			once, err := NormaliseAddress(in)
			if err != nil {
				t.Fatal(err)
			}
			twice, err := NormaliseAddress(once)
			if err != nil || twice != once {
				t.Fatalf("second pass = %q, %v; want %q", twice, err, once)
			}
		})
	}
}

// domainOfLength builds a valid host name of exactly n octets (n > 8) from
// labels of at most 63 octets, ending in "example".
func domainOfLength(n int) string {
	s := "example"
	for len(s) < n {
		size := min(n-len(s)-1, 63) // one octet goes to the dot
		// Never leave room for only a dot.
		if n-len(s)-1-size == 1 {
			size--
		}
		s = strings.Repeat("d", size) + "." + s
	}
	return s
}

// FuzzNormaliseAddress checks what holds for every accepted address: it
// normalises to itself, is at most 254 octets, has an ASCII lower-case
// domain, and carries no control character or space.
func FuzzNormaliseAddress(f *testing.F) {
	for _, s := range []string{"a@example.org", "user@bücher.example", "Anna <a@b.c>", "a@b.com\r\nBcc: x", "a@\u200b", `"x"@y.z`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := NormaliseAddress(in)
		if err != nil {
			return
		}
		if len(out) > maxAddress || strings.ContainsAny(out, " \t\r\n\x00<>\"") {
			t.Fatalf("%q → %q", in, out)
		}
		domain := out[strings.IndexByte(out, '@')+1:]
		if !isASCII(domain) || strings.ToLower(domain) != domain {
			t.Fatalf("%q → domain %q", in, domain)
		}
		if again, err := NormaliseAddress(out); err != nil || again != out {
			t.Fatalf("%q → %q → %q, %v", in, out, again, err)
		}
	})
}

// The fast path may pass on an address, but what it accepts the full path
// must accept with the same result. Generated near-addresses probe the
// edges: case, dots, hyphens, digits, punycode, spaces, quotes, non-ASCII.
func TestPlainAddressAgrees(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	local := []string{"a", "Z", "0", ".", "..", "-", "+", "_", "'", "{", "~", "x", "Reader"}
	label := []string{"a", "Z", "0", "9", "-", "--", "xn--", "xn--bcher-kva", "com", "ORG", "example", "1", "mail7"}
	odd := []string{" ", "\t", "\"", "(", "<", "é", "ä", "@", ".", "..", "\u3002", ",", ";", "[", "\x00"}
	fast := 0
	check := func(s string) {
		addr, ok := plainAddress(s)
		if !ok {
			return
		}
		fast++
		full, err := normaliseAddress(s)
		if err != nil || full != addr {
			t.Errorf("%q: fast path gives %q, full path %q, %v", s, addr, full, err)
		}
	}
	pick := func(b *strings.Builder, from []string) {
		if rng.IntN(20) == 0 {
			from = odd
		}
		b.WriteString(from[rng.IntN(len(from))])
	}
	for range 200_000 {
		var b strings.Builder
		for range 1 + rng.IntN(4) {
			pick(&b, local)
		}
		b.WriteString("@")
		for l := range 1 + rng.IntN(4) {
			if l > 0 {
				b.WriteString(".")
			}
			for range 1 + rng.IntN(3) {
				pick(&b, label)
			}
		}
		check(b.String())
	}
	for _, s := range []string{"a@b.c", "A.B@EXAMPLE.ORG", "x@1.2", "x@a.123", "x@a-.org", "x@-a.org", "x@a--b.org",
		"a.@b.org", ".a@b.org", "a..b@c.org", strings.Repeat("a", 64) + "@b.org", strings.Repeat("a", 65) + "@b.org",
		"a@" + strings.Repeat("b", 63) + ".org", "a@" + strings.Repeat("b", 64) + ".org", "reader.1@mail1.example.org"} {
		check(s)
	}
	if fast < 5_000 {
		t.Fatalf("only %d generated addresses took the fast path: the test probes too little", fast)
	}
}
