package signing

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestDeliveryTokenRoundTrip(t *testing.T) {
	s := newSigner(t, 1)
	syntax := regexp.MustCompile(`^[a-z2-7]+$`)
	tests := []struct {
		name          string
		issue, sub    int64
		purpose       string
		caseTransform func(string) string
	}{
		{"small ids", 1, 1, PurposeBounce, nil},
		{"large ids", 1 << 40, 1<<62 - 1, PurposeBounce, nil},
		{"mailto", 7, 123456, PurposeMailtoUnsubscribe, nil},
		{"upper-cased by a relay", 7, 99, PurposeBounce, strings.ToUpper},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := s.SignDelivery(tt.purpose, tt.issue, tt.sub)
			if !syntax.MatchString(tok) {
				t.Fatalf("token %q has characters outside [a-z2-7]", tok)
			}
			// bounces+TOKEN must fit a local part (64 characters).
			if len("unsubscribe+")+len(tok) > 64 {
				t.Fatalf("token %q is %d characters: too long for a local part", tok, len(tok))
			}
			if tt.caseTransform != nil {
				tok = tt.caseTransform(tok)
			}
			issue, sub, err := s.VerifyDelivery(tt.purpose, tok)
			if err != nil || issue != tt.issue || sub != tt.sub {
				t.Fatalf("VerifyDelivery = %d, %d, %v; want %d, %d", issue, sub, err, tt.issue, tt.sub)
			}
		})
	}
}

func TestDeliveryTokenRefused(t *testing.T) {
	s := newSigner(t, 1)
	good := s.SignDelivery(PurposeBounce, 5, 6)
	flip := func(tok string, i int) string {
		b := []byte(tok)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	tests := []struct {
		name, purpose, token string
		signer               *Signer
	}{
		{"other purpose", PurposeMailtoUnsubscribe, good, s},
		{"other secret", PurposeBounce, good, newSigner(t, 2)},
		{"first character altered", PurposeBounce, flip(good, 0), s},
		{"last character altered", PurposeBounce, flip(good, len(good)-1), s},
		{"truncated", PurposeBounce, good[:len(good)-2], s},
		{"empty", PurposeBounce, "", s},
		{"base64 alphabet", PurposeBounce, "AAAA-_AA", s},
		{"too long", PurposeBounce, strings.Repeat("a", 200), s},
		{"link token", PurposeBounce, strings.ToLower(s.Sign(PurposeBounce, 6, testNow())), s},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := tt.signer.VerifyDelivery(tt.purpose, tt.token); !errors.Is(err, ErrTokenInvalid) {
				t.Fatalf("VerifyDelivery(%q) = %v, want ErrTokenInvalid", tt.token, err)
			}
		})
	}
}
