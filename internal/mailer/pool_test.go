package mailer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/enews/enews/internal/smtptest"
)

func TestConnectionsAreReused(t *testing.T) {
	s := smtptest.Start(t)
	p := newPool(t, testConfig(s)) // 2 connections
	const workers, each = 10, 5
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				errs <- p.Send(ctxT(t), sample(fmt.Sprintf("s%d-%d@example.net", w, i)))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if s.Count() != workers*each {
		t.Fatalf("accepted %d, want %d", s.Count(), workers*each)
	}
	remotes := map[string]bool{}
	for _, m := range s.Messages() {
		remotes[m.Remote] = true
	}
	if s.Connections() > 2 || len(remotes) > 2 {
		t.Errorf("%d connections (%d seen carrying mail), want at most 2", s.Connections(), len(remotes))
	}
}

func TestReplyFailuresAreClassified(t *testing.T) {
	bad := smtptest.Recipients("bad@example.net")
	tests := []struct {
		name      string
		fault     smtptest.Fault
		code      int
		enhanced  string
		temporary bool
		hard      bool
		stage     string
	}{
		{"451 at RCPT", smtptest.Temporary(smtptest.OnRcpt, bad), 451, "4.3.0", true, false, StageRcpt},
		{"550 5.1.1 at RCPT", smtptest.Permanent(smtptest.OnRcpt, bad), 550, "5.1.1", false, true, StageRcpt},
		{"451 after DATA", smtptest.Temporary(smtptest.OnData, bad), 451, "4.3.0", true, false, StageData},
		{"552 after DATA", smtptest.Fault{Stage: smtptest.OnData, Match: bad, Code: 552, Enhanced: "5.3.4", Message: "Too big"}, 552, "5.3.4", false, false, StageData},
		{"550 5.1.8 at MAIL", smtptest.Fault{Stage: smtptest.OnMail, Code: 553, Enhanced: "5.1.8", Message: "Bad sender"}, 553, "5.1.8", false, false, StageMail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := smtptest.Start(t)
			f := tt.fault
			f.Times = 1
			s.SetFaults(f)
			cfg := testConfig(s)
			cfg.Connections = 1
			p := newPool(t, cfg)
			err := p.Send(ctxT(t), sample("bad@example.net"))
			var se *SendError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v (%T), want *SendError", err, err)
			}
			if se.Code != tt.code || se.Enhanced != tt.enhanced || se.Temporary != tt.temporary ||
				se.IsHardBounce() != tt.hard || se.Stage != tt.stage {
				t.Errorf("got code %d enhanced %q temporary %v hard %v stage %q",
					se.Code, se.Enhanced, se.Temporary, se.IsHardBounce(), se.Stage)
			}
			if !strings.HasPrefix(se.Reply, fmt.Sprintf("%d %s ", tt.code, tt.enhanced)) || containsAddr(se.Error()) {
				t.Errorf("Reply %q / Error %q: want the server's words and no address", se.Reply, se.Error())
			}
			// The connection survives a reply failure and carries the next message.
			if err := p.Send(ctxT(t), sample("good@example.net")); err != nil {
				t.Fatalf("next send: %v", err)
			}
			if s.Connections() != 1 {
				t.Errorf("connections = %d, want 1 (kept after a reply failure)", s.Connections())
			}
		})
	}
}

func containsAddr(s string) bool {
	return strings.Contains(s, "bad@example.net") || strings.Contains(s, "good@example.net")
}

func TestServerDownThenBack(t *testing.T) {
	s := smtptest.Start(t)
	cfg := testConfig(s)
	cfg.Connections = 1
	p := newPool(t, cfg)
	if err := p.Send(ctxT(t), sample("a@example.net")); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	for i := range 3 {
		err := p.Send(ctxT(t), sample("b@example.net"))
		var se *SendError
		if !errors.As(err, &se) || !se.Temporary || se.Stage != StageConnect {
			t.Fatalf("send %d while down: %v, want a temporary connect error", i, err)
		}
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := p.Send(ctxT(t), sample("b@example.net")); err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if s.Count() != 2 {
		t.Errorf("accepted %d, want 2", s.Count())
	}
}

// A pooled connection that died while idle is replaced without failing the
// message: nothing had been sent on it.
func TestStaleConnectionIsRedialled(t *testing.T) {
	s := smtptest.Start(t)
	cfg := testConfig(s)
	cfg.Connections = 1
	p := newPool(t, cfg)
	if err := p.Send(ctxT(t), sample("a@example.net")); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := p.Send(ctxT(t), sample("b@example.net")); err != nil {
		t.Fatalf("send on a stale connection: %v", err)
	}
	if s.Count() != 2 || s.Connections() != 2 {
		t.Errorf("accepted %d over %d connections, want 2 over 2", s.Count(), s.Connections())
	}
}

func TestContextAndClose(t *testing.T) {
	s := smtptest.Start(t)
	p := newPool(t, testConfig(s))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := p.Send(ctx, sample("a@example.net"))
	var se *SendError
	if !errors.As(err, &se) || !se.Temporary || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled ctx: %v", err)
	}
	if err := p.Send(ctxT(t), sample("a@example.net")); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(ctxT(t)); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := p.Close(ctxT(t)); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	err = p.Send(ctxT(t), sample("a@example.net"))
	if !errors.As(err, &se) || !se.Temporary || !errors.Is(err, ErrClosed) {
		t.Fatalf("send after Close: %v", err)
	}
}

// Cancelling ctx while the server sits on the message aborts that connection
// with a temporary error; the message is then "in doubt" (the server may still
// accept it), which is why delivery may resend at most the messages in flight.
func TestCancelMidSend(t *testing.T) {
	tests := []struct {
		name  string
		setup func(cfg *Config, cancel func()) func()
	}{
		{"context cancelled", func(_ *Config, cancel func()) func() { return cancel }},
		{"send timeout", func(cfg *Config, _ func()) func() {
			cfg.SendTimeout = 200 * time.Millisecond
			return func() {}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := smtptest.Start(t)
			cfg := testConfig(s)
			cfg.Connections = 1
			ctx, cancel := context.WithCancel(ctxT(t))
			defer cancel()
			onData := tt.setup(&cfg, cancel)
			release := make(chan struct{})
			t.Cleanup(func() { close(release) })
			s.SetFaults(smtptest.Fault{Stage: smtptest.OnData, Times: 1, Do: func() { onData(); <-release }})
			p := newPool(t, cfg)
			err := p.Send(ctx, sample("a@example.net"))
			var se *SendError
			if !errors.As(err, &se) || !se.Temporary || se.Code != 0 {
				t.Fatalf("err = %v, want temporary without a reply", err)
			}
			if err := p.Send(ctxT(t), sample("b@example.net")); err != nil {
				t.Fatalf("next send: %v", err)
			}
			if s.Connections() != 2 {
				t.Errorf("connections = %d, want 2 (the aborted one is not reused)", s.Connections())
			}
		})
	}
}
