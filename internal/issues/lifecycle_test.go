package issues_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/enews/enews/internal/issues"
	"github.com/enews/enews/internal/newsletter"
)

type action struct {
	name newsletter.IssueAction
	fn   func(*issues.Service, context.Context, newsletter.Period, string) (issues.Result, error)
}

func actions() []action {
	return []action{
		{newsletter.ActionApprove, (*issues.Service).Approve},
		{newsletter.ActionStart, (*issues.Service).Start},
		{newsletter.ActionPause, (*issues.Service).Pause},
		{newsletter.ActionResume, (*issues.Service).Resume},
		{newsletter.ActionCancel, (*issues.Service).Cancel},
		{newsletter.ActionReopen, (*issues.Service).Reopen},
		{newsletter.ActionRefresh, (*issues.Service).Refresh},
		{newsletter.ActionRetryFailed, (*issues.Service).RetryFailed},
	}
}

// TestEveryTransition applies every action to an issue in every status on
// a real database: the ones the table allows (its own test pins which)
// move it and are logged with the actor, the others are refused with
// ErrConflict and change nothing.
func TestEveryTransition(t *testing.T) {
	t.Parallel()
	for _, a := range actions() {
		for _, from := range newsletter.IssueStatuses() {
			t.Run(string(a.name)+" from "+from, func(t *testing.T) {
				t.Parallel()
				f := newFixture(t, 3, issues.Policy{})
				f.to(t, may2022, from)
				p := periodFor(from)
				before := f.issue(t, p)
				if a.name == newsletter.ActionRetryFailed {
					// something to retry, where the ledger has rows
					f.exec(t, `UPDATE deliveries SET status = 'failed', lease_owner = NULL, lease_expires = NULL
						WHERE issue_id = $1 AND subscriber_id = (SELECT min(subscriber_id) FROM deliveries WHERE issue_id = $1)`, before.ID)
				}
				logged, err := f.st.IssueTransitions(context.Background(), before.ID)
				if err != nil {
					t.Fatal(err)
				}
				res, err := a.fn(f.svc, context.Background(), p, "cli:alice")
				after := f.issue(t, p)
				edge, refused := newsletter.NextIssueStatus(a.name, from)
				to := edge.To
				if refused != nil {
					if !errors.Is(err, newsletter.ErrConflict) || !strings.Contains(err.Error(), "issue is "+from) {
						t.Fatalf("got %v; want a conflict naming status %s", err, from)
					}
					if after.Status != from || !after.UpdatedAt.Equal(before.UpdatedAt) {
						t.Fatalf("a refused %s changed the issue: %s", a.name, after.Status)
					}
					return
				}
				if err != nil || res.Issue.Status != to || after.Status != to {
					t.Fatalf("got %+v (stored %s), %v; want %s", res.Issue.Status, after.Status, err, to)
				}
				now, err := f.st.IssueTransitions(context.Background(), before.ID)
				if err != nil {
					t.Fatal(err)
				}
				if len(now) != len(logged)+1 {
					t.Fatalf("logged %d transitions, want %d", len(now), len(logged)+1)
				}
				last := now[len(now)-1]
				if last.Action != a.name || last.From != from || last.To != to || last.Actor != "cli:alice" {
					t.Fatalf("logged %+v", last)
				}
			})
		}
	}
}

func TestNoIssueIsNotFound(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 0, issues.Policy{})
	for _, a := range actions() {
		if _, err := a.fn(f.svc, context.Background(), may2022, "test"); !errors.Is(err, newsletter.ErrNotFound) {
			t.Errorf("%s without an issue: %v", a.name, err)
		}
	}
}

// TestReopenRefusedOnceMailWentOut: a cancelled send that delivered one
// message cannot be reopened, and says why.
func TestReopenRefusedOnceMailWentOut(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, 3, issues.Policy{})
	f.to(t, may2022, newsletter.IssueSending)
	is := f.issue(t, may2022)
	f.exec(t, `UPDATE deliveries SET status = 'sent', sent_at = now()
		WHERE issue_id = $1 AND subscriber_id = (SELECT min(subscriber_id) FROM deliveries WHERE issue_id = $1)`, is.ID)
	if _, err := f.svc.Cancel(ctx, may2022, "test"); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.Reopen(ctx, may2022, "test")
	if !errors.Is(err, newsletter.ErrConflict) || !strings.Contains(err.Error(), "1 messages of this issue were sent") {
		t.Fatalf("reopen after a send: %v", err)
	}
	if got := f.issue(t, may2022).Status; got != newsletter.IssueCancelled {
		t.Fatalf("status %s after a refused reopen", got)
	}
}

// TestCreateRefusesAMonthNotEnded: a month still running gets no issue
// unless forced.
func TestCreateRefusesAMonthNotEnded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, 0, issues.Policy{})
	this := newsletter.PeriodOf(time.Now(), f.loc)
	_, _, err := f.svc.Create(ctx, this, issues.CreateOptions{Actor: "test"})
	if !errors.Is(err, newsletter.ErrInvalid) || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("create for this month: %v", err)
	}
	if _, err := f.st.IssueByPeriod(ctx, this); !errors.Is(err, newsletter.ErrNotFound) {
		t.Fatalf("an issue was stored: %v", err)
	}
	is, created, err := f.svc.Create(ctx, this, issues.CreateOptions{Actor: "test", Force: true})
	if err != nil || !created || is.Period != this {
		t.Fatalf("forced create: %+v %v %v", is, created, err)
	}
}
