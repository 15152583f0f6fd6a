package delivery_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/enews/enews/internal/delivery"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/pgtest"
	"github.com/enews/enews/internal/poll"
)

// A PostgreSQL restarted with `pg_ctl restart -m fast` in the middle of a
// send ends every session the sender has and refuses connections for a
// moment. The send carries on once the server is back: the calls that
// failed are tried again, the run does not fail, nobody is skipped, and at
// most one message per connection goes out twice. The cluster is the
// test's own, so restarting it disturbs no other test.
func TestDatabaseRestartMidSendDoesNotStopTheSend(t *testing.T) {
	t.Parallel()
	pg := pgtest.OwnCluster(t)
	f := newFixtureAt(t, pg.NewURL(t), 1000)
	logs := f.captureLog()
	f.smtp.SetFaults(slowRelay(10 * time.Millisecond))
	e, c := f.engine(t, f.opts("restart"))
	result := f.runInBackground(e, c)
	poll.Until(t, "200 messages are sent", func() bool { return f.smtp.Count() >= 200 })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := pg.Restart(ctx, "fast"); err != nil {
		t.Fatal(err)
	}
	if f.smtp.Count() >= f.n {
		t.Fatal("everything was sent before the restart ended: the test proves nothing")
	}
	f.assertFinished(t, result, "the database restart")
	if !strings.Contains(logs.String(), "database unavailable") {
		t.Fatalf("the send never saw the database unavailable; the test proves nothing. Log:\n%s", logs)
	}
}

// Another transaction holds the ledger locked for 3 s while the sender's
// sessions have a short statement_timeout: every statement on the ledger
// is cancelled (57014) until the lock goes. They are tried again; the send
// finishes as if nothing happened.
func TestLedgerLockedPastTheStatementTimeoutIsWaitedOut(t *testing.T) {
	t.Parallel()
	url := pgtest.NewURL(t)
	f := newFixtureAt(t, url+"&statement_timeout=200", 600)
	logs := f.captureLog()
	f.smtp.SetFaults(slowRelay(10 * time.Millisecond))
	e, c := f.engine(t, f.opts("locked"))
	result := f.runInBackground(e, c)
	poll.Until(t, "100 messages are sent", func() bool { return f.smtp.Count() >= 100 })

	locker := pgtest.SQL(t, url) // no statement_timeout
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tx, err := locker.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `LOCK TABLE deliveries IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second) // the fault being tested: a lock held this long
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if f.smtp.Count() >= f.n {
		t.Fatal("everything was sent while the ledger was locked: the test proves nothing")
	}
	f.assertFinished(t, result, "the lock")
	if !strings.Contains(logs.String(), "statement timeout") {
		t.Fatalf("no statement was cancelled by the timeout; the test proves nothing. Log:\n%s", logs)
	}
}

type runResult struct {
	sum delivery.Summary
	err error
}

// runInBackground runs e on the fixture's issue until done, bounded by a
// deadline so a run that never ends fails the test instead of hanging it.
func (f *fixture) runInBackground(e *delivery.Engine, c *delivery.Compiled) <-chan runResult {
	out := make(chan runResult, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	go func() {
		defer cancel()
		sum, err := e.Run(ctx, f.issue, c, true)
		out <- runResult{sum, err}
	}()
	return out
}

// assertFinished waits, within a bound, for the run to end, and checks it
// finished the issue with nobody skipped and at most one duplicate per
// connection.
func (f *fixture) assertFinished(t *testing.T, result <-chan runResult, fault string) {
	t.Helper()
	var r runResult
	select {
	case r = <-result:
	case <-time.After(poll.Deadline + 3*time.Minute):
		t.Fatalf("the send did not end after %s: it hangs (%d of %d messages at the server)", fault, f.smtp.Count(), f.n)
	}
	if r.err != nil || !r.sum.Done {
		t.Fatalf("after %s the run ended with %+v, %v; want the issue finished and no error", fault, r.sum, r.err)
	}
	extra, missing := f.duplicates()
	if missing != 0 || extra > fixtureConnections {
		t.Fatalf("after %s: %d subscribers got nothing, %d duplicates; want none missing and at most %d duplicates",
			fault, missing, extra, fixtureConnections)
	}
	var s newsletter.DeliveryStats
	err := delivery.WhileUnavailable(context.Background(), time.Minute, func() (err error) {
		s, err = f.st.Stats(context.Background(), f.issue.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.ByStatus[newsletter.DeliverySent] != int64(f.n) || s.InDoubt < int64(extra) {
		t.Fatalf("after %s the ledger says %v, %d in doubt, with %d duplicates; want all %d sent and every duplicate in doubt",
			fault, s.ByStatus, s.InDoubt, extra, f.n)
	}
	t.Logf("after %s: %d duplicates, %d in doubt", fault, extra, s.InDoubt)
}

// captureLog makes the engines built after it log to a buffer, returned.
func (f *fixture) captureLog() *syncBuffer {
	b := &syncBuffer{}
	f.log = slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelInfo}))
	return b
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
