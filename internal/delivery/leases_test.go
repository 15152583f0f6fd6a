package delivery_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/enews/enews/internal/delivery"
	"github.com/enews/enews/internal/mailer"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/poll"
)

// A pause stops the sending at once, claimed rows included: after the pause
// commits, at most one message per connection leaves (the one whose final
// "." was already on its way), and every unsent claimed row is back in the
// queue. A resume then finishes with each subscriber mailed once.
func TestPauseMidBatchLetsAtMostConnectionsOut(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 60)
	f.smtp.SetFaults(slowRelay(100 * time.Millisecond))
	opts := f.opts("a")
	opts.BatchSize = 100 // one batch holds them all: the pause lands mid-batch
	opts.PollInterval = 5 * time.Second
	e, c := f.engine(t, opts)
	ctx := context.Background()
	done := make(chan delivery.Summary, 1)
	go func() {
		sum, err := e.Run(ctx, f.issue, c, true)
		if err != nil {
			t.Error(err)
		}
		done <- sum
	}()
	poll.Until(t, "the condition", func() bool { return f.smtp.Count() >= 8 })
	if _, err := f.svc.Pause(ctx, f.issue.Period, "test"); err != nil {
		t.Fatal(err)
	}
	atPause := f.smtp.Count()
	sum := <-done
	after := f.smtp.Count()
	if sum.Stopped != newsletter.IssuePaused {
		t.Fatalf("summary %+v, want stopped by the pause", sum)
	}
	if after-atPause > fixtureConnections {
		t.Errorf("%d messages left after the pause committed, want at most %d (connections)", after-atPause, fixtureConnections)
	}
	s := f.stats(t)
	if s.ByStatus[newsletter.DeliverySending] != 0 || s.ByStatus[newsletter.DeliverySent] != int64(after) {
		t.Fatalf("ledger %v after the pause, server has %d: want no leases held and every sent one recorded", s.ByStatus, after)
	}
	if s.ByStatus[newsletter.DeliveryQueued] == 0 {
		t.Fatal("nothing went back to the queue: the pause did not land mid-batch")
	}
	if _, err := f.svc.Resume(ctx, f.issue.Period, "test"); err != nil {
		t.Fatal(err)
	}
	f.smtp.ClearFaults()
	e2, c2 := f.engine(t, f.opts("b"))
	if sum, err := e2.Run(ctx, f.issue, c2, true); err != nil || !sum.Done {
		t.Fatalf("resumed run: %+v, %v", sum, err)
	}
	assertEachOnce(t, f, nil)
}

// A relay taking 1 s per message with a lease of 2 s: a batch takes far
// longer than the lease, yet the heartbeat keeps the leases, so no second
// sender takes rows over and nobody gets two copies.
func TestSlowRelayShortLeaseSendsNoDuplicates(t *testing.T) {
	t.Parallel()
	for _, senders := range []int{1, 2} {
		t.Run(map[int]string{1: "one sender", 2: "two senders"}[senders], func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, 16)
			f.smtp.SetFaults(slowRelay(time.Second))
			var wg sync.WaitGroup
			for i := range senders {
				opts := f.opts(string(rune('a' + i)))
				opts.Lease, opts.BatchSize = 2*time.Second, 100
				e, c := f.engineWith(t, opts, func(cfg *mailer.Config) {
					cfg.Connections, cfg.ConnectTimeout, cfg.SendTimeout = 2, 2*time.Second, 5*time.Second
				})
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := e.Run(context.Background(), f.issue, c, true); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if extra, missing := f.duplicates(); extra != 0 || missing != 0 {
				t.Fatalf("%d duplicates, %d missing; want none", extra, missing)
			}
			if s := f.stats(t); s.ByStatus[newsletter.DeliverySent] != 16 || s.InDoubt != 0 {
				t.Fatalf("ledger %v, %d in doubt; want 16 sent, none in doubt", s.ByStatus, s.InDoubt)
			}
		})
	}
}
