package mailer

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// conn is one pool slot. Only the goroutine holding it (taken from free)
// touches its fields, so it needs no lock.
type conn struct {
	id     int
	client *gomail.Client  // settings: TLS, AUTH, timeouts; dials with ConnectTimeout
	sc     *smtp.Client    // the live SMTP conversation; nil until dialled or after a failure
	raw    net.Conn        // under sc, closed to abort a send when ctx ends
	buffer *coalescingConn // above raw: writes wait here until a reply is awaited
	sent   int
	// lastUsed is when the connection last finished a message, for IdleTimeout.
	lastUsed time.Time
	// eightBit: the server announced 8BITMIME on this connection.
	eightBit bool
	// pipelining: the server announced PIPELINING (RFC 2920).
	pipelining bool
	body       bytes.Buffer // the encoded message, reused from one send to the next
	signed     bytes.Buffer // body behind its DKIM-Signature, when signing
}

// newClient makes the go-mail client of one connection; it only dials and
// greets (sendDirect sends), so timeout bounds the handshake.
func (p *Pool) newClient(c *conn, timeout time.Duration) (*gomail.Client, error) {
	opts := []gomail.Option{
		gomail.WithPort(p.cfg.Port),
		gomail.WithTimeout(timeout),
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
		// Coalesce writes until the next read: a message body leaves in
		// one or two segments instead of one per 4 KB buffer flush.
		buffered := &coalescingConn{Conn: raw}
		c.buffer = buffered
		if p.cfg.TLS != TLSImplicit {
			return buffered, nil
		}
		tc := tls.Client(buffered, p.tlsConf)
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
	c.eightBit, _ = sc.Extension("8BITMIME")
	c.pipelining, _ = sc.Extension("PIPELINING")
	p.log.Debug("smtp connection opened", "conn", c.id, "host", p.cfg.Host)
	return nil
}

// drop closes c's connection without QUIT: after a failure the peer may be gone.
func (p *Pool) drop(c *conn) {
	if c.sc != nil {
		_ = c.sc.Close()
		p.log.Debug("smtp connection closed", "conn", c.id, "messages", c.sent)
	} else if c.raw != nil {
		_ = c.raw.Close()
	}
	c.sc, c.raw, c.buffer = nil, nil, nil
}

// coalescingConn buffers writes and sends them when the peer's answer is
// awaited (the next Read) or the buffer is full. SMTP without pipelining
// always reads a reply after a command or a message, so nothing waits in the
// buffer while we wait for the peer.
type coalescingConn struct {
	net.Conn
	buf []byte
}

const coalesceLimit = 64 << 10

func (c *coalescingConn) Write(b []byte) (int, error) {
	if len(c.buf)+len(b) > coalesceLimit {
		if err := c.flush(); err != nil {
			return 0, err
		}
		if len(b) > coalesceLimit {
			return c.Conn.Write(b)
		}
	}
	c.buf = append(c.buf, b...)
	return len(b), nil
}

func (c *coalescingConn) Read(b []byte) (int, error) {
	if err := c.flush(); err != nil {
		return 0, err
	}
	return c.Conn.Read(b)
}

func (c *coalescingConn) Close() error {
	_ = c.flush()
	return c.Conn.Close()
}

func (c *coalescingConn) flush() error {
	if len(c.buf) == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.buf)
	c.buf = c.buf[:0]
	return err
}
