package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/enews/enews/internal/poll"
)

// A test copy sent while the relay is down is not lost: the command says it
// is queued, status shows it waiting, and serve sends it once the relay is
// back.
func TestTestCopyWaitsForTheRelay(t *testing.T) {
	t.Parallel()
	e := newE2E(t, 1)
	e.smtp.Stop()
	out := e.ok("issue", "send", "--period", "2022-05", "--to", "ops@example.org", "--wait", "300ms")
	if !strings.Contains(out, "not sent yet") || !strings.Contains(out, "stays queued") {
		t.Fatalf("test send with the relay down:\n%s", out)
	}
	e.ok("issue", "create", "--period", "2022-05")
	if st := e.ok("issue", "status", "--period", "2022-05"); !strings.Contains(st, "transactional mail: 1 waiting") {
		t.Fatalf("status while the relay is down:\n%s", st)
	}
	if err := e.smtp.Restart(); err != nil {
		t.Fatal(err)
	}
	c := e.cmd("serve", "--roles", "sender")
	var buf lockedBuffer
	c.Stdout, c.Stderr = &buf, &buf
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Process.Kill(); _ = c.Wait() })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := e.smtp.WaitFor(ctx, 1); err != nil {
		t.Fatalf("queued copy not sent once the relay was back: %v\n%s", err, buf.String())
	}
	if m := e.smtp.Messages()[0]; m.To[0] != "ops@example.org" || !strings.Contains(m.Header.Get("Subject"), "[TEST]") {
		t.Fatalf("sent %+v", m.Header)
	}
	poll.Until(t, "the condition", func() bool {
		return strings.Contains(e.ok("issue", "status", "--period", "2022-05"), "transactional mail: nothing waiting")
	})
}

// The approver notice of a scheduled draft waits in the outbox while the
// relay is down and goes out once it is back.
func TestApproverNoticeWaitsForTheRelay(t *testing.T) {
	e, _ := serveE2E(t, 1)
	e.env = append(e.env, "ENEWS_SCHEDULE_REQUIRE_APPROVAL=true", "ENEWS_SCHEDULE_APPROVERS=editor@example.org")
	e.smtp.Stop()
	e.serve(t, "serve")
	poll.Until(t, "the approver notice to be tried and kept", func() bool {
		var tried int
		err := e.db.QueryRow(`SELECT count(*) FROM outbox WHERE kind = 'approval' AND status = 'pending' AND attempts > 0 AND last_error <> ''`).Scan(&tried)
		return err == nil && tried == 1
	})
	if err := e.smtp.Restart(); err != nil {
		t.Fatal(err)
	}
	e.waitMessages(t, 1)
	m := e.smtp.Messages()[0]
	if m.To[0] != "editor@example.org" || !strings.Contains(m.Header.Get("Subject"), "APPROVAL") {
		t.Fatalf("sent to %v: %v", m.To, m.Header.Get("Subject"))
	}
}
