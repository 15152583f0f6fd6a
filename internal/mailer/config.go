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

// Stage timeouts of RFC 5321 4.5.3.2 (the values postfix uses), and how
// long a pooled connection may idle. config fills the smtp.*_timeout
// settings from these and NewPool uses them for a zero: the one place the
// defaults live.
const (
	DefaultConnectTimeout = 5 * time.Minute
	DefaultCommandTimeout = 5 * time.Minute
	DefaultDataTimeout    = 3 * time.Minute
	DefaultFinalTimeout   = 10 * time.Minute
	DefaultIdleTimeout    = 30 * time.Second
)

// Config is what the config package fills from the smtp section.
type Config struct {
	Host               string
	Port               int    // 0: 25, 587 or 465 by TLS mode
	TLS                string // none, starttls or tls: required, so no default hides a plain-text connection
	Username, Password string // AUTH only when Username is set
	From, ReplyTo      string // "Name <addr>" or "addr"
	// Timeouts per stage of a transaction, as RFC 5321 4.5.3.2 asks: a slow
	// relay is waited for, never cut at one fixed limit. Zero takes
	// SendTimeout when that is set, else the RFC's value.
	ConnectTimeout time.Duration // TCP connect, greeting, EHLO, STARTTLS, AUTH: 5 min
	CommandTimeout time.Duration // reply to MAIL, RCPT and DATA: 5 min
	DataTimeout    time.Duration // writing the message body: 3 min
	FinalTimeout   time.Duration // reply to the final ".": 10 min
	SendTimeout    time.Duration // shorthand filling every stage timeout left at 0
	// IdleTimeout closes a pooled connection idle longer than this before it
	// is used again: relays drop idle clients, and a fresh connection costs
	// less than a failed first command. 0 means 30 s.
	IdleTimeout   time.Duration
	Connections   int         // pool size; 0 means 1
	RatePerSecond float64     // messages per second over the whole pool; 0 = unlimited
	HeloName      string      // "" means the machine's host name
	DKIM          *DKIMConfig // nil: no signing
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
	if cfg.Connections < 0 || cfg.RatePerSecond < 0 {
		return bad("connections/rate_per_second", "must not be negative")
	}
	for _, t := range []struct {
		key string
		v   *time.Duration
		rfc time.Duration
	}{
		{"connect_timeout", &cfg.ConnectTimeout, DefaultConnectTimeout},
		{"command_timeout", &cfg.CommandTimeout, DefaultCommandTimeout},
		{"data_timeout", &cfg.DataTimeout, DefaultDataTimeout},
		{"final_timeout", &cfg.FinalTimeout, DefaultFinalTimeout},
	} {
		switch {
		case *t.v < 0 || cfg.SendTimeout < 0:
			return bad(t.key, "must not be negative")
		case *t.v == 0 && cfg.SendTimeout > 0:
			*t.v = cfg.SendTimeout
		case *t.v == 0:
			*t.v = t.rfc
		}
	}
	if cfg.IdleTimeout < 0 {
		return bad("idle_timeout", "must not be negative")
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	cfg.Connections = defaultInt(cfg.Connections, 1)
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
