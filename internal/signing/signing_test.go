package signing

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/enews/enews/internal/newsletter"
)

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// testNow is the fixed "now" of every test: never the clock.
func testNow() time.Time { return time.Date(2022, 6, 1, 9, 0, 0, 0, time.UTC) }

func newSigner(t testing.TB, fill byte) *Signer {
	t.Helper()
	s, err := New(bytes.Repeat([]byte{fill}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewSecretLength(t *testing.T) {
	for _, n := range []int{0, 1, 31, 32, 64} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			_, err := New(make([]byte, n))
			if n < MinSecretBytes {
				if !errors.Is(err, newsletter.ErrInvalid) {
					t.Fatalf("New with %d bytes: %v, want ErrInvalid", n, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	s := newSigner(t, 1)
	tokenSyntax := regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	tests := []struct {
		name    string
		purpose string
		id      int64
		expires time.Time
	}{
		{"unsubscribe never expires", PurposeUnsubscribe, 42, time.Time{}},
		{"confirm in a week", PurposeConfirm, 42, testNow().Add(7 * 24 * time.Hour)},
		{"one second left", PurposeConfirm, 7, testNow().Add(time.Second)},
		{"large id", PurposeUnsubscribe, math.MaxInt64, time.Time{}},
		{"zero id", PurposeUnsubscribe, 0, time.Time{}},
		{"negative id", "other", -3, time.Time{}},
		{"empty purpose", "", 9, time.Time{}},
		{"far future", PurposeConfirm, 1, time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := s.Sign(tt.purpose, tt.id, tt.expires)
			if !tokenSyntax.MatchString(token) || len(token) > maxTokenLen {
				t.Errorf("token %q: want only [A-Za-z0-9_-], at most %d characters", token, maxTokenLen)
			}
			id, err := s.Verify(tt.purpose, token, testNow())
			if err != nil || id != tt.id {
				t.Fatalf("Verify = %d, %v; want %d", id, err, tt.id)
			}
			// Another signer from the same secret agrees: no state in tokens.
			if id, err := newSigner(t, 1).Verify(tt.purpose, token, testNow()); err != nil || id != tt.id {
				t.Errorf("second signer: %d, %v", id, err)
			}
		})
	}
}

func TestTokenIsCompact(t *testing.T) {
	token := newSigner(t, 1).Sign(PurposeConfirm, 1_000_000, testNow().Add(48*time.Hour))
	if len(token) > 36 {
		t.Errorf("token %q is %d characters, want at most 36", token, len(token))
	}
}

func TestWrongPurpose(t *testing.T) {
	s := newSigner(t, 1)
	tests := []struct{ signed, checked string }{
		{PurposeUnsubscribe, PurposeConfirm},
		{PurposeConfirm, PurposeUnsubscribe},
		{PurposeConfirm, "Confirm"},
		{"", PurposeConfirm},
		{PurposeConfirm, ""},
	}
	for _, tt := range tests {
		t.Run(tt.signed+"→"+tt.checked, func(t *testing.T) {
			token := s.Sign(tt.signed, 5, time.Time{})
			if _, err := s.Verify(tt.checked, token, testNow()); !errors.Is(err, ErrTokenInvalid) {
				t.Fatalf("Verify = %v, want ErrTokenInvalid", err)
			}
		})
	}
}

// Every character of a token, replaced by every other character of the
// alphabet, must break it.
func TestAlteredCharacter(t *testing.T) {
	s := newSigner(t, 1)
	token := s.Sign(PurposeUnsubscribe, 12345, testNow().Add(time.Hour))
	for i := range len(token) {
		t.Run(fmt.Sprintf("position %d", i), func(t *testing.T) {
			for _, c := range []byte(alphabet) {
				if c == token[i] {
					continue
				}
				altered := token[:i] + string(c) + token[i+1:]
				if id, err := s.Verify(PurposeUnsubscribe, altered, testNow()); !errors.Is(err, ErrTokenInvalid) {
					t.Fatalf("%q accepted (id %d, err %v)", altered, id, err)
				}
			}
		})
	}
}

func TestExpiry(t *testing.T) {
	s := newSigner(t, 1)
	expires := testNow().Add(time.Hour)
	tests := []struct {
		name    string
		expires time.Time
		now     time.Time
		want    error
	}{
		{"before", expires, expires.Add(-time.Second), nil},
		{"at the instant", expires, expires, ErrTokenExpired},
		{"after", expires, expires.Add(time.Minute), ErrTokenExpired},
		{"fraction rounds down", expires.Add(900 * time.Millisecond), expires, ErrTokenExpired},
		{"never, a century on", time.Time{}, testNow().AddDate(100, 0, 0), nil},
		{"epoch is not never", time.Unix(0, 0), testNow(), ErrTokenExpired},
		{"before the epoch", time.Unix(-100, 0), testNow(), ErrTokenExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := s.Sign(PurposeConfirm, 3, tt.expires)
			id, err := s.Verify(PurposeConfirm, token, tt.now)
			if !errors.Is(err, tt.want) || (err == nil && id != 3) || (err != nil && id != 0) {
				t.Fatalf("Verify = %d, %v; want %v", id, err, tt.want)
			}
		})
	}
}

func TestTruncated(t *testing.T) {
	s := newSigner(t, 1)
	token := s.Sign(PurposeConfirm, 77, testNow().Add(time.Hour))
	for n := range len(token) {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			if _, err := s.Verify(PurposeConfirm, token[:n], testNow()); !errors.Is(err, ErrTokenInvalid) {
				t.Fatalf("prefix %q: %v", token[:n], err)
			}
			if _, err := s.Verify(PurposeConfirm, token[len(token)-n:], testNow()); !errors.Is(err, ErrTokenInvalid) {
				t.Fatalf("suffix %q: %v", token[len(token)-n:], err)
			}
		})
	}
}

func TestGarbage(t *testing.T) {
	s := newSigner(t, 1)
	token := s.Sign(PurposeConfirm, 77, time.Time{})
	enc := base64.RawURLEncoding.EncodeToString
	forged := append([]byte{version, 2, 0}, make([]byte, macSize)...)
	tests := map[string]string{
		"empty":                 "",
		"punctuation":           "!!!!",
		"one character":         "A",
		"standard alphabet":     strings.ReplaceAll(strings.ReplaceAll(token, "-", "+"), "_", "/") + "+/",
		"padding added":         token + "=",
		"line feed inside":      token[:5] + "\n" + token[5:],
		"carriage return ended": token + "\r",
		"space ended":           token + " ",
		"doubled":               token + token,
		"huge":                  strings.Repeat("A", 10000),
		"zero MAC":              enc(forged),
		"version 2":             enc(append([]byte{2}, forged[1:]...)),
		"sql":                   "x'; DROP TABLE subscribers;--",
		"url escaped":           "%41%42%43",
		"non-ascii":             "tökén",
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if id, err := s.Verify(PurposeConfirm, in, testNow()); !errors.Is(err, ErrTokenInvalid) || id != 0 {
				t.Fatalf("Verify(%q) = %d, %v; want ErrTokenInvalid", in, id, err)
			}
		})
	}
}

func TestOtherSecret(t *testing.T) {
	a, b := newSigner(t, 1), newSigner(t, 2)
	for _, expires := range []time.Time{{}, testNow().Add(-time.Hour)} {
		token := a.Sign(PurposeUnsubscribe, 8, expires)
		// Invalid, not expired: nothing in a foreign token is believed.
		if _, err := b.Verify(PurposeUnsubscribe, token, testNow()); !errors.Is(err, ErrTokenInvalid) {
			t.Fatalf("token from another secret: %v", err)
		}
	}
}

func TestHashAddress(t *testing.T) {
	s := newSigner(t, 1)
	h := s.HashAddress("Anna.Muster@Example.org")
	if h != s.HashAddress("anna.muster@example.org") {
		t.Error("hash depends on case")
	}
	if len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
		t.Errorf("hash %q is not 64 lower-case hex digits", h)
	}
	if h == s.HashAddress("anna.muster@example.com") {
		t.Error("different addresses, same hash")
	}
	if h == newSigner(t, 2).HashAddress("anna.muster@example.org") {
		t.Error("hash does not depend on the secret")
	}
	// Pinned: a change here would make every stored hash unmatchable.
	key := hmac.New(sha256.New, bytes.Repeat([]byte{1}, 32))
	key.Write([]byte("enews address hash v1"))
	m := hmac.New(sha256.New, key.Sum(nil))
	m.Write([]byte("anna.muster@example.org"))
	if want := hex.EncodeToString(m.Sum(nil)); h != want {
		t.Errorf("hash %s, want %s", h, want)
	}
}

// FuzzVerify: arbitrary input never panics and never passes.
func FuzzVerify(f *testing.F) {
	s := newSigner(f, 1)
	f.Add(PurposeConfirm, s.Sign(PurposeConfirm, 1, time.Time{}))
	f.Add(PurposeUnsubscribe, "AQIA")
	f.Fuzz(func(t *testing.T, purpose, token string) {
		id, err := s.Verify(purpose, token, testNow())
		if err == nil && s.Sign(purpose, id, time.Time{}) != token {
			t.Fatalf("forged token %q accepted for %q", token, purpose)
		}
		if err != nil && !errors.Is(err, ErrTokenInvalid) && !errors.Is(err, ErrTokenExpired) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}

func BenchmarkSign(b *testing.B) {
	s := newSigner(b, 1)
	b.ReportAllocs()
	for b.Loop() {
		s.Sign(PurposeUnsubscribe, 123456, time.Time{})
	}
}

func BenchmarkVerify(b *testing.B) {
	s := newSigner(b, 1)
	token := s.Sign(PurposeUnsubscribe, 123456, time.Time{})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Verify(PurposeUnsubscribe, token, testNow()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHashAddress(b *testing.B) {
	s := newSigner(b, 1)
	b.ReportAllocs()
	for b.Loop() {
		s.HashAddress("anna.muster@example.org")
	}
}
