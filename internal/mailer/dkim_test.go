package mailer

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/smtptest"
)

// dkimKey returns a PEM private key and the matching DNS TXT record.
func dkimKey(t testing.TB, kind string) (pemBytes []byte, txt string) {
	t.Helper()
	switch kind {
	case "rsa":
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		pub, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
		return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}),
			"v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(pub)
	default:
		pub, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		der, _ := x509.MarshalPKCS8PrivateKey(k)
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
			"v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)
	}
}

func verify(t *testing.T, raw []byte, txt string) *dkim.Verification {
	t.Helper()
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{
		LookupTXT: func(domain string) ([]string, error) {
			if domain != "may2022._domainkey.example.org" {
				return nil, errors.New("unexpected lookup " + domain)
			}
			return []string{txt}, nil
		},
	})
	if err != nil || len(vs) != 1 {
		t.Fatalf("verify: %v (%d signatures)", err, len(vs))
	}
	return vs[0]
}

// dkimKeyFile writes a new key of kind to a file, as dkim.key_file names
// one, and returns its path and DNS record.
func dkimKeyFile(t testing.TB, kind string) (file, txt string) {
	t.Helper()
	key, txt := dkimKey(t, kind)
	file = filepath.Join(t.TempDir(), "dkim.pem")
	if err := os.WriteFile(file, key, 0o600); err != nil {
		t.Fatal(err)
	}
	return file, txt
}

func TestDKIMSignatureVerifies(t *testing.T) {
	for _, kind := range []string{"rsa", "ed25519"} {
		t.Run(kind, func(t *testing.T) {
			file, txt := dkimKeyFile(t, kind)
			s := smtptest.Start(t)
			cfg := testConfig(s)
			cfg.DKIM = &DKIMConfig{Domain: "example.org", Selector: "may2022", KeyFile: file}
			p := newPool(t, cfg)
			gated := 0
			for _, to := range []string{"a@example.net", "b@example.net"} {
				m := sample(to)
				// Bare LF line ends and a line starting with a dot: the
				// signature must cover what goes on the wire.
				m.Text = []byte("Hello,\n.the news of May.\nBye\n")
				m.BeforeCommit = func() error { gated++; return nil }
				if err := p.Send(ctxT(t), m); err != nil {
					t.Fatalf("Send: %v", err)
				}
			}
			if gated != 2 {
				t.Errorf("BeforeCommit ran %d times for 2 signed messages, want 2 (the fast path)", gated)
			}
			for _, m := range s.Messages() {
				v := verify(t, m.Data, txt)
				if v.Err != nil || v.Domain != "example.org" {
					t.Fatalf("signature: %v (domain %q)", v.Err, v.Domain)
				}
				for _, h := range []string{"from", "to", "subject", "date", "message-id", "list-id", "list-unsubscribe",
					"list-unsubscribe-post", "mime-version", "content-type"} {
					if !slices.ContainsFunc(v.HeaderKeys, func(k string) bool { return strings.EqualFold(k, h) }) {
						t.Errorf("%s is not signed (h=%v)", h, v.HeaderKeys)
					}
				}
			}
			// Pointing the unsubscribe link elsewhere must break the signature.
			raw := s.Messages()[0].Data
			tampered := bytes.Replace(raw, []byte("https://news.example.org/u/abc123"), []byte("https://evil.example.com/u/abc123"), 1)
			if v := verify(t, tampered, txt); v.Err == nil {
				t.Error("a changed List-Unsubscribe still verifies")
			}
		})
	}
}

func TestDKIMConfigErrors(t *testing.T) {
	key, _ := dkimKeyFile(t, "ed25519")
	write := func(name string, b []byte) string {
		file := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(file, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return file
	}
	tests := []struct {
		name string
		cfg  DKIMConfig
	}{
		{"no domain", DKIMConfig{Selector: "s", KeyFile: key}},
		{"no selector", DKIMConfig{Domain: "example.org", KeyFile: key}},
		{"no key", DKIMConfig{Domain: "example.org", Selector: "s"}},
		{"garbage key", DKIMConfig{Domain: "example.org", Selector: "s", KeyFile: write("garbage.pem", []byte("not pem"))}},
		{"missing file", DKIMConfig{Domain: "example.org", Selector: "s", KeyFile: filepath.Join(t.TempDir(), "none.pem")}},
		{"unsupported key", DKIMConfig{Domain: "example.org", Selector: "s", KeyFile: write("ecdsa.pem", ecdsaPEM(t))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Host: "localhost", TLS: TLSNone, From: "a@example.org", DKIM: &tt.cfg}
			if _, err := NewPool(cfg, nil); err == nil {
				t.Fatal("NewPool accepted a bad DKIM setting")
			}
		})
	}
	ok := Config{Host: "localhost", TLS: TLSNone, From: "a@example.org",
		DKIM: &DKIMConfig{Domain: "example.org", Selector: "s", KeyFile: key}}
	if _, err := NewPool(ok, nil); err != nil {
		t.Fatalf("a good key file: %v", err)
	}
}

func ecdsaPEM(t *testing.T) []byte {
	t.Helper()
	srv, _, err := smtptest.SelfSignedTLS() // carries an ECDSA key, which DKIM does not allow
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(srv.Certificates[0].PrivateKey.(crypto.Signer))
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func TestConfigErrors(t *testing.T) {
	base := Config{Host: "smtp.example.org", TLS: TLSStartTLS, From: "a@example.org"}
	tests := []struct {
		name   string
		change func(*Config)
		key    string
	}{
		{"no host", func(c *Config) { c.Host = "" }, "smtp.host"},
		{"bad tls", func(c *Config) { c.TLS = "ssl" }, "smtp.tls"},
		{"no tls mode", func(c *Config) { c.TLS = "" }, "smtp.tls"},
		{"bad port", func(c *Config) { c.Port = 70000 }, "smtp.port"},
		{"bad from", func(c *Config) { c.From = "nobody" }, "smtp.from"},
		{"bad reply-to", func(c *Config) { c.ReplyTo = "x" }, "smtp.reply_to"},
		{"negative rate", func(c *Config) { c.RatePerSecond = -1 }, "rate_per_second"},
		{"password without user", func(c *Config) { c.Password = "x" }, "smtp.username"},
		{"helo with newline", func(c *Config) { c.HeloName = "a\r\nMAIL FROM:<x>" }, "smtp.helo_name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			tt.change(&cfg)
			_, err := NewPool(cfg, nil)
			if !errors.Is(err, newsletter.ErrInvalid) || !strings.Contains(err.Error(), tt.key) {
				t.Fatalf("err = %v, want ErrInvalid naming %s", err, tt.key)
			}
		})
	}
	c, err := base.normalize()
	if err != nil || c.Port != 587 || c.Connections != 1 || c.ConnectTimeout != DefaultConnectTimeout || c.FinalTimeout != DefaultFinalTimeout {
		t.Errorf("defaults: %+v, %v", c, err)
	}
}
