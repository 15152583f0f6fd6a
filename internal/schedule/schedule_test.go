package schedule_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/enews/enews/internal/issues"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/pgtest"
	"github.com/enews/enews/internal/poll"
	"github.com/enews/enews/internal/schedule"
)

// mayItems publishes three items in May 2026, Zurich time.
func mayItems(t *testing.T, r *replica) {
	loc := zurich(t)
	r.publish(t, time.Date(2026, 5, 1, 0, 30, 0, 0, loc), time.Date(2026, 5, 15, 12, 0, 0, 0, loc),
		time.Date(2026, 5, 31, 23, 30, 0, 0, loc))
}

func TestCheckMakesTheDuePeriod(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newReplica(t, pgtest.NewURL(t), issues.Policy{MinItems: 1})
	mayItems(t, r)
	clk := &clock{t: utc("2026-06-01T07:00:02Z")} // two seconds after 09:00 CEST on 1 June
	s := r.scheduler(t, schedule.Config{Now: clk.Now})

	for i := range 2 { // the second check, like a restart, changes nothing
		if err := s.Check(ctx); err != nil {
			t.Fatalf("check %d: %v", i, err)
		}
	}
	list := r.issueList(t)
	if len(list) != 1 || list[0].Period != period("2026-05") || list[0].Status != newsletter.IssueSending || len(list[0].ItemIDs) != 3 {
		t.Fatalf("issues = %+v, want May 2026 sending with 3 items", list)
	}
	if n := r.starter.count(); n != 1 {
		t.Fatalf("started %d times, want 1", n)
	}
	st := s.Status()
	if st.Due != period("2026-05") || !st.LastFire.Equal(utc("2026-06-01T07:00:00Z")) ||
		st.DueStatus != newsletter.IssueSending || len(st.Missed) != 0 || st.LastError != "" ||
		!st.NextFire.Equal(utc("2026-07-01T07:00:00Z")) {
		t.Fatalf("status = %+v", st)
	}
}

func TestCatchUpAfterOutage(t *testing.T) {
	t.Parallel()
	r := newReplica(t, pgtest.NewURL(t), issues.Policy{MinItems: 1})
	mayItems(t, r)
	// The 09:00 firing on 1 June passed while nothing ran; it is 3 days later.
	clk := &clock{t: utc("2026-06-04T07:00:00Z")}

	for restart := range 2 {
		s := r.scheduler(t, schedule.Config{Now: clk.Now})
		stop := start(t, s.Run)
		poll.Until(t, "the catch-up check ran", func() bool { return !s.Status().LastCheck.IsZero() })
		stop()
		list := r.issueList(t)
		if len(list) != 1 || list[0].Period != period("2026-05") || list[0].Status != newsletter.IssueSending {
			t.Fatalf("start %d: issues = %+v, want one May 2026 issue, sending", restart, list)
		}
		if n := r.starter.count(); n != 1 {
			t.Fatalf("start %d: started %d times, want 1", restart, n)
		}
	}
}

func TestMissedPeriodsAreOnlyReported(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		now     string
		earlier []string // periods with an issue before the check
		made    []string // periods with an issue after it
		missed  []string
	}{
		{"outage longer than the window", "2026-06-10T07:00:00Z", nil, nil, []string{"2026-05"}},
		{"and a gap before it", "2026-06-10T07:00:00Z", []string{"2026-03"}, []string{"2026-03"}, []string{"2026-05", "2026-04"}},
		{"gap behind a period still within the window", "2026-06-02T07:00:00Z", []string{"2026-03"},
			[]string{"2026-05", "2026-03"}, []string{"2026-04"}},
		{"no history: nothing before the first issue is missed", "2026-06-02T07:00:00Z", nil, []string{"2026-05"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newReplica(t, pgtest.NewURL(t), issues.Policy{MinItems: 1})
			r.publishIn(t, period("2026-03"), period("2026-04"), period("2026-05"))
			for _, p := range tc.earlier {
				if _, _, err := r.issues.Create(ctx, period(p), issues.CreateOptions{Actor: "test"}); err != nil {
					t.Fatal(err)
				}
			}
			clk := &clock{t: utc(tc.now)}
			s := r.scheduler(t, schedule.Config{Now: clk.Now})
			if err := s.Check(ctx); err != nil {
				t.Fatal(err)
			}
			var made, missed []string
			for _, is := range r.issueList(t) {
				made = append(made, is.Period.String())
			}
			for _, m := range s.Status().Missed {
				missed = append(missed, m.Period.String())
			}
			if !slices.Equal(made, tc.made) || !slices.Equal(missed, tc.missed) {
				t.Fatalf("issues %v, missed %v; want %v, %v", made, missed, tc.made, tc.missed)
			}
		})
	}
}

func TestApprovalAndQuietMonth(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		policy  issues.Policy
		items   bool
		status  string
		told    int
		started int
	}{
		{"approval required: approvers told once", issues.Policy{MinItems: 1, RequireApproval: true}, true, newsletter.IssueDraft, 1, 0},
		{"quiet month: skipped, nothing sent", issues.Policy{MinItems: 5}, true, newsletter.IssueSkipped, 0, 0},
		{"empty month: skipped", issues.Policy{MinItems: 1}, false, newsletter.IssueSkipped, 0, 0},
		{"approved: sent", issues.Policy{MinItems: 1}, true, newsletter.IssueSending, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newReplica(t, pgtest.NewURL(t), tc.policy)
			if tc.items {
				mayItems(t, r)
			}
			clk := &clock{t: utc("2026-06-01T07:05:00Z")}
			s := r.scheduler(t, schedule.Config{Now: clk.Now})
			for range 2 {
				if err := s.Check(ctx); err != nil {
					t.Fatal(err)
				}
			}
			list := r.issueList(t)
			if len(list) != 1 || list[0].Status != tc.status {
				t.Fatalf("issues = %+v, want one %s", list, tc.status)
			}
			if r.notifier.count() != tc.told || r.starter.count() != tc.started {
				t.Fatalf("told %d, started %d; want %d, %d", r.notifier.count(), r.starter.count(), tc.told, tc.started)
			}
		})
	}
}

// TestDSTZurich: 09:00 on the 1st means 09:00 on the clocks of Zurich in
// summer and in winter time, and the issue covers the month before.
func TestDSTZurich(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		now  string
		made string // period created, empty for none
	}{
		{"1 April 09:00 CEST is 07:00 UTC", "2026-04-01T07:00:30Z", "2026-03"},
		{"1 November 09:00 CET is 08:00 UTC", "2026-11-01T08:00:30Z", "2026-10"},
		{"1 November 08:30 CET is still before it", "2026-11-01T07:30:00Z", ""},
		{"1 March 09:00 CET is 08:00 UTC", "2026-03-01T08:00:30Z", "2026-02"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newReplica(t, pgtest.NewURL(t), issues.Policy{MinItems: 1})
			r.publishIn(t, period("2026-02"), period("2026-03"), period("2026-09"), period("2026-10"))
			clk := &clock{t: utc(tc.now)}
			s := r.scheduler(t, schedule.Config{Now: clk.Now})
			if err := s.Check(ctx); err != nil {
				t.Fatal(err)
			}
			var made string
			if list := r.issueList(t); len(list) == 1 {
				made = list[0].Period.String()
			} else if len(list) > 1 {
				t.Fatalf("issues = %+v", list)
			}
			if made != tc.made {
				t.Fatalf("made %q, want %q", made, tc.made)
			}
		})
	}
}

// TestExistingIssueIsHandedOver: an issue made before the check (by hand, or
// by a process that died before starting it) is started if approved, and
// left alone once it has moved on.
func TestExistingIssueIsHandedOver(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		before  func(t *testing.T, r *replica, is newsletter.Issue)
		status  string
		started int
	}{
		{"draft, approval not required", func(*testing.T, *replica, newsletter.Issue) {}, newsletter.IssueSending, 1},
		{"approved but not started", func(t *testing.T, r *replica, is newsletter.Issue) {
			if _, err := r.issues.Approve(ctx, is.Period, "test"); err != nil {
				t.Fatal(err)
			}
		}, newsletter.IssueSending, 1},
		{"already sending", func(t *testing.T, r *replica, is newsletter.Issue) {
			if _, err := r.issues.Send(ctx, is.Period, issues.CreateOptions{Actor: "test"}); err != nil {
				t.Fatal(err)
			}
		}, newsletter.IssueSending, 0},
		{"cancelled", func(t *testing.T, r *replica, is newsletter.Issue) {
			if _, err := r.issues.Cancel(ctx, is.Period, "test"); err != nil {
				t.Fatal(err)
			}
		}, newsletter.IssueCancelled, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newReplica(t, pgtest.NewURL(t), issues.Policy{MinItems: 1})
			mayItems(t, r)
			is, _, err := r.issues.Create(ctx, period("2026-05"), issues.CreateOptions{Actor: "test"})
			if err != nil {
				t.Fatal(err)
			}
			tc.before(t, r, is)
			clk := &clock{t: utc("2026-06-01T07:00:00Z")}
			s := r.scheduler(t, schedule.Config{Now: clk.Now})
			if err := s.Check(ctx); err != nil {
				t.Fatal(err)
			}
			list := r.issueList(t)
			if len(list) != 1 || list[0].Status != tc.status || s.Status().DueStatus != tc.status {
				t.Fatalf("issues = %+v, status %q; want one %s", list, s.Status().DueStatus, tc.status)
			}
			if n := r.starter.count(); n != tc.started {
				t.Fatalf("started %d times, want %d", n, tc.started)
			}
		})
	}
}
