package mailer

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"
	"os"

	"github.com/emersion/go-msgauth/dkim"
	gomail "github.com/wneessen/go-mail"

	"github.com/enews/enews/internal/newsletter"
)

// dkimHeaders are signed on every message: the addresses, subject, date and
// id, the list headers, so nobody on the way can swap the unsubscribe target
// (receivers that honour one-click unsubscribe require List-Unsubscribe and
// List-Unsubscribe-Post to be covered), and the MIME headers, so the body
// cannot be reinterpreted. A header a message lacks (List-Unsubscribe-Post
// on an http demo) is signed as absent, so it cannot be added later either.
func dkimHeaders() []string {
	return []string{"From", "To", "Subject", "Date", "Message-ID", "Reply-To",
		"List-Id", "List-Unsubscribe", "List-Unsubscribe-Post",
		"MIME-Version", "Content-Type", "Content-Transfer-Encoding"}
}

// minRSABits refuses keys receivers no longer accept.
const minRSABits = 1024

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
	switch k := key.Public().(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < minRSABits {
			return nil, bad("key_file", fmt.Sprintf("RSA key of %d bits: use 2048", k.N.BitLen()))
		}
	case ed25519.PublicKey:
	default:
		return nil, bad("key_file", fmt.Sprintf("%T: want an RSA or Ed25519 key", k))
	}
	return key, nil
}

// signDKIM writes raw to dst with CRLF line ends (what goes on the wire, and
// what the signature covers) behind a DKIM-Signature header. It runs on the
// send path, one signature per message: a hash of the body and one RSA or
// Ed25519 signature.
func (p *Pool) signDKIM(dst *bytes.Buffer, raw []byte) error {
	dst.Reset()
	crlfLines(dst, raw)
	s, err := dkim.NewSigner(&dkim.SignOptions{
		Domain: p.cfg.DKIM.Domain, Selector: p.cfg.DKIM.Selector, Signer: p.dkimKey,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
		HeaderKeys: dkimHeaders(),
	})
	if err != nil {
		return fmt.Errorf("mailer: dkim: %w", err)
	}
	if _, err := s.Write(dst.Bytes()); err != nil {
		_ = s.Close()
		return fmt.Errorf("mailer: dkim: %w", err)
	}
	if err := s.Close(); err != nil {
		return fmt.Errorf("mailer: dkim: %w", err)
	}
	msg := append([]byte(nil), dst.Bytes()...)
	dst.Reset()
	dst.WriteString(s.Signature())
	dst.Write(msg)
	return nil
}

// crlfLines copies b to dst ending every line in CR LF, as writeBody sends it.
func crlfLines(dst *bytes.Buffer, b []byte) {
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		dst.Write(bytes.TrimSuffix(line, []byte{'\r'}))
		dst.WriteString("\r\n")
	}
}

// Signed builds m as it would go on the wire, DKIM signature first when
// signing is configured, without sending it: the compliance receipt checks
// that signature with an independent verifier.
func (p *Pool) Signed(m *Message) ([]byte, error) {
	msg, err := p.build(m, false)
	if err != nil {
		return nil, err
	}
	var raw, out bytes.Buffer
	if _, err := msg.WriteTo(&raw); err != nil {
		return nil, fmt.Errorf("mailer: build: %w", err)
	}
	if p.dkimKey == nil {
		crlfLines(&out, raw.Bytes())
		return out.Bytes(), nil
	}
	if err := p.signDKIM(&out, raw.Bytes()); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// DKIMSigning reports the signing domain and selector; ok is false when
// mail is not signed.
func (p *Pool) DKIMSigning() (domain, selector string, ok bool) {
	if p.dkimKey == nil {
		return "", "", false
	}
	return p.cfg.DKIM.Domain, p.cfg.DKIM.Selector, true
}
