package mailer

import (
	"errors"
	"testing"
	"time"

	"github.com/enews/enews/internal/smtptest"
)

// Any failure on a reused connection before the final "." is retried once
// on a fresh connection: the server cannot have taken the message, and a
// connection that sat in the pool may have gone stale in any of these ways.
// On a fresh connection the same failure is the message's own.
func TestFailureBeforeTheFinalDotIsRetriedOnAFreshConnection(t *testing.T) {
	tests := []struct {
		name  string
		fault smtptest.Fault
	}{
		{"421 at MAIL", smtptest.Fault{Stage: smtptest.OnMail, Code: 421, Enhanced: "4.4.2", Message: "idle too long"}},
		{"421 at RCPT", smtptest.Fault{Stage: smtptest.OnRcpt, Code: 421, Enhanced: "4.4.2", Message: "closing"}},
		{"EOF at MAIL", smtptest.Disconnect(smtptest.OnMail)},
		{"EOF at RCPT", smtptest.Disconnect(smtptest.OnRcpt)},
		{"503 at RCPT", smtptest.Fault{Stage: smtptest.OnRcpt, Code: 503, Enhanced: "5.5.1", Message: "bad sequence"}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" on a reused connection", func(t *testing.T) {
			s := smtptest.Start(t)
			cfg := testConfig(s)
			cfg.Connections = 1
			p := newPool(t, cfg)
			if err := p.Send(ctxT(t), sample("a@example.net")); err != nil {
				t.Fatal(err)
			}
			f := tt.fault
			f.Times = 1
			s.SetFaults(f)
			if err := p.Send(ctxT(t), sample("b@example.net")); err != nil {
				t.Fatalf("err = %v, want a transparent retry", err)
			}
			if s.Count() != 2 || s.Connections() != 2 {
				t.Errorf("accepted %d over %d connections, want 2 over 2", s.Count(), s.Connections())
			}
		})
		t.Run(tt.name+" on a fresh connection", func(t *testing.T) {
			s := smtptest.Start(t)
			cfg := testConfig(s)
			cfg.Connections = 1
			p := newPool(t, cfg)
			f := tt.fault
			f.Times = 1
			s.SetFaults(f)
			err := p.Send(ctxT(t), sample("b@example.net"))
			var se *SendError
			if !errors.As(err, &se) || se.InDoubt() {
				t.Fatalf("err = %v, want the failure reported, not in doubt", err)
			}
			if s.Count() != 0 {
				t.Errorf("accepted %d, want 0", s.Count())
			}
		})
	}
}

// After the final "." a missing reply leaves the message in doubt: the
// server may have delivered it, so it is never retried here.
func TestNoReplyToTheFinalDotIsInDoubt(t *testing.T) {
	tests := []struct {
		name  string
		setup func(cfg *Config, s *smtptest.Server, release <-chan struct{})
	}{
		{"dropped", func(_ *Config, s *smtptest.Server, _ <-chan struct{}) {
			s.SetFaults(smtptest.Fault{Stage: smtptest.OnData, Times: 1, Drop: true})
		}},
		{"final timeout", func(cfg *Config, s *smtptest.Server, release <-chan struct{}) {
			cfg.FinalTimeout = 200 * time.Millisecond
			s.SetFaults(smtptest.Fault{Stage: smtptest.OnData, Times: 1, Do: func() { <-release }})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := smtptest.Start(t)
			cfg := testConfig(s)
			cfg.Connections = 1
			release := make(chan struct{})
			t.Cleanup(func() { close(release) })
			tt.setup(&cfg, s, release)
			p := newPool(t, cfg)
			err := p.Send(ctxT(t), sample("a@example.net"))
			var se *SendError
			if !errors.As(err, &se) || !se.InDoubt() || !se.Temporary {
				t.Fatalf("err = %v, want in doubt", err)
			}
			if s.Connections() != 1 {
				t.Errorf("connections = %d, want 1: no second try", s.Connections())
			}
			if err := p.Send(ctxT(t), sample("b@example.net")); err != nil {
				t.Fatalf("next send: %v", err)
			}
		})
	}
}

// A 421 or 4xx reply to the final "." is an answer: the message was not
// taken, and it is not in doubt.
func TestReplyToTheFinalDotIsNotInDoubt(t *testing.T) {
	s := smtptest.Start(t)
	cfg := testConfig(s)
	cfg.Connections = 1
	p := newPool(t, cfg)
	s.SetFaults(smtptest.Fault{Stage: smtptest.OnData, Times: 1, Code: 421, Enhanced: "4.4.2", Message: "closing"})
	err := p.Send(ctxT(t), sample("a@example.net"))
	var se *SendError
	if !errors.As(err, &se) || se.InDoubt() || se.Code != 421 {
		t.Fatalf("err = %v, want a 421 that is not in doubt", err)
	}
}

// A connection idle longer than IdleTimeout is closed and replaced before
// it is used: the relay may have dropped it without a word.
func TestIdleConnectionIsReplaced(t *testing.T) {
	s := smtptest.Start(t)
	cfg := testConfig(s)
	cfg.Connections = 1
	cfg.IdleTimeout = 50 * time.Millisecond
	p := newPool(t, cfg)
	if err := p.Send(ctxT(t), sample("a@example.net")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if err := p.Send(ctxT(t), sample("b@example.net")); err != nil {
		t.Fatal(err)
	}
	if s.Count() != 2 || s.Connections() != 2 {
		t.Errorf("accepted %d over %d connections, want 2 over 2", s.Count(), s.Connections())
	}
}
