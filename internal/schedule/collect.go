package schedule

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/enews/enews/internal/newsletter"
)

// waitingError is a due issue held back because sources failed right
// before it was to be made; tick retries it like a failed check.
type waitingError struct {
	period newsletter.Period
	until  time.Time
	err    error
}

func (e *waitingError) Error() string {
	return fmt.Sprintf("schedule: issue %s waits for its sources until %s: %v",
		e.period, e.until.Format(time.RFC3339), e.err)
}

func (e *waitingError) Unwrap() error { return e.err }

// waiting returns st as it is while err holds the due issue back.
func (st Status) waiting(err error) Status {
	var w *waitingError
	if errors.As(err, &w) {
		st.WaitingForSources, st.WaitingUntil = w.err.Error(), w.until
	}
	return st
}

// collect fetches every source once more before period p's issue is made,
// so it is not built from stale data. Nothing is fetched once the issue
// exists: its items are then the issue's business (refresh, reopen). When
// a source fails within content.source_grace of the firing, it returns a
// *waitingError; after the grace it returns the failure's text, and the
// issue is made from what is there.
func (s *Scheduler) collect(ctx context.Context, p newsletter.Period, fire, now time.Time) (string, error) {
	if s.deps.Collector == nil {
		return "", nil
	}
	_, err := s.deps.Reader.IssueByPeriod(ctx, p)
	if err == nil {
		return "", nil
	}
	if !errors.Is(err, newsletter.ErrNotFound) {
		return "", fmt.Errorf("schedule: look up issue %s: %w", p, err)
	}
	err = s.deps.Collector.CollectAll(ctx)
	if err == nil || ctx.Err() != nil {
		return "", ctx.Err()
	}
	var sf sourceFailure
	if !errors.As(err, &sf) {
		// Not a source's fault (the database, say): a failed check.
		return "", fmt.Errorf("schedule: fetch sources for issue %s: %w", p, err)
	}
	if until := fire.Add(s.cfg.SourceGrace); now.Before(until) {
		return "", &waitingError{period: p, until: until, err: err}
	}
	return err.Error(), nil
}

// sourceFailure is the error of a collection in which sources themselves
// failed (sources.Failed), as opposed to a failure to store what they gave.
type sourceFailure interface {
	error
	FailedSources() []string
}
