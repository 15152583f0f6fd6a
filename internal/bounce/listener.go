package bounce

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/emersion/go-smtp"
)

// Listener is the inbound SMTP server of the bounce domain: it takes mail
// for the VERP bounce addresses, the bare bounce address and the mailto
// unsubscribe addresses, and refuses everything else.
type Listener struct {
	srv   *smtp.Server
	svc   *Service
	addrs *Addresses
	log   *slog.Logger
}

// ListenerConfig tunes the listener.
type ListenerConfig struct {
	MaxMessageBytes int64
	MaxRecipients   int           // per message; 0 means 10
	Timeout         time.Duration // per command; 0 means one minute
}

// NewListener builds the listener.
func NewListener(svc *Service, addrs *Addresses, cfg ListenerConfig, log *slog.Logger) *Listener {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &Listener{svc: svc, addrs: addrs, log: log}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{l: l, remote: c.Conn().RemoteAddr().String()}, nil
	}))
	srv.Domain = addrs.Domain()
	srv.MaxMessageBytes = cfg.MaxMessageBytes
	srv.MaxRecipients = cfg.MaxRecipients
	if srv.MaxRecipients == 0 {
		srv.MaxRecipients = 10
	}
	srv.ReadTimeout, srv.WriteTimeout = cfg.Timeout, cfg.Timeout
	if cfg.Timeout == 0 {
		srv.ReadTimeout, srv.WriteTimeout = time.Minute, time.Minute
	}
	srv.ErrorLog = slogAdapter{log}
	l.srv = srv
	return l
}

// Serve accepts connections on ln until ctx ends, then lets sessions in
// progress finish (bounded by a short grace period).
func (l *Listener) Serve(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := l.srv.Shutdown(sctx); err != nil {
			_ = l.srv.Close()
		}
	})
	defer stop()
	err := l.srv.Serve(ln)
	if err != nil && !errors.Is(err, smtp.ErrServerClosed) {
		return fmt.Errorf("bounce listener: %w", err)
	}
	return nil
}

type session struct {
	l      *Listener
	remote string
	rcpts  []Recipient
}

func (s *session) Reset()        { s.rcpts = nil }
func (s *session) Logout() error { return nil }

// Mail accepts any sender: bounces come from the null sender <>.
func (s *session) Mail(string, *smtp.MailOptions) error { return nil }

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	r, err := s.l.addrs.Parse(to)
	switch {
	case errors.Is(err, ErrForged):
		s.l.log.Warn("bounce listener: forged token", "remote", s.remote)
		return smtpErr(550, 5, 7, 1, "address token does not verify")
	case err != nil:
		return smtpErr(550, 5, 1, 1, "no such mailbox here")
	}
	s.rcpts = append(s.rcpts, r)
	return nil
}

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err // go-smtp's own 552 for an oversized message
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, rc := range s.rcpts {
		if err := s.handle(ctx, rc, raw); err != nil {
			return err
		}
	}
	return nil
}

// handle acts on one recipient. Errors become SMTP replies: 550 for a
// message that will never be acceptable, 451 for our own trouble (the
// sender retries later).
func (s *session) handle(ctx context.Context, rc Recipient, raw []byte) error {
	log := s.l.log.With("remote", s.remote, "kind", rc.Kind)
	if rc.Kind == AddressUnsubscribe {
		if _, err := s.l.svc.Unsubscribe(ctx, rc); err != nil {
			return s.replyFor(log, err)
		}
		return nil
	}
	rep, err := Parse(raw)
	if err != nil {
		log.Info("bounce listener: refused", "err", err)
		return smtpErr(550, 5, 6, 0, "no bounce or complaint report found in this message")
	}
	_, err = s.l.svc.Handle(ctx, Event{Report: rep, Channel: ChannelSMTP, Delivery: rc, Raw: storable(raw)})
	if err != nil {
		return s.replyFor(log, err)
	}
	return nil
}

func (s *session) replyFor(log *slog.Logger, err error) error {
	if errors.Is(err, ErrUnattributed) {
		log.Info("bounce listener: refused", "err", err)
		return smtpErr(550, 5, 1, 0, "report names no subscriber of this list")
	}
	log.Error("bounce listener: handle report", "err", err)
	return smtpErr(451, 4, 3, 0, "temporary failure, try again later")
}

// storable makes raw fit a text column: valid UTF-8 without NUL bytes.
func storable(raw []byte) string {
	return string(bytes.ReplaceAll(bytes.ToValidUTF8(raw, []byte("?")), []byte{0}, []byte("?")))
}

func smtpErr(code, a, b, c int, msg string) *smtp.SMTPError {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{a, b, c}, Message: msg}
}

// slogAdapter gives go-smtp's connection errors to slog.
type slogAdapter struct{ log *slog.Logger }

func (a slogAdapter) Printf(format string, v ...any) { a.log.Debug(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Println(v ...any)               { a.log.Debug(fmt.Sprint(v...)) }
