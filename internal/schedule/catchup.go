package schedule

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/enews/enews/internal/issues"
	"github.com/enews/enews/internal/newsletter"
)

// Status is what the scheduler last saw, for the status command, the admin
// API and metrics.
type Status struct {
	Spec     string
	TimeZone string
	Running  bool // this process follows the schedule (it leads)

	LastCheck time.Time         // clock time of the last successful check
	LastFire  time.Time         // newest firing at or before LastCheck; zero if none
	Due       newsletter.Period // the period LastFire covers
	DueStatus string            // status of Due's issue; empty when it has none
	NextFire  time.Time

	// Missed are periods whose firing passed without an issue and which
	// will not be made automatically, newest first: the due period when
	// it is past the catch-up window, and gaps before it.
	Missed []Missed

	LastError string // the last failed check; empty once one succeeds

	// WaitingForSources names the sources that failed right before the
	// due issue was to be made, while it waits for them (until
	// WaitingUntil); empty otherwise.
	WaitingForSources string
	WaitingUntil      time.Time
	// MadeWithoutSources names the sources that were still failing when
	// the grace ran out and the due issue was made without them.
	MadeWithoutSources string
}

// Missed is one period the schedule did not make.
type Missed struct {
	Period newsletter.Period
	FireAt time.Time // when its firing was scheduled
}

// Status returns a copy of the scheduler's status.
func (s *Scheduler) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.status
	st.Missed = append([]Missed(nil), st.Missed...)
	return st
}

func (s *Scheduler) setRunning(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status.Running = on
}

func (s *Scheduler) setError(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status.LastError = err.Error()
}

// check makes sure the newest due period has its issue, if its firing is
// within the catch-up window, and records what it saw. It returns the firing
// it handled.
func (s *Scheduler) check(ctx context.Context, now time.Time) (time.Time, error) {
	st := Status{LastCheck: now, NextFire: s.plan.next(now)}
	fire, ok := s.plan.latest(now)
	if !ok {
		s.record(st)
		return time.Time{}, nil
	}
	p := s.plan.period(fire)
	st.LastFire, st.Due = fire, p
	log := s.log.With("period", p.String(), "fire_at", fire)

	if late := now.Sub(fire); late <= s.cfg.CatchUpWindow {
		var err error
		if st.MadeWithoutSources, err = s.collect(ctx, p, fire, now); err != nil {
			s.record(st.waiting(err))
			return fire, err
		}
		is, created, err := s.deps.Creator.Create(ctx, p, issues.CreateOptions{Actor: Actor})
		if err != nil {
			return fire, fmt.Errorf("schedule: create issue %s: %w", p, err)
		}
		if created && late > time.Hour {
			log.Warn("schedule: made a late issue after its firing was missed", "late", late.Round(time.Second))
		}
		if created && st.MadeWithoutSources != "" {
			log.Warn("schedule: issue made without the sources that still fail after content.source_grace",
				"failed", st.MadeWithoutSources, "grace", s.cfg.SourceGrace)
		}
		if st.DueStatus, err = s.handOver(ctx, is, created); err != nil {
			return fire, err
		}
	} else {
		is, err := s.deps.Reader.IssueByPeriod(ctx, p)
		switch {
		case err == nil:
			st.DueStatus = is.Status
		case errors.Is(err, newsletter.ErrNotFound):
			st.Missed = append(st.Missed, Missed{Period: p, FireAt: fire})
		default:
			return fire, fmt.Errorf("schedule: look up issue %s: %w", p, err)
		}
	}

	older, err := s.gaps(ctx, fire)
	if err != nil {
		return fire, err
	}
	st.Missed = append(st.Missed, older...)
	for _, m := range st.Missed {
		s.logMissed(m)
	}
	s.record(st)
	return fire, nil
}

// handOver takes a due issue to its next step and returns the status it
// leaves it in. A draft is sent at once when approval is not required, and
// an approved issue is started, even when it already existed: that closes
// the gap left by a crash between creating and starting, and Send joins an
// issue that has started meanwhile.
func (s *Scheduler) handOver(ctx context.Context, is newsletter.Issue, created bool) (string, error) {
	log := s.log.With("period", is.Period.String(), "issue", is.ID)
	switch {
	case is.Status == newsletter.IssueApproved || (is.Status == newsletter.IssueDraft && !s.cfg.RequireApproval):
		res, err := s.deps.Sender.Send(ctx, is.Period, issues.CreateOptions{Actor: Actor})
		if errors.Is(err, newsletter.ErrConflict) {
			log.Info("schedule: issue not sent", "reason", err.Error())
			cur, err := s.deps.Reader.IssueByPeriod(ctx, is.Period)
			if err != nil {
				return "", fmt.Errorf("schedule: look up issue %s: %w", is.Period, err)
			}
			return cur.Status, nil
		}
		if err != nil {
			return is.Status, fmt.Errorf("schedule: start sending issue %s: %w", is.Period, err)
		}
		log.Info("schedule: issue handed to sending", "deliveries", res.Deliveries)
		return res.Issue.Status, nil
	case is.Status == newsletter.IssueDraft:
		// Approvers are told once per issue this process made, retried
		// until it works, but not on every check or restart after that.
		s.mu.Lock()
		if created {
			s.notify[is.Period] = true
		}
		pending := s.notify[is.Period]
		s.mu.Unlock()
		if !pending {
			return is.Status, nil
		}
		if err := s.deps.Notifier.AwaitingApproval(ctx, is); err != nil {
			return is.Status, fmt.Errorf("schedule: tell approvers about issue %s: %w", is.Period, err)
		}
		s.mu.Lock()
		delete(s.notify, is.Period)
		s.mu.Unlock()
		log.Info("schedule: issue awaits approval; approvers told")
	case is.Status == newsletter.IssueSkipped:
		if created {
			log.Info("schedule: issue skipped", "reason", is.SkipReason)
		}
	}
	return is.Status, nil
}

// gaps walks back from fire through older periods, at most MissedLookback of
// them, and returns those without an issue up to the first one that has one.
// When none within reach has one, the series started later, so nothing
// counts as missed: a new installation reports no gap for the months before
// its first issue.
func (s *Scheduler) gaps(ctx context.Context, fire time.Time) ([]Missed, error) {
	var out []Missed
	t := fire
	for range s.cfg.MissedLookback {
		prev, ok := s.plan.previous(t)
		if !ok {
			return nil, nil
		}
		p := s.plan.period(prev)
		_, err := s.deps.Reader.IssueByPeriod(ctx, p)
		if err == nil {
			return out, nil
		}
		if !errors.Is(err, newsletter.ErrNotFound) {
			return nil, fmt.Errorf("schedule: look up issue %s: %w", p, err)
		}
		out = append(out, Missed{Period: p, FireAt: prev})
		t = prev
	}
	return nil, nil
}

// logMissed warns once per period and process, not on every check.
func (s *Scheduler) logMissed(m Missed) {
	s.mu.Lock()
	seen := s.missLog[m.Period]
	s.missLog[m.Period] = true
	s.mu.Unlock()
	if !seen {
		s.log.Warn("schedule: period missed: its firing is past the catch-up window; make it by hand if it should still go out",
			"period", m.Period.String(), "fire_at", m.FireAt, "catch_up_window", s.cfg.CatchUpWindow)
	}
}

func (s *Scheduler) record(st Status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st.Spec, st.TimeZone, st.Running = s.status.Spec, s.status.TimeZone, s.status.Running
	s.status = st
}
