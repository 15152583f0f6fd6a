package mailer

import (
	"context"
	"crypto/tls"
	"errors"
	"testing"
	"time"

	"github.com/enews/enews/internal/smtptest"
)

func TestTLSModes(t *testing.T) {
	srvTLS, roots, err := smtptest.SelfSignedTLS()
	if err != nil {
		t.Fatal(err)
	}
	trust := WithTLSConfig(&tls.Config{RootCAs: roots})
	tests := []struct {
		name   string
		server []smtptest.Option
		mode   string
		opts   []Option
		ok     bool
		auth   bool
	}{
		{"starttls", []smtptest.Option{smtptest.WithSTARTTLS(srvTLS)}, TLSStartTLS, []Option{trust}, true, false},
		{"starttls with auth", []smtptest.Option{smtptest.WithSTARTTLS(srvTLS), smtptest.WithAuth("u", "pw")}, TLSStartTLS, []Option{trust}, true, true},
		{"implicit tls", []smtptest.Option{smtptest.WithImplicitTLS(srvTLS)}, TLSImplicit, []Option{trust}, true, false},
		{"starttls never downgrades", nil, TLSStartTLS, []Option{trust}, false, false},
		{"untrusted certificate", []smtptest.Option{smtptest.WithSTARTTLS(srvTLS)}, TLSStartTLS, nil, false, false},
		{"implicit tls against plain server", nil, TLSImplicit, []Option{trust}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := smtptest.Start(t, tt.server...)
			cfg := testConfig(s)
			cfg.TLS = tt.mode
			if tt.auth {
				cfg.Username, cfg.Password = "u", "pw"
			}
			cfg.ConnectTimeout = 2 * time.Second
			p := newPool(t, cfg, tt.opts...)
			err := p.Send(ctxT(t), sample("a@example.net"))
			if tt.ok {
				if err != nil {
					t.Fatalf("Send: %v", err)
				}
				return
			}
			var se *SendError
			if !errors.As(err, &se) || !se.Temporary || se.Stage != StageConnect || s.Count() != 0 {
				t.Fatalf("err = %v, count %d: want a temporary connect error and nothing sent", err, s.Count())
			}
		})
	}
}

func TestAuth(t *testing.T) {
	tests := []struct {
		name, password string
		code           int // 0: sent
	}{
		{"right password", "secret", 0},
		{"wrong password", "nope", 535},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := smtptest.Start(t, smtptest.WithAuth("u", "secret"))
			cfg := testConfig(s)
			cfg.Username, cfg.Password = "u", tt.password
			p := newPool(t, cfg)
			err := p.Send(ctxT(t), sample("a@example.net"))
			if tt.code == 0 {
				if err != nil || s.Messages()[0].User != "u" {
					t.Fatalf("Send: %v", err)
				}
				return
			}
			// A rejected login is our configuration, not the recipient:
			// temporary, so no subscriber is failed for it.
			var se *SendError
			if !errors.As(err, &se) || !se.Temporary || se.Code != tt.code || se.Stage != StageConnect {
				t.Fatalf("err = %v, want temporary connect error %d", err, tt.code)
			}
		})
	}
}

func TestRateLimitHonoursContext(t *testing.T) {
	s := smtptest.Start(t)
	cfg := testConfig(s)
	cfg.RatePerSecond = 0.001 // one token, the next one in about 17 minutes
	p := newPool(t, cfg)
	if err := p.Send(ctxT(t), sample("a@example.net")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := p.Send(ctx, sample("b@example.net"))
	var se *SendError
	if !errors.As(err, &se) || !se.Temporary || se.Stage != StageWait {
		t.Fatalf("err = %v, want a temporary wait error", err)
	}
	if s.Count() != 1 {
		t.Errorf("accepted %d, want 1", s.Count())
	}
}
