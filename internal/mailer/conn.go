package mailer

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strconv"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// conn is one pool slot. Only the goroutine holding it (taken from free)
// touches its fields, so it needs no lock.
type conn struct {
	id     int
	client *gomail.Client // settings: TLS, AUTH, DKIM, timeouts
	sc     *smtp.Client   // the live session; nil until dialled or after a failure
	raw    net.Conn       // under sc, closed to abort a send when ctx ends
	sent   int
}

func (p *Pool) newClient(c *conn) (*gomail.Client, error) {
	opts := []gomail.Option{
		gomail.WithPort(p.cfg.Port),
		// go-mail applies this deadline to every exchange, including each message.
		gomail.WithTimeout(p.cfg.SendTimeout),
		gomail.WithTLSConfig(p.tlsConf),
		// No NOOP before each message: it costs a round trip, and a stale
		// connection is caught at MAIL FROM and retried once (see deliver).
		gomail.WithoutNoop(),
		// Our own dialer keeps the raw connection, so a cancelled ctx can
		// cut a send short and a failed handshake leaks no socket.
		gomail.WithDialContextFunc(p.dialFunc(c)),
	}
	switch p.cfg.TLS {
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSImplicit:
		// The dialer speaks TLS itself; go-mail must not try STARTTLS on top.
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if p.cfg.HeloName != "" {
		opts = append(opts, gomail.WithHELO(p.cfg.HeloName))
	}
	if p.cfg.Username != "" {
		// PLAIN or LOGIN is what relays offer; go-mail refuses to send them
		// unencrypted except to localhost.
		opts = append(opts, gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthPlain, gomail.SMTPAuthLogin),
			gomail.WithUsername(p.cfg.Username), gomail.WithPassword(p.cfg.Password))
	}
	if p.dkimKey != nil {
		opts = append(opts, gomail.WithAlwaysDKIMSign(newDKIMSigner(p.cfg.DKIM, p.dkimKey)))
	}
	return gomail.NewClient(p.cfg.Host, opts...)
}

func (p *Pool) dialFunc(c *conn) gomail.DialContextFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		raw, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		c.raw = raw
		if p.cfg.TLS != TLSImplicit {
			return raw, nil
		}
		tc := tls.Client(raw, p.tlsConf)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = raw.Close()
			return nil, err
		}
		return tc, nil
	}
}

func (p *Pool) dial(ctx context.Context, c *conn) error {
	p.drop(c)
	dctx, cancel := context.WithTimeout(ctx, p.cfg.ConnectTimeout)
	defer cancel()
	sc, err := c.client.DialToSMTPClientWithContext(dctx)
	if err != nil {
		// go-mail leaves the socket open when EHLO, STARTTLS or AUTH fails.
		if c.raw != nil {
			_ = c.raw.Close()
			c.raw = nil
		}
		addr := net.JoinHostPort(p.cfg.Host, strconv.Itoa(p.cfg.Port))
		return connectError(fmt.Errorf("mailer: connect %s: %w", addr, err))
	}
	c.sc, c.sent = sc, 0
	p.log.Debug("smtp connection opened", "conn", c.id, "host", p.cfg.Host)
	return nil
}

// drop closes c's session without QUIT: after a failure the peer may be gone.
func (p *Pool) drop(c *conn) {
	if c.sc != nil {
		_ = c.sc.Close()
		p.log.Debug("smtp connection closed", "conn", c.id, "messages", c.sent)
	} else if c.raw != nil {
		_ = c.raw.Close()
	}
	c.sc, c.raw = nil, nil
}
