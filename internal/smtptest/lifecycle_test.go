package smtptest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

func TestDisconnect(t *testing.T) {
	for _, stage := range []Stage{OnMail, OnRcpt, OnData} {
		t.Run(fmt.Sprint(stage), func(t *testing.T) {
			s := Start(t)
			s.SetFaults(Disconnect(stage))
			c := client(t, s)
			err := send(c, "x@example.org")
			var se *smtp.SMTPError
			if err == nil || errors.As(err, &se) {
				t.Fatalf("err = %v, want a connection error", err)
			}
			if s.Count() != 0 {
				t.Errorf("a dropped transaction was recorded")
			}
		})
	}
}

func TestDisconnectOnConnect(t *testing.T) {
	s := Start(t)
	f := Disconnect(OnConnect)
	f.Times = 1
	s.SetFaults(f)
	if c, err := smtp.Dial(s.Addr()); err == nil {
		if err := c.Hello("localhost"); err == nil {
			t.Fatal("first connection survived a drop on connect")
		}
		_ = c.Close()
	}
	if err := send(client(t, s), "x@example.org"); err != nil {
		t.Fatalf("second connection: %v", err)
	}
	if s.Connections() != 2 {
		t.Errorf("connections = %d, want 2", s.Connections())
	}
}

func TestStopRestart(t *testing.T) {
	s := Start(t)
	addr := s.Addr()
	if err := send(client(t, s), "x@example.org"); err != nil {
		t.Fatal(err)
	}
	open := client(t, s)
	s.Stop()
	if _, err := smtp.Dial(addr); err == nil {
		t.Fatal("dial succeeded while stopped")
	}
	if err := send(open, "x@example.org"); err == nil {
		t.Fatal("an open connection survived Stop")
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if s.Addr() != addr {
		t.Fatalf("address moved from %s to %s", addr, s.Addr())
	}
	if err := send(client(t, s), "y@example.org"); err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if s.Count() != 2 {
		t.Errorf("count = %d, want 2 (kept across restart)", s.Count())
	}
	if err := s.Restart(); err == nil {
		t.Error("Restart of a running server succeeded")
	}
}

func TestAuth(t *testing.T) {
	tests := []struct {
		name string
		auth sasl.Client
		code int // 0: accepted
	}{
		{"none", nil, 502},
		{"wrong password", sasl.NewPlainClient("", "u", "nope"), 535},
		{"right", sasl.NewPlainClient("", "u", "secret"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Start(t, WithAuth("u", "secret"))
			c := client(t, s)
			err := func() error {
				if tt.auth != nil {
					if err := c.Auth(tt.auth); err != nil {
						return err
					}
				}
				return send(c, "x@example.org")
			}()
			var se *smtp.SMTPError
			switch {
			case tt.code == 0 && err != nil:
				t.Fatalf("send: %v", err)
			case tt.code != 0 && (!errors.As(err, &se) || se.Code != tt.code):
				t.Fatalf("err = %v, want %d", err, tt.code)
			}
			if tt.code == 0 && s.Messages()[0].User != "u" {
				t.Errorf("user not recorded")
			}
		})
	}
}

func TestTLS(t *testing.T) {
	srvCfg, roots, err := SelfSignedTLS()
	if err != nil {
		t.Fatal(err)
	}
	cli := &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	t.Run("starttls", func(t *testing.T) {
		s := Start(t, WithSTARTTLS(srvCfg))
		c, err := smtp.DialStartTLS(s.Addr(), cli)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := send(c, "x@example.org"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("implicit", func(t *testing.T) {
		s := Start(t, WithImplicitTLS(srvCfg))
		c, err := smtp.DialTLS(s.Addr(), cli)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := send(c, "x@example.org"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestWaitForHonoursContext(t *testing.T) {
	s := Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.WaitFor(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestWithoutRecording(t *testing.T) {
	s := Start(t, WithoutRecording())
	if err := send(client(t, s), "x@example.org"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitFor(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if len(s.Messages()) != 0 || !strings.Contains(s.Addr(), "127.0.0.1") {
		t.Errorf("messages kept: %d", len(s.Messages()))
	}
}

func TestStall(t *testing.T) {
	s := Start(t)
	reached, release := make(chan struct{}), make(chan struct{})
	s.SetFaults(Fault{Stage: OnData, Times: 1, Do: func() { close(reached); <-release }})
	c := client(t, s)
	done := make(chan error, 1)
	go func() { done <- send(c, "x@example.org") }()
	<-reached
	if s.Count() != 0 {
		t.Fatal("message recorded while stalled")
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("send after release: %v", err)
	}
	if s.Count() != 1 {
		t.Errorf("count = %d, want 1", s.Count())
	}
}
