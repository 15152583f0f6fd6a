package delivery_test

import (
	"context"
	"testing"
	"time"

	"github.com/enews/enews/internal/delivery"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/poll"
	"github.com/enews/enews/internal/smtptest"
)

// A 20 s relay outage (connections refused) spends no subscriber's attempt:
// the senders wait as a whole, the live sender says since when, a probe
// finds the server back and the send finishes on its own, each subscriber
// mailed once at the first attempt.
func TestRelayOutageSpendsNoAttempts(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 40)
	opts := f.opts("a")
	opts.MaxAttempts = 2
	opts.OutageProbeMax = 2 * time.Second
	e, c := f.engine(t, opts)
	f.smtp.Stop()
	done := make(chan delivery.Summary, 1)
	go func() {
		sum, err := e.Run(context.Background(), f.issue, c, true)
		if err != nil {
			t.Error(err)
		}
		done <- sum
	}()
	poll.Until(t, "the condition", func() bool { _, _, ok := f.waiting(t); return ok })
	if _, reason, _ := f.waiting(t); reason == "" {
		t.Error("waiting for the SMTP server without a reason")
	}
	time.Sleep(20 * time.Second) // the outage
	poll.Until(t, "the condition", func() bool { return f.smtp.Restart() == nil })
	sum := <-done
	if !sum.Done || sum.Failed != 0 || sum.Retried != 0 {
		t.Fatalf("summary %+v, want done with nothing failed or retried", sum)
	}
	assertEachOnce(t, f, nil)
	var attempts []int
	f.query(t, &attempts, `SELECT attempts FROM deliveries WHERE issue_id = $1`, f.issue.ID)
	for _, a := range attempts {
		if a != 1 {
			t.Fatalf("attempts %v, want 1 each: the outage spent attempts", attempts)
		}
	}
	if _, _, ok := f.waiting(t); ok {
		t.Error("still waiting for the SMTP server after the send finished")
	}
}

// A server that refuses every recipient with 451 for a while is treated as
// an outage too: after a short run of refusals the senders wait as a whole,
// and nobody runs out of attempts.
func TestEveryRecipientRefusedOpensTheBreaker(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 30)
	f.smtp.SetFaults(smtptest.Temporary(smtptest.OnRcpt, nil))
	opts := f.opts("a")
	opts.MaxAttempts = 2
	opts.OutageProbeMax = 500 * time.Millisecond
	e, c := f.engine(t, opts)
	done := make(chan delivery.Summary, 1)
	go func() {
		sum, err := e.Run(context.Background(), f.issue, c, true)
		if err != nil {
			t.Error(err)
		}
		done <- sum
	}()
	poll.Until(t, "the condition", func() bool { _, _, ok := f.waiting(t); return ok })
	time.Sleep(3 * time.Second) // the refusals go on
	f.smtp.ClearFaults()
	sum := <-done
	if !sum.Done || sum.Failed != 0 {
		t.Fatalf("summary %+v, want done with nothing failed", sum)
	}
	assertEachOnce(t, f, nil)
	if s := f.stats(t); s.ByStatus[newsletter.DeliverySent] != 30 {
		t.Fatalf("ledger %v, want 30 sent", s.ByStatus)
	}
}

// waiting reads what `issue status` shows about the SMTP server.
func (f *fixture) waiting(t *testing.T) (time.Time, string, bool) {
	t.Helper()
	since, reason, ok, err := f.st.SMTPWaiting(context.Background(), f.issue.ID, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return since, reason, ok
}
