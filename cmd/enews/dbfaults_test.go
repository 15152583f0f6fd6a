package main

import (
	"bytes"
	"context"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/enews/enews/internal/pgtest"
	"github.com/enews/enews/internal/poll"
	"github.com/enews/enews/internal/smtptest"
)

// sendDeadline bounds a foreground send in these tests: one that has not
// ended by then is reported as hanging, with its output.
const sendDeadline = 3 * time.Minute

// `enews issue send` carries on through `pg_ctl restart -m fast` of its
// database mid-send: it exits 0 and says the issue is sent, nobody is
// skipped, and at most one message per connection goes out twice.
func TestIssueSendSurvivesADatabaseRestart(t *testing.T) {
	pg := pgtest.OwnCluster(t)
	e := newE2EAt(t, pg.NewURL(t), 3000)
	e.smtp.SetFaults(smtptest.Fault{Stage: smtptest.OnData, Do: func() { time.Sleep(5 * time.Millisecond) }})
	ctx, cancel := context.WithTimeout(context.Background(), sendDeadline)
	defer cancel()
	c, out := e.startSendCtx(ctx, 300)
	if err := pg.Restart(ctx, "fast"); err != nil {
		t.Fatal(err)
	}
	if e.smtp.Count() >= e.n {
		t.Fatal("everything was sent before the restart ended: the test proves nothing")
	}
	err := c.Wait()
	if ctx.Err() != nil {
		t.Fatalf("issue send did not end within %s of starting (%d of %d at the server): it hangs\n%s", sendDeadline, e.smtp.Count(), e.n, out)
	}
	if err != nil || !strings.Contains(out.String(), "issue 2022-05 is sent") {
		t.Fatalf("issue send after a database restart: %v, want exit 0 and the issue sent\n%s", err, out)
	}
	dups := e.assertNobodySkipped(t, 4)
	t.Logf("%d duplicates; output:\n%s", dups, out)
}

// A sender killed with SIGKILL mid-send holds leases of 10 minutes. The
// next `issue send` does not wait them out: the dead sender's heartbeat
// stops, and its rows come back in doubt after sending.dead_after (5 s).
// Every row the dead sender held comes back in doubt, nobody is skipped,
// at most one message per connection arrives twice. How long the rows
// took to come back is measured and logged, not asserted.
func TestKilledSenderRowsAreReclaimedInDoubtByTheNextSend(t *testing.T) {
	e := newE2E(t, 3000)
	e.env = append(e.env, "ENEWS_SENDING_LEASE=10m")
	e.smtp.SetFaults(smtptest.Fault{Stage: smtptest.OnData, Do: func() { time.Sleep(5 * time.Millisecond) }})
	ctx, cancel := context.WithTimeout(context.Background(), sendDeadline)
	defer cancel()
	// The killed sender's connections carry a name of their own, to wait
	// for them to end below.
	u, err := url.Parse(e.url)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", "killed-sender")
	u.RawQuery = q.Encode()
	env := e.env
	e.env = append(e.env[:len(e.env):len(e.env)], "ENEWS_DATABASE_URL="+u.String())
	c, _ := e.startSendCtx(ctx, 300)
	e.env = env
	if err := c.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = c.Wait()
	killed := time.Now()
	// A COMMIT the sender wrote just before it died may still be carried
	// out by its server process; the rows it held are only settled once
	// those processes have ended.
	poll.Until(t, "the killed sender's database sessions end", func() bool {
		var n int
		if err := e.db.Get(&n, `SELECT count(*) FROM pg_stat_activity WHERE application_name = 'killed-sender'`); err != nil {
			t.Fatal(err)
		}
		return n == 0
	})
	var held []int64
	var owners []string
	if err := e.db.Select(&held, `SELECT subscriber_id FROM deliveries WHERE status = 'sending'`); err != nil {
		t.Fatal(err)
	}
	if err := e.db.Select(&owners, `SELECT DISTINCT lease_owner FROM deliveries WHERE status = 'sending'`); err != nil {
		t.Fatal(err)
	}
	if len(held) == 0 {
		t.Fatal("the killed sender held no lease: the test proves nothing")
	}
	e.smtp.ClearFaults()

	second, out := e.sendCmd(ctx)
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	var reclaimed time.Duration
	poll.Until(t, "the dead sender's rows are reclaimed", func() bool {
		var n int
		if err := e.db.Get(&n, `SELECT count(*) FROM deliveries WHERE lease_owner = ANY($1)`, pq.StringArray(owners)); err != nil {
			t.Fatal(err)
		}
		reclaimed = time.Since(killed)
		return n == 0
	})
	err = second.Wait()
	if ctx.Err() != nil {
		t.Fatalf("the send after the kill did not end within %s: the dead sender's rows were not reclaimed before their 10 min lease\n%s", sendDeadline, out)
	}
	if err != nil || !strings.Contains(out.String(), "issue 2022-05 is sent") {
		t.Fatalf("send after the kill: %v, want exit 0 and the issue sent\n%s", err, out)
	}
	dups := e.assertNobodySkipped(t, 4)
	var doubt int
	if err := e.db.Get(&doubt, `SELECT count(*) FROM deliveries WHERE subscriber_id = ANY($1) AND in_doubt`, pq.Int64Array(held)); err != nil {
		t.Fatal(err)
	}
	if doubt != len(held) {
		t.Fatalf("%d of the %d rows the killed sender held are in doubt; want all", doubt, len(held))
	}
	t.Logf("killed holding %d rows; they were back within %s of the kill; %d duplicates", len(held), reclaimed.Round(10*time.Millisecond), dups)
}

// sendCmd is `issue send` bounded by ctx, its output collected.
func (e *e2e) sendCmd(ctx context.Context) (*exec.Cmd, *lockedOutput) {
	c := exec.CommandContext(ctx, e.bin, "issue", "send", "--period", "2022-05", "--yes")
	c.Env = e.env
	out := &lockedOutput{}
	c.Stdout, c.Stderr = out, out
	c.WaitDelay = 5 * time.Second
	return c, out
}

// startSendCtx starts a foreground send bounded by ctx and returns once
// the SMTP server has accepted at least `after` messages.
func (e *e2e) startSendCtx(ctx context.Context, after int) (*exec.Cmd, *lockedOutput) {
	e.t.Helper()
	c, out := e.sendCmd(ctx)
	if err := c.Start(); err != nil {
		e.t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := e.smtp.WaitFor(wctx, after); err != nil {
		_ = c.Process.Kill()
		e.t.Fatalf("waiting for %d messages: %v\n%s", after, err, out)
	}
	return c, out
}

// lockedOutput collects a command's output, readable while it runs.
type lockedOutput struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (o *lockedOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

func (o *lockedOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}
