package mailer

import (
	"crypto"
	"fmt"
	"os"

	gomail "github.com/wneessen/go-mail"

	"github.com/enews/enews/internal/newsletter"
)

// dkimHeaders are signed on every message. The list headers are included so
// nobody on the way can swap the unsubscribe target; receivers that honour
// one-click unsubscribe require List-Unsubscribe and List-Unsubscribe-Post to
// be covered by the signature.
//
// The list is kept to what fits in one folded line (the h= tag at most 73
// bytes): go-mail v0.8.1 hard-wraps a longer h= value inside a header name,
// and under relaxed canonicalization that inserted space makes the signature
// fail to verify. Content-Type, MIME-Version, Reply-To and List-Id are left
// out for that reason; TestDKIMHeaderListFits guards the limit.
func dkimHeaders() []string {
	return []string{"From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe", "List-Unsubscribe-Post"}
}

// loadDKIMKey reads and parses the private key once, at start, so a bad key
// fails the process instead of every message.
func loadDKIMKey(c *DKIMConfig) (crypto.Signer, error) {
	bad := func(key, why string) error {
		return fmt.Errorf("%w: dkim.%s: %s", newsletter.ErrInvalid, key, why)
	}
	if c.Domain == "" {
		return nil, bad("domain", "required")
	}
	if c.Selector == "" {
		return nil, bad("selector", "required")
	}
	if c.KeyFile == "" {
		return nil, bad("key_file", "required")
	}
	pemBytes, err := os.ReadFile(c.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("mailer: dkim.key_file %s: %w", c.KeyFile, err)
	}
	key, err := gomail.PrivKeyFromPEM(pemBytes)
	if err != nil {
		return nil, bad("key_file", err.Error())
	}
	signer := newDKIMSigner(c, key)
	if err := signer.ValidateConfig(); err != nil {
		return nil, bad("key_file", err.Error())
	}
	return key, nil
}

// newDKIMSigner makes one signer per connection: go-mail's signer caches its
// algorithm on first use, so sharing one between connections would race.
func newDKIMSigner(c *DKIMConfig, key crypto.Signer) *gomail.DKIMSigner {
	s := gomail.NewDKIMSigner(c.Domain, c.Selector, key)
	s.SignHeaders(dkimHeaders()...)
	s.HeaderCanonicalization(gomail.CanonicalizationRelaxed)
	s.BodyCanonicalization(gomail.CanonicalizationRelaxed)
	return s
}
