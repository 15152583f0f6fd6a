package mailer

import (
	"context"
	"crypto"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/mail"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
	"golang.org/x/time/rate"
)

// Pool holds Config.Connections SMTP connections, each dialled on first use
// and then reused for message after message. Send is safe for concurrent use;
// a caller blocks until a connection is free.
type Pool struct {
	cfg     Config
	log     *slog.Logger
	tlsConf *tls.Config
	from    *mail.Address
	replyTo *mail.Address
	dkimKey crypto.Signer
	limiter *rate.Limiter // nil: unlimited

	free      chan *conn // idle connections; holding one is the right to use it
	done      chan struct{}
	closeOnce sync.Once
}

// NewPool checks cfg and prepares the connections. It does not dial: the
// first Send on each connection does, so starting while the relay is down is
// not an error.
func NewPool(cfg Config, log *slog.Logger, opts ...Option) (*Pool, error) {
	cfg, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Pool{cfg: cfg, log: log, done: make(chan struct{})}
	p.from, _ = mail.ParseAddress(cfg.From)
	if cfg.ReplyTo != "" {
		p.replyTo, _ = mail.ParseAddress(cfg.ReplyTo)
	}
	for _, o := range opts {
		o(p)
	}
	if p.tlsConf == nil {
		p.tlsConf = &tls.Config{}
	}
	if p.tlsConf.ServerName == "" {
		p.tlsConf.ServerName = cfg.Host
	}
	if p.tlsConf.MinVersion == 0 {
		p.tlsConf.MinVersion = tls.VersionTLS12
	}
	if cfg.DKIM != nil {
		if p.dkimKey, err = loadDKIMKey(cfg.DKIM); err != nil {
			return nil, err
		}
	}
	if cfg.RatePerSecond > 0 {
		// Burst 1 spaces messages evenly; a relay's per-second limit is
		// never exceeded even briefly.
		p.limiter = rate.NewLimiter(rate.Limit(cfg.RatePerSecond), 1)
	}
	p.free = make(chan *conn, cfg.Connections)
	for i := range cfg.Connections {
		c := &conn{id: i + 1}
		if c.client, err = p.newClient(c, cfg.ConnectTimeout); err != nil {
			return nil, fmt.Errorf("mailer: new client: %w", err)
		}
		p.free <- c
	}
	return p, nil
}

// Send delivers one message. Every error is a *SendError; Temporary ones are
// worth retrying later. It waits for the rate limiter and a free connection,
// both bounded by ctx; ctx ending mid-message aborts that connection.
func (p *Pool) Send(ctx context.Context, m *Message) error {
	if p.limiter != nil {
		if err := p.limiter.Wait(ctx); err != nil {
			return &SendError{Temporary: true, Stage: StageWait, Err: fmt.Errorf("mailer: rate limit: %w", err)}
		}
	}
	c, err := p.acquire(ctx)
	if err != nil {
		return &SendError{Temporary: true, Stage: StageWait, Err: err}
	}
	defer func() { p.free <- c }()
	// The connection decides the body encoding: 8bit only where the server
	// said 8BITMIME (go-mail refuses 8bit otherwise, permanently).
	msg, err := p.build(m, c.sc != nil && c.eightBit)
	if err != nil {
		return &SendError{Stage: StageBuild, Err: err}
	}
	return p.deliver(ctx, c, msg, m.BeforeCommit)
}

// Connections is the pool's size, the most messages on their way at once.
func (p *Pool) Connections() int { return p.cfg.Connections }

func (p *Pool) acquire(ctx context.Context) (*conn, error) {
	// select picks at random among ready cases: check first so an ended ctx
	// never takes a connection.
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("mailer: wait for a connection: %w", err)
	}
	select {
	case <-p.done:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, fmt.Errorf("mailer: wait for a connection: %w", ctx.Err())
	case c := <-p.free:
		select {
		case <-p.done:
			// Close won the race; hand the slot to it.
			p.free <- c
			return nil, ErrClosed
		default:
			return c, nil
		}
	}
}

// deliver sends msg on c, dialling first when c has no live SMTP connection
// or has sat idle past IdleTimeout. It returns nil or a *SendError as an
// error interface.
func (p *Pool) deliver(ctx context.Context, c *conn, msg *gomail.Msg, gate func() error) error {
	if c.sc != nil && time.Since(c.lastUsed) > p.cfg.IdleTimeout {
		p.quit(ctx, c)
	}
	fresh := false
	if c.sc == nil || !c.sc.HasConnection() {
		if err := p.dial(ctx, c); err != nil {
			return err
		}
		fresh = true
	}
	se := p.transact(ctx, c, msg, gate)
	if se != nil && !fresh && !se.committed && se.Stage != StageGate && ctx.Err() == nil {
		// A reused connection may have gone stale (idle timeout, relay
		// restart) and fail at any command: 421 or EOF at MAIL, EOF at RCPT
		// under PIPELINING, a confused reply. The final "." was not sent,
		// so the server cannot have taken the message, and one more try on
		// a fresh connection cannot duplicate it.
		p.log.Debug("retrying on a fresh connection", "conn", c.id, "stage", se.Stage, "reply", se.Reply)
		if err := p.dial(ctx, c); err != nil {
			return err
		}
		se = p.transact(ctx, c, msg, gate)
	}
	c.lastUsed = time.Now()
	if se != nil {
		return se
	}
	c.sent++
	return nil
}

// transact runs one MAIL/RCPT/DATA exchange and leaves c either clean for the
// next message or dropped.
func (p *Pool) transact(ctx context.Context, c *conn, msg *gomail.Msg, gate func() error) *SendError {
	raw := c.raw
	stop := context.AfterFunc(ctx, func() { _ = raw.Close() })
	se := p.sendDirect(c, msg, gate)
	if cut := !stop(); cut {
		p.drop(c)
	}
	if se == nil {
		return nil
	}
	if se.closesConn() {
		p.drop(c)
	} else if c.sc != nil {
		// Clear any half-open transaction (a 4xx to DATA leaves MAIL and
		// RCPT in place); a connection that cannot even RSET is not reused.
		if rerr := c.sc.Reset(); rerr != nil {
			p.drop(c)
		}
	}
	return se
}

// Close stops new sends, waits (bounded by ctx) for those in flight, and says
// QUIT on every open connection. Calling it again is harmless.
func (p *Pool) Close(ctx context.Context) error {
	p.closeOnce.Do(func() { close(p.done) })
	taken := make([]*conn, 0, cap(p.free))
	defer func() {
		// Return the slots so a second Close finds them.
		for _, c := range taken {
			p.free <- c
		}
	}()
	for range cap(p.free) {
		select {
		case c := <-p.free:
			taken = append(taken, c)
			p.quit(ctx, c)
		case <-ctx.Done():
			return fmt.Errorf("mailer: close: %d connections still busy: %w", cap(p.free)-len(taken), ctx.Err())
		}
	}
	return nil
}

// quit says goodbye politely. A failure is only logged: the connection may
// have died while idle, and it is closed either way.
func (p *Pool) quit(ctx context.Context, c *conn) {
	if c.sc == nil {
		return
	}
	raw := c.raw
	stop := context.AfterFunc(ctx, func() { _ = raw.Close() })
	defer stop()
	_ = c.sc.UpdateDeadline(p.cfg.ConnectTimeout)
	if err := c.client.CloseWithSMTPClient(c.sc); err != nil {
		p.log.Debug("smtp quit failed", "conn", c.id, "err", err)
	}
	p.drop(c)
}
