// Package schedule makes each period's issue on time, once, from one replica:
// a cron spec in a configured time zone says when, a PostgreSQL advisory lock
// (Leader) says which replica, and a catch-up on start and on every firing
// makes the newest due issue if an outage made the firing pass unseen.
//
// A firing covers the last full calendar month before its scheduled time, in
// the schedule's zone: 09:00 on 1 June makes May's issue, whatever moment the
// job actually runs, and so does any other firing during June.
package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/enews/enews/internal/clock"
	"github.com/enews/enews/internal/issues"
	"github.com/enews/enews/internal/newsletter"
)

// Actor is who the scheduler's changes are logged as.
const Actor = "scheduler"

// Creator makes a period's issue, or returns the one that exists;
// issues.Service is the real one.
type Creator interface {
	Create(ctx context.Context, p newsletter.Period, opts issues.CreateOptions) (newsletter.Issue, bool, error)
}

// IssueReader reads an issue without creating it: a period beyond the
// catch-up window is only looked at. store.Store is the real one.
type IssueReader interface {
	IssueByPeriod(ctx context.Context, p newsletter.Period) (newsletter.Issue, error)
}

// Sender takes an issue to sending: it approves a draft (when approval is
// not required), starts an approved issue and joins one already sending;
// issues.Service is the real one. It returns an error wrapping
// newsletter.ErrConflict when the issue has moved on (cancelled, paused).
type Sender interface {
	Send(ctx context.Context, p newsletter.Period, opts issues.CreateOptions) (issues.Result, error)
}

// Notifier tells the approvers that a draft issue waits for them.
type Notifier interface {
	AwaitingApproval(ctx context.Context, issue newsletter.Issue) error
}

// Collector fetches every enabled source once more right before an issue
// is made; sources.Poller is the real one. Its error names the sources
// that failed; the others' items are stored.
type Collector interface {
	CollectAll(ctx context.Context) error
}

// Deps are the scheduler's collaborators; all but Collector are required.
// Without a Collector the issue is made from the items table as it is.
type Deps struct {
	Creator   Creator
	Reader    IssueReader
	Sender    Sender
	Notifier  Notifier
	Collector Collector
}

// Config tunes a Scheduler. Spec and Location are required.
type Config struct {
	// Spec is a cron spec: five fields (minute hour day month weekday), six
	// with a leading seconds field, or a descriptor such as @monthly.
	Spec     string
	Location *time.Location
	// RequireApproval leaves a new draft for the approvers (who are told);
	// without it the draft is frozen and sent at once.
	RequireApproval bool
	// CatchUpWindow is how late a firing may still make its issue; older
	// firings without an issue are reported as missed, never sent.
	CatchUpWindow time.Duration
	// RetryInterval is the first wait before retrying a failed check,
	// doubled on each failure up to an hour; without retries a passing
	// database outage would cost a whole month.
	RetryInterval time.Duration
	// MissedLookback is how many older periods a check looks at for gaps.
	MissedLookback int
	// SourceGrace is how long after its firing a due issue waits for
	// failing sources before it is made from what is there; zero waits
	// not at all.
	SourceGrace time.Duration
	// Now is the clock; tests set it to stand at any moment.
	Now func() time.Time
}

// Defaults for the optional settings.
const (
	DefaultCatchUpWindow  = 7 * 24 * time.Hour
	DefaultRetryInterval  = time.Minute
	DefaultMissedLookback = 12
)

// Scheduler runs the schedule while its Run lasts.
type Scheduler struct {
	cfg  Config
	plan plan
	deps Deps
	log  *slog.Logger

	mu      sync.Mutex
	status  Status
	notify  map[newsletter.Period]bool // drafts whose approvers are still to be told
	missLog map[newsletter.Period]bool // missed periods already logged
}

// New checks the spec and fills defaults, so a bad spec fails at start.
func New(cfg Config, deps Deps, log *slog.Logger) (*Scheduler, error) {
	if deps.Creator == nil || deps.Reader == nil || deps.Sender == nil || deps.Notifier == nil {
		return nil, fmt.Errorf("schedule: %w: Creator, Reader, Sender and Notifier are required", newsletter.ErrInvalid)
	}
	p, err := parsePlan(cfg.Spec, cfg.Location)
	if err != nil {
		return nil, err
	}
	if cfg.CatchUpWindow <= 0 {
		cfg.CatchUpWindow = DefaultCatchUpWindow
	}
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = DefaultRetryInterval
	}
	if cfg.MissedLookback <= 0 {
		cfg.MissedLookback = DefaultMissedLookback
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Scheduler{cfg: cfg, plan: p, deps: deps, log: log,
		notify: map[newsletter.Period]bool{}, missLog: map[newsletter.Period]bool{}}
	s.status = Status{Spec: p.spec, TimeZone: p.loc.String()}
	return s, nil
}

// Run catches up, then follows the schedule until ctx ends, and returns once
// the job in progress, if any, has returned. Only one replica should run it
// at a time (see Leader); a second one makes no second issue, but could tell
// approvers twice.
func (s *Scheduler) Run(ctx context.Context) error {
	jobLog := cronLogger{log: s.log, info: slog.LevelInfo}
	c := cron.New(
		cron.WithLocation(s.plan.loc),
		cron.WithLogger(cronLogger{log: s.log, info: slog.LevelDebug}),
		cron.WithChain(jobChain(jobLog)...),
	)
	var id cron.EntryID
	id = c.Schedule(s.plan.schedule, cron.FuncJob(func() {
		// cron records the firing as the entry's Prev before it answers
		// this snapshot request, so Prev is the firing being run.
		s.tick(ctx, c.Entry(id).Prev)
	}))
	// The catch-up goes through the same wrapped job as the firings, so it
	// is serialised with them and a panic in it is recovered and logged.
	job := c.Entry(id).WrappedJob
	c.Start()
	s.setRunning(true)
	s.log.Info("schedule: started", "spec", s.plan.spec, "tz", s.plan.loc.String(),
		"next", s.plan.next(s.cfg.Now()))

	job.Run()
	<-ctx.Done()
	<-c.Stop().Done()
	s.setRunning(false)
	s.log.Info("schedule: stopped")
	return nil
}

// tick checks the newest due period until a check succeeds or ctx ends.
// scheduled is the firing cron is running, zero for the catch-up on start.
func (s *Scheduler) tick(ctx context.Context, scheduled time.Time) {
	wait := s.cfg.RetryInterval
	for ctx.Err() == nil {
		now := s.cfg.Now()
		// The timer can fire a hair before the wall clock reads the
		// scheduled time; the firing must not look like a future one.
		if now.Before(scheduled) {
			now = scheduled
		}
		fire, err := s.check(ctx, now)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.setError(err)
			sleep := wait
			var w *waitingError
			if errors.As(err, &w) {
				// The last try comes when the grace ends, not up to an
				// hour after it.
				sleep = max(min(wait, w.until.Sub(now)), time.Second)
				// Expected while a feed is down: a warning, not an error.
				s.log.Warn("schedule: issue waits for its sources; will retry", "period", w.period.String(),
					"failed", w.err.Error(), "retry_in", sleep, "grace_ends", w.until)
			} else {
				s.log.Error("schedule: check failed; will retry", "err", err, "retry_in", wait)
			}
			if !clock.Sleep(ctx, sleep) {
				return
			}
			// Doubling, up to an hour: a brief outage is bridged quickly,
			// a lasting fault does not flood the log for the whole window.
			wait = min(2*wait, max(time.Hour, s.cfg.RetryInterval))
			continue
		}
		// A firing that came while this check ran was dropped by
		// SkipIfStillRunning; look again rather than leave its period to
		// the next firing, possibly a month away.
		latest, ok := s.plan.latest(s.cfg.Now())
		if !ok || !latest.After(fire) {
			return
		}
	}
}

// jobChain wraps the job so that overlapping firings are skipped and a panic
// is logged instead of ending the process. The first wrapper is the outermost
// (cron.Chain.Then). Recover has to sit inside SkipIfStillRunning, where it
// stops the panic before it unwinds SkipIfStillRunning's wrapper: that wrapper
// hands its run token back only when the job returns, so a panic passing
// through it loses the token and every later firing is skipped for good
// (TestJobChainSurvivesPanic pins this).
func jobChain(log cron.Logger) []cron.JobWrapper {
	return []cron.JobWrapper{cron.SkipIfStillRunning(log), cron.Recover(log)}
}
