package smtptest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"slices"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one message the server accepted.
type Message struct {
	From   string      // envelope sender
	To     []string    // envelope recipients
	Data   []byte      // raw message as received, CRLF line ends
	Header mail.Header // parsed top-level header; nil if it did not parse
	Remote string      // client address: one value per TCP connection
	User   string      // authenticated user, if any
}

// Messages returns a copy of everything accepted so far, in arrival order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.msgs)
}

// Count is the number of accepted messages, also with WithoutRecording.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// Reset forgets the accepted messages; faults and counters stay.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs, s.count = nil, 0
}

// WaitFor blocks until at least n messages were accepted or ctx ends, so
// tests wait on an event rather than on a guess of how long it takes.
func (s *Server) WaitFor(ctx context.Context, n int) error {
	for {
		s.mu.Lock()
		count, changed := s.count, s.changed
		s.mu.Unlock()
		if count >= n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("smtptest: wait for %d messages, have %d: %w", n, count, ctx.Err())
		}
	}
}

func (s *Server) record(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count++
	if !s.opts.noRecord {
		s.msgs = append(s.msgs, m)
	}
	close(s.changed)
	s.changed = make(chan struct{})
}

type backend struct{ s *Server }

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: b.s, conn: c}, nil
}

// session holds one client's transaction state; go-smtp calls it from the
// connection's own goroutine only.
type session struct {
	s    *Server
	conn *smtp.Conn
	user string
	from string
	to   []string
}

var _ smtp.AuthSession = (*session)(nil)

func (x *session) AuthMechanisms() []string {
	if x.s.opts.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (x *session) Auth(mech string) (sasl.Server, error) {
	if x.s.opts.user == "" || mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != x.s.opts.user || pass != x.s.opts.pass {
			return smtp.ErrAuthFailed
		}
		x.user = user
		return nil
	}), nil
}

// apply runs the fault for stage, if any: it drops the connection or returns
// the reply error. nil means carry on normally.
func (x *session) apply(stage Stage, rcpts []string) error {
	f, ok := x.s.fault(stage, rcpts)
	if !ok {
		return nil
	}
	if f.Do != nil {
		f.Do()
	}
	if f.Drop {
		_ = x.conn.Conn().Close()
		// go-smtp cannot deliver this reply any more, which is the point.
		return errors.New("smtptest: connection dropped")
	}
	if f.Code == 0 {
		return nil
	}
	return f.smtpError()
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.opts.user != "" && x.user == "" {
		return smtp.ErrAuthRequired
	}
	if err := x.apply(OnMail, nil); err != nil {
		return err
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := x.apply(OnRcpt, []string{to}); err != nil {
		return err
	}
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	// Read everything first: a real server answers only after the final dot.
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := x.apply(OnData, x.to); err != nil {
		return err
	}
	m := Message{From: x.from, To: slices.Clone(x.to), Remote: x.conn.Conn().RemoteAddr().String(), User: x.user}
	if !x.s.opts.noRecord {
		m.Data = data
		if parsed, err := mail.ReadMessage(bytes.NewReader(data)); err == nil {
			m.Header = parsed.Header
		}
	}
	x.s.record(m)
	return nil
}

func (x *session) Reset() { x.from, x.to = "", nil }

func (x *session) Logout() error { return nil }
