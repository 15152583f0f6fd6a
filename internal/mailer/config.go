// Package mailer sends email over a small pool of long-lived SMTP connections
// (go-mail clients), under a rate limit, with RFC 8058 list headers and
// optional DKIM, and reports failures as temporary or permanent so delivery
// knows whether to retry.
package mailer

import (
	"crypto/tls"
	"fmt"
	"net/mail"
	"time"

	"github.com/enews/enews/internal/newsletter"
)

// TLS modes for Config.TLS.
const (
	TLSNone     = "none"     // plain SMTP: only for a local sink or a trusted relay
	TLSStartTLS = "starttls" // upgrade required; never falls back to plain text
	TLSImplicit = "tls"      // TLS from the first byte, usually port 465
)

// Config is what the config package fills from the smtp section.
type Config struct {
	Host               string
	Port               int    // 0: 25, 587 or 465 by TLS mode
	TLS                string // none|starttls|tls; "" means starttls
	Username, Password string // AUTH only when Username is set
	From, ReplyTo      string // "Name <addr>" or "addr"
	ConnectTimeout     time.Duration
	SendTimeout        time.Duration // one message, MAIL FROM to the final reply
	Connections        int           // pool size; 0 means 1
	RatePerSecond      float64       // messages per second over the whole pool; 0 = unlimited
	HeloName           string        // "" means the machine's host name
	DKIM               *DKIMConfig   // nil: no signing
}

// DKIMConfig selects the signing key: RSA or Ed25519 in PEM (PKCS#1 or
// PKCS#8), read from KeyFile.
type DKIMConfig struct {
	Domain   string
	Selector string
	KeyFile  string
}

// Option adjusts a Pool beyond Config.
type Option func(*Pool)

// WithTLSConfig replaces the TLS settings, for a private CA or a test
// certificate. ServerName defaults to Config.Host.
func WithTLSConfig(c *tls.Config) Option { return func(p *Pool) { p.tlsConf = c.Clone() } }

// normalize checks cfg and fills defaults, naming the bad key on error.
func (cfg Config) normalize() (Config, error) {
	bad := func(key, why string) (Config, error) {
		return Config{}, fmt.Errorf("%w: smtp.%s: %s", newsletter.ErrInvalid, key, why)
	}
	if cfg.Host == "" {
		return bad("host", "required")
	}
	if cfg.TLS == "" {
		cfg.TLS = TLSStartTLS
	}
	switch cfg.TLS {
	case TLSNone:
		cfg.Port = defaultInt(cfg.Port, 25)
	case TLSStartTLS:
		cfg.Port = defaultInt(cfg.Port, 587)
	case TLSImplicit:
		cfg.Port = defaultInt(cfg.Port, 465)
	default:
		return bad("tls", fmt.Sprintf("%q: want none, starttls or tls", cfg.TLS))
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return bad("port", fmt.Sprintf("%d out of range", cfg.Port))
	}
	if _, err := mail.ParseAddress(cfg.From); err != nil {
		return bad("from", err.Error())
	}
	if cfg.ReplyTo != "" {
		if _, err := mail.ParseAddress(cfg.ReplyTo); err != nil {
			return bad("reply_to", err.Error())
		}
	}
	if cfg.Connections < 0 || cfg.RatePerSecond < 0 || cfg.ConnectTimeout < 0 || cfg.SendTimeout < 0 {
		return bad("connections/rate_per_second/timeouts", "must not be negative")
	}
	cfg.Connections = defaultInt(cfg.Connections, 1)
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 15 * time.Second
	}
	if cfg.SendTimeout == 0 {
		cfg.SendTimeout = time.Minute
	}
	if cfg.Username == "" && cfg.Password != "" {
		return bad("username", "required when a password is set")
	}
	if hasCRLF(cfg.HeloName) {
		return bad("helo_name", "must be one line")
	}
	return cfg, nil
}

func defaultInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}
