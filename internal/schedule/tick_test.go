package schedule_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/enews/enews/internal/issues"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/pgtest"
	"github.com/enews/enews/internal/poll"
	"github.com/enews/enews/internal/schedule"
)

// everySecond fires at every second, so real firings come quickly; the
// period is still the last full month before each firing.
const everySecond = "* * * * * *"

// publishAroundNow publishes an item in the real last month, and in the one
// before in case a month ends while the test runs.
func publishAroundNow(t *testing.T, r *replica) {
	last := newsletter.PeriodOf(time.Now(), zurich(t)).Prev()
	r.publishIn(t, last, last.Prev())
}

// TestRealFiringMakesTheIssue runs cron on the real clock. The catch-up on
// start makes the issue first; the test then deletes it, and only a firing
// can make it again.
func TestRealFiringMakesTheIssue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newReplica(t, pgtest.NewURL(t), issues.Policy{MinItems: 1})
	publishAroundNow(t, r)
	s := r.scheduler(t, schedule.Config{Spec: everySecond, RetryInterval: 100 * time.Millisecond})
	start(t, s.Run)

	var first newsletter.Issue
	poll.Until(t, "the catch-up made an issue", func() bool {
		list := r.issueList(t)
		if len(list) == 1 {
			first = list[0]
		}
		return len(list) == 1
	})
	if _, err := r.db.ExecContext(ctx, `DELETE FROM issues WHERE id = $1`, first.ID); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, "a firing made the issue again", func() bool {
		list := r.issueList(t)
		return len(list) == 1 && list[0].ID != first.ID
	})
	// A firing racing the DELETE above may fail to start the issue it had
	// just found; the check that made the new issue then clears the error.
	poll.Until(t, "the status shows a clean firing", func() bool {
		st := s.Status()
		return st.Running && !st.LastFire.IsZero() && st.LastError == ""
	})
}

// panicking is a Creator whose first call panics.
type panicking struct {
	schedule.Creator
	calls atomic.Int32
}

func (p *panicking) Create(ctx context.Context, period newsletter.Period, opts issues.CreateOptions) (newsletter.Issue, bool, error) {
	if p.calls.Add(1) == 1 {
		panic("first create fails")
	}
	return p.Creator.Create(ctx, period, opts)
}

// TestPanicDoesNotStopFirings: the catch-up panics; the process survives
// and a later firing makes the issue.
func TestPanicDoesNotStopFirings(t *testing.T) {
	t.Parallel()
	r := newReplica(t, pgtest.NewURL(t), issues.Policy{MinItems: 1})
	publishAroundNow(t, r)
	creator := &panicking{Creator: r.issues}
	s, err := schedule.New(schedule.Config{Spec: everySecond, Location: zurich(t), RetryInterval: 100 * time.Millisecond},
		schedule.Deps{Creator: creator, Reader: r.st, Sender: r.starter, Notifier: r.notifier}, r.log)
	if err != nil {
		t.Fatal(err)
	}
	start(t, s.Run)
	poll.Until(t, "a firing after the panic made the issue", func() bool {
		return len(r.issueList(t)) == 1
	})
	if n := creator.calls.Load(); n < 2 {
		t.Fatalf("create called %d times", n)
	}
}

// flaky fails its first call, as a database or mail server briefly away.
type flaky struct {
	schedule.Sender
	schedule.Notifier
	calls atomic.Int32
}

func (f *flaky) Send(ctx context.Context, p newsletter.Period, opts issues.CreateOptions) (issues.Result, error) {
	if f.calls.Add(1) == 1 {
		return issues.Result{}, errors.New("connection refused")
	}
	return f.Sender.Send(ctx, p, opts)
}

func (f *flaky) AwaitingApproval(ctx context.Context, is newsletter.Issue) error {
	if f.calls.Add(1) == 1 {
		return errors.New("connection refused")
	}
	return f.Notifier.AwaitingApproval(ctx, is)
}

// TestFailedHandOverIsRetried: a failing start or notification is retried
// without waiting for the next firing, a month away.
func TestFailedHandOverIsRetried(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		policy issues.Policy
		status string
	}{
		{"start", issues.Policy{MinItems: 1}, newsletter.IssueSending},
		{"approvers' notification", issues.Policy{MinItems: 1, RequireApproval: true}, newsletter.IssueDraft},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newReplica(t, pgtest.NewURL(t), tc.policy)
			mayItems(t, r)
			f := &flaky{Sender: r.starter, Notifier: r.notifier}
			clk := &clock{t: utc("2026-06-01T07:00:00Z")}
			s, err := schedule.New(schedule.Config{Spec: "0 9 1 * *", Location: zurich(t), Now: clk.Now,
				RequireApproval: tc.policy.RequireApproval, RetryInterval: 10 * time.Millisecond}, schedule.Deps{Creator: r.issues, Reader: r.st, Sender: f, Notifier: f}, r.log)
			if err != nil {
				t.Fatal(err)
			}
			start(t, s.Run)
			poll.Until(t, "the retry succeeded", func() bool {
				st := s.Status()
				return st.DueStatus == tc.status && st.LastError == "" && !st.LastCheck.IsZero()
			})
			if r.starter.count()+r.notifier.count() != 1 {
				t.Fatalf("started %d, told %d; want one hand-over", r.starter.count(), r.notifier.count())
			}
		})
	}
}
