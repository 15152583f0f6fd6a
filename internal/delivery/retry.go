package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/enews/enews/internal/clock"
	"github.com/enews/enews/internal/newsletter"
)

// Backoff between tries of a database call that found the database
// unavailable: short at first (a lock or a deadlock clears in
// milliseconds), then a restart's worth.
const (
	unavailableFirstWait = 50 * time.Millisecond
	unavailableMaxWait   = 2 * time.Second
)

// WhileUnavailable calls op until it succeeds, fails for any reason other
// than newsletter.ErrUnavailable (a database restart, a broken connection,
// a lock or statement timeout, a deadlock), ctx ends, or the database has
// been unavailable for within. It waits between tries with backoff. The
// error, if any, is op's last. op must be safe to repeat: every ledger
// write is, being guarded by its lease owner and the row's status.
func WhileUnavailable(ctx context.Context, within time.Duration, op func() error) error {
	return whileUnavailable(ctx, within, op, nil)
}

func whileUnavailable(ctx context.Context, within time.Duration, op func() error, failed func(tries int, err error)) error {
	deadline := time.Now().Add(within)
	wait := unavailableFirstWait
	for tries := 1; ; tries++ {
		err := op()
		if err == nil || !errors.Is(err, newsletter.ErrUnavailable) {
			return err
		}
		if failed != nil {
			failed(tries, err)
		}
		if ctx.Err() != nil {
			return err
		}
		if time.Now().Add(wait).After(deadline) {
			return fmt.Errorf("%w (unavailable for %s)", err, within)
		}
		if !clock.Sleep(ctx, wait) {
			return err
		}
		wait = min(2*wait, unavailableMaxWait)
	}
}

// retryDB is WhileUnavailable for the engine: it tries for up to a lease
// (how long the rows it holds stay its own), and logs the first failure
// of each outage and the recovery, not every try.
func (e *Engine) retryDB(ctx context.Context, what string, issueID int64, op func() error) error {
	var first time.Time
	err := whileUnavailable(ctx, e.opts.Lease, op, func(tries int, err error) {
		if tries == 1 {
			first = time.Now()
			e.log.Warn("database unavailable: retrying", "op", what, "issue", issueID, "err", err)
		}
	})
	if !first.IsZero() && err == nil {
		e.log.Info("database available again", "op", what, "issue", issueID, "after", time.Since(first).Round(time.Millisecond))
	}
	return err
}

// unavailableLog logs a failure of a periodic call (the keeper's status
// poll and heartbeat, which simply try again at their next tick) once per
// outage, and its end.
type unavailableLog struct {
	log   *slog.Logger
	what  string
	since time.Time
}

func (u *unavailableLog) result(issueID int64, err error) {
	switch {
	case err != nil && u.since.IsZero():
		u.since = time.Now()
		u.log.Warn(u.what+" failed; trying again", "issue", issueID, "err", err)
	case err == nil && !u.since.IsZero():
		u.log.Info(u.what+" works again", "issue", issueID, "after", time.Since(u.since).Round(time.Millisecond))
		u.since = time.Time{}
	}
}
