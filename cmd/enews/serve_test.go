package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/poll"
)

// lockedBuffer collects a subprocess's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type replica struct {
	cmd *exec.Cmd
	out *lockedBuffer
}

// serveE2E prepares a database whose last month has published items, so a
// firing of the every-second schedule makes a real issue.
func serveE2E(t *testing.T, subscribers int) (*e2e, newsletter.Period) {
	t.Helper()
	e := newE2E(t, subscribers)
	zurich, _ := time.LoadLocation("Europe/Zurich")
	last := newsletter.PeriodOf(time.Now().In(zurich), zurich).Prev()
	for i := 1; i <= 3; i++ {
		e.ok("items", "add", "--title", fmt.Sprintf("News %d of %s", i, last), "--url", fmt.Sprintf("https://example.org/%s/%d", last, i),
			"--published", fmt.Sprintf("%s-%02d", last, 10+i))
	}
	e.env = append(e.env, "ENEWS_SCHEDULE_SPEC=*/2 * * * * *", "ENEWS_LOG_LEVEL=info")
	return e, last
}

func (e *e2e) serve(t *testing.T, name string) *replica {
	t.Helper()
	out := &lockedBuffer{}
	c := e.cmd("serve", "--roles", "scheduler,sender")
	c.Stdout, c.Stderr = out, out
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	r := &replica{cmd: c, out: out}
	t.Cleanup(func() {
		_ = c.Process.Kill()
		_ = c.Wait()
		if t.Failed() {
			t.Logf("%s output:\n%s", name, out.String())
		}
	})
	return r
}

func (e *e2e) waitMessages(t *testing.T, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := e.smtp.WaitFor(ctx, n); err != nil {
		t.Fatalf("waiting for %d messages (have %d): %v", n, e.smtp.Count(), err)
	}
}

func (e *e2e) issueCount(t *testing.T) int {
	t.Helper()
	var n int
	if err := e.db.QueryRow(`SELECT count(*) FROM issues`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestTwoServeReplicasMakeOneIssueAndSendEachOnce(t *testing.T) {
	e, last := serveE2E(t, 400)
	a := e.serve(t, "replica a")
	b := e.serve(t, "replica b")
	e.waitMessages(t, 400)
	poll.Until(t, "the condition", func() bool {
		out := e.ok("issue", "status", "--period", last.String())
		return strings.Contains(out, ": sent")
	})
	if n := e.issueCount(t); n != 1 {
		t.Fatalf("%d issues, want 1", n)
	}
	got := e.perRecipient()
	for i := 1; i <= e.n; i++ {
		if got[fmt.Sprintf("reader%d@example.org", i)] != 1 {
			t.Errorf("reader%d received %d times, want 1", i, got[fmt.Sprintf("reader%d@example.org", i)])
		}
	}
	leaders := 0
	for _, r := range []*replica{a, b} {
		if strings.Contains(r.out.String(), "leader: leading") {
			leaders++
		}
	}
	if leaders != 1 {
		t.Fatalf("%d replicas led, want exactly 1", leaders)
	}
	// SIGTERM stops both cleanly with exit status 0.
	for _, r := range []*replica{a, b} {
		_ = r.cmd.Process.Signal(syscall.SIGTERM)
		if err := r.cmd.Wait(); err != nil {
			t.Fatalf("serve after SIGTERM: %v\n%s", err, r.out.String())
		}
	}
}

func TestKilledLeaderIsReplacedAndSendingResumes(t *testing.T) {
	e, last := serveE2E(t, 1500)
	a := e.serve(t, "replica a")
	e.waitMessages(t, 200)
	_ = a.cmd.Process.Signal(syscall.SIGKILL)
	_ = a.cmd.Wait()
	if e.smtp.Count() >= e.n {
		t.Fatal("everything was sent before the kill; the test proves nothing")
	}
	b := e.serve(t, "replica b")
	poll.Until(t, "the condition", func() bool { return strings.Contains(b.out.String(), "leader: leading") })
	poll.Until(t, "the condition", func() bool {
		return strings.Contains(e.ok("issue", "status", "--period", last.String()), ": sent")
	})
	if n := e.issueCount(t); n != 1 {
		t.Fatalf("%d issues after a restart, want 1", n)
	}
	e.assertNobodySkipped(t, 4)
}
