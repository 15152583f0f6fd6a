// Package smtptest runs a real SMTP server over TCP for tests and local
// benchmarks. It records every accepted message and can inject the failures a
// mailer must survive: 4xx and 5xx replies, dropped connections and a server
// that goes away for a while and comes back on the same address.
package smtptest

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/emersion/go-smtp"
)

// Option configures a Server.
type Option func(*options)

type options struct {
	user, pass  string
	seed        uint64
	startTLS    *tls.Config
	implicitTLS *tls.Config
	noRecord    bool
}

// WithAuth requires AUTH PLAIN with this user and password before MAIL.
func WithAuth(user, password string) Option {
	return func(o *options) { o.user, o.pass = user, password }
}

// WithSeed seeds the generator behind Fault.Fraction so a flaky-looking run
// can be replayed exactly.
func WithSeed(seed uint64) Option { return func(o *options) { o.seed = seed } }

// WithSTARTTLS offers STARTTLS with this certificate configuration.
func WithSTARTTLS(cfg *tls.Config) Option { return func(o *options) { o.startTLS = cfg } }

// WithImplicitTLS makes the listener speak TLS from the first byte (port 465 style).
func WithImplicitTLS(cfg *tls.Config) Option { return func(o *options) { o.implicitTLS = cfg } }

// WithoutRecording keeps only the message count, so a long benchmark does not
// hold every message in memory or spend server time parsing headers.
func WithoutRecording() Option { return func(o *options) { o.noRecord = true } }

// Server is an SMTP server on a loopback address. All methods are safe for
// concurrent use.
type Server struct {
	addr string
	opts options

	mu      sync.Mutex
	gen     *generation // nil while stopped
	msgs    []Message
	count   int
	changed chan struct{} // closed and replaced on every new message
	faults  []*faultState
	rng     *rand.Rand

	conns atomic.Int64
}

// Start runs a server on 127.0.0.1 with a free port and closes it when the
// test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := New("127.0.0.1:0", opts...)
	if err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// New listens on addr and serves until Close. It is the constructor for
// callers outside tests, such as a local benchmark sink.
func New(addr string, opts ...Option) (*Server, error) {
	s := &Server{changed: make(chan struct{})}
	for _, o := range opts {
		o(&s.opts)
	}
	s.rng = rand.New(rand.NewPCG(s.opts.seed, s.opts.seed^0x9e3779b97f4a7c15))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("smtptest: listen %s: %w", addr, err)
	}
	// Keep the concrete port so Restart comes back where clients expect it.
	s.addr = ln.Addr().String()
	s.serve(ln)
	return s, nil
}

// Addr is host:port.
func (s *Server) Addr() string { return s.addr }

// Host is the listening IP as text.
func (s *Server) Host() string {
	h, _, _ := net.SplitHostPort(s.addr)
	return h
}

// Port is the listening TCP port.
func (s *Server) Port() int {
	_, p, _ := net.SplitHostPort(s.addr)
	n, _ := strconv.Atoi(p)
	return n
}

func (s *Server) serve(ln net.Listener) {
	g := &generation{conns: make(map[*trackedConn]struct{})}
	// Track raw TCP connections below TLS so Stop can cut every one of them.
	var l net.Listener = &trackingListener{Listener: ln, s: s, g: g}
	if s.opts.implicitTLS != nil {
		l = tls.NewListener(l, s.opts.implicitTLS)
	}
	srv := smtp.NewServer(&backend{s: s})
	srv.Domain = "localhost"
	srv.TLSConfig = s.opts.startTLS
	// Loopback only: plain-text AUTH is acceptable here and lets tests cover
	// authentication without certificates.
	srv.AllowInsecureAuth = true
	// Dropped connections make go-smtp complain; that noise is expected.
	srv.ErrorLog = log.New(io.Discard, "", 0)
	g.srv = srv
	s.mu.Lock()
	s.gen = g
	s.mu.Unlock()
	go func() { _ = srv.Serve(l) }()
}

// Stop closes the listener and every open connection at once, like a crashed
// or restarting server. Clients then see refused connections until Restart.
func (s *Server) Stop() {
	s.mu.Lock()
	g := s.gen
	s.gen = nil
	s.mu.Unlock()
	if g != nil {
		g.stop()
	}
}

// Restart listens again on the same address after Stop. Recorded messages,
// faults and counters are kept.
func (s *Server) Restart() error {
	s.mu.Lock()
	running := s.gen != nil
	s.mu.Unlock()
	if running {
		return errors.New("smtptest: restart: server is running")
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("smtptest: restart on %s: %w", s.addr, err)
	}
	s.serve(ln)
	return nil
}

// Close stops the server for good; it is safe to call more than once.
func (s *Server) Close() { s.Stop() }

// Connections counts TCP connections accepted since start, including ones
// dropped on connect. Tests use it to prove connection reuse.
func (s *Server) Connections() int { return int(s.conns.Load()) }

// generation is one run of the server between Start or Restart and Stop.
type generation struct {
	srv     *smtp.Server
	mu      sync.Mutex
	stopped bool
	conns   map[*trackedConn]struct{}
}

// stop closes the server, then every connection it still tracks. go-smtp
// alone can miss a connection accepted just before its Close, which would
// survive a "crash".
func (g *generation) stop() {
	g.mu.Lock()
	g.stopped = true
	conns := g.conns
	g.conns = nil
	g.mu.Unlock()
	_ = g.srv.Close()
	for c := range conns {
		_ = c.Conn.Close()
	}
}

// trackingListener counts accepted connections, applies connect-time faults
// and registers each connection with its generation.
type trackingListener struct {
	net.Listener
	s *Server
	g *generation
}

func (l *trackingListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		l.s.conns.Add(1)
		if f, ok := l.s.fault(OnConnect, nil); ok {
			if f.Do != nil {
				f.Do() // blocking here stalls every new connection, like a saturated server
			}
			if f.Drop {
				_ = c.Close()
				continue
			}
		}
		tc := &trackedConn{Conn: c, g: l.g}
		l.g.mu.Lock()
		stopped := l.g.stopped
		if !stopped {
			l.g.conns[tc] = struct{}{}
		}
		l.g.mu.Unlock()
		if stopped {
			_ = c.Close()
			return nil, net.ErrClosed
		}
		return tc, nil
	}
}

// trackedConn leaves its generation's set when closed.
type trackedConn struct {
	net.Conn
	g *generation
}

func (c *trackedConn) Close() error {
	c.g.mu.Lock()
	delete(c.g.conns, c)
	c.g.mu.Unlock()
	return c.Conn.Close()
}
