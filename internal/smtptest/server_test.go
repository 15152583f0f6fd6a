package smtptest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

const body = "From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nhello\r\n"

// client dials s and says EHLO; it is closed when the test ends.
func client(t *testing.T, s *Server) *smtp.Client {
	t.Helper()
	c, err := smtp.Dial(s.Addr())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func send(c *smtp.Client, to ...string) error {
	return c.SendMail("a@example.org", to, strings.NewReader(body))
}

func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestRecordsMessage(t *testing.T) {
	s := Start(t)
	c := client(t, s)
	if err := send(c, "b@example.org", "c@example.org"); err != nil {
		t.Fatalf("send: %v", err)
	}
	if err := s.WaitFor(waitCtx(t), 1); err != nil {
		t.Fatal(err)
	}
	m := s.Messages()[0]
	if m.From != "a@example.org" || strings.Join(m.To, ",") != "b@example.org,c@example.org" {
		t.Errorf("envelope = %q -> %q", m.From, m.To)
	}
	if got := m.Header.Get("Subject"); got != "hi" {
		t.Errorf("Subject = %q", got)
	}
	if !strings.HasSuffix(string(m.Data), "hello\r\n") || m.Remote == "" {
		t.Errorf("data %q remote %q", m.Data, m.Remote)
	}
}

func TestConcurrentSessions(t *testing.T) {
	s := Start(t)
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := smtp.Dial(s.Addr())
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			for j := range 3 {
				if err := send(c, fmt.Sprintf("r%d-%d@example.org", i, j)); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := s.WaitFor(waitCtx(t), 3*n); err != nil {
		t.Fatal(err)
	}
	if s.Count() != 3*n || len(s.Messages()) != 3*n || s.Connections() != n {
		t.Errorf("count %d messages %d connections %d", s.Count(), len(s.Messages()), s.Connections())
	}
}

func TestReplyFaults(t *testing.T) {
	bad := Recipients("Bad@Example.org")
	tests := []struct {
		name     string
		fault    Fault
		code     int
		enhanced smtp.EnhancedCode
	}{
		{"temporary rcpt", Temporary(OnRcpt, bad), 451, smtp.EnhancedCode{4, 3, 0}},
		{"permanent rcpt", Permanent(OnRcpt, bad), 550, smtp.EnhancedCode{5, 1, 1}},
		{"temporary data", Temporary(OnData, bad), 451, smtp.EnhancedCode{4, 3, 0}},
		{"permanent mail", Permanent(OnMail, nil), 550, smtp.EnhancedCode{5, 1, 1}},
		{"custom 421", Fault{Stage: OnRcpt, Code: 421, Enhanced: "4.4.2", Message: "bye"}, 421, smtp.EnhancedCode{4, 4, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Start(t)
			s.SetFaults(tt.fault)
			c := client(t, s)
			if err := send(c, "good@example.org"); err != nil && tt.fault.Match != nil {
				t.Fatalf("unmatched recipient failed: %v", err)
			}
			err := send(c, "bad@example.org")
			var se *smtp.SMTPError
			if !errors.As(err, &se) || se.Code != tt.code || se.EnhancedCode != tt.enhanced {
				t.Fatalf("err = %v, want %d %v", err, tt.code, tt.enhanced)
			}
			s.ClearFaults()
			if err := send(c, "bad@example.org"); err != nil {
				t.Fatalf("after ClearFaults: %v", err)
			}
		})
	}
}

func TestFaultTimes(t *testing.T) {
	s := Start(t)
	f := Temporary(OnRcpt, nil)
	f.Times = 2
	s.SetFaults(f)
	c := client(t, s)
	var failed int
	for range 5 {
		if send(c, "x@example.org") != nil {
			failed++
		}
	}
	if failed != 2 || s.Count() != 3 {
		t.Errorf("failed %d accepted %d, want 2 and 3", failed, s.Count())
	}
}

// A seeded fraction fails some but not all, and the same seed fails the same ones.
func TestFaultFractionSeeded(t *testing.T) {
	run := func() []bool {
		s := Start(t, WithSeed(42))
		f := Temporary(OnRcpt, nil)
		f.Fraction = 0.3
		s.SetFaults(f)
		c := client(t, s)
		out := make([]bool, 100)
		for i := range out {
			out[i] = send(c, "x@example.org") != nil
		}
		return out
	}
	a, b := run(), run()
	var n int
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("attempt %d differs between runs with one seed", i)
		}
		if a[i] {
			n++
		}
	}
	if n == 0 || n == len(a) {
		t.Errorf("%d of %d failed; want some but not all", n, len(a))
	}
}
