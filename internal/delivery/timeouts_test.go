package delivery_test

import (
	"context"
	"testing"
	"time"

	"github.com/enews/enews/internal/mailer"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/smtptest"
)

// A relay that takes 35 s to answer the final "." is waited for with the
// default timeouts (10 min for that reply): the message arrives once and the
// ledger says sent. The test's point is the default, so it waits the 35 s;
// it runs in parallel with the rest of the suite.
func TestSlowFinalReplyWithDefaultsIsWaitedFor(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 3)
	f.smtp.SetFaults(smtptest.Fault{Stage: smtptest.OnData, Match: smtptest.Recipients("user2@example.org"),
		Do: func() { time.Sleep(35 * time.Second) }})
	e, c := f.engineWith(t, f.opts("a"), func(cfg *mailer.Config) { cfg.Connections = 1 })
	sum, err := e.Run(context.Background(), f.issue, c, true)
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Done || sum.Sent != 3 || sum.Retried != 0 {
		t.Fatalf("summary %+v, want 3 sent at the first attempt and done", sum)
	}
	assertEachOnce(t, f, nil)
	if s := f.stats(t); s.ByStatus[newsletter.DeliverySent] != 3 || s.InDoubt != 0 {
		t.Fatalf("ledger %v, %d in doubt; want 3 sent, none in doubt", s.ByStatus, s.InDoubt)
	}
}

// No reply to the final "." (a timeout, or the connection dropped) leaves
// the delivery in doubt: it is retried, and the ledger says it may have
// arrived twice.
func TestNoFinalReplyLeavesTheDeliveryInDoubt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault func(release <-chan struct{}) smtptest.Fault
	}{
		{"dropped", func(<-chan struct{}) smtptest.Fault {
			return smtptest.Fault{Stage: smtptest.OnData, Times: 1, Match: smtptest.Recipients("user2@example.org"), Drop: true}
		}},
		{"final timeout", func(release <-chan struct{}) smtptest.Fault {
			return smtptest.Fault{Stage: smtptest.OnData, Times: 1, Match: smtptest.Recipients("user2@example.org"),
				Do: func() { <-release }}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, 5)
			release := make(chan struct{})
			t.Cleanup(func() { close(release) })
			f.smtp.SetFaults(tt.fault(release))
			e, c := f.engineWith(t, f.opts("a"), func(cfg *mailer.Config) { cfg.FinalTimeout = 300 * time.Millisecond })
			sum, err := e.Run(context.Background(), f.issue, c, true)
			if err != nil {
				t.Fatal(err)
			}
			if !sum.Done || sum.Retried != 1 {
				t.Fatalf("summary %+v, want done after one retry", sum)
			}
			var rows []struct {
				Email   string `db:"email"`
				InDoubt bool   `db:"in_doubt"`
				Status  string `db:"status"`
			}
			f.query(t, &rows, `SELECT s.email, d.in_doubt, d.status FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
				WHERE d.issue_id = $1 AND d.in_doubt`, f.issue.ID)
			if len(rows) != 1 || rows[0].Email != "user2@example.org" || rows[0].Status != newsletter.DeliverySent {
				t.Fatalf("in doubt: %+v, want user2 alone, sent", rows)
			}
		})
	}
}
