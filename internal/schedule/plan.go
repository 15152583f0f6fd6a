package schedule

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/enews/enews/internal/cronspec"
	"github.com/enews/enews/internal/newsletter"
)

// plan is the parsed spec in its time zone: when the job fires, and which
// period each firing covers.
type plan struct {
	spec     string
	seconds  bool // six fields: the first is seconds
	schedule *cron.SpecSchedule
	loc      *time.Location
}

// maxLookBack bounds the search for the latest firing: cron itself gives up
// on a schedule that has no firing within five years.
const maxLookBack = 6 * 366 * 24 * time.Hour

// parsePlan reads spec by the one rule for schedule.spec (cronspec.Parse).
func parsePlan(spec string, loc *time.Location) (plan, error) {
	spec = strings.TrimSpace(spec)
	ss, err := cronspec.Parse(spec, loc)
	if err != nil {
		return plan{}, fmt.Errorf("schedule: spec %q: %w: %v", spec, newsletter.ErrInvalid, err)
	}
	return plan{spec: spec, seconds: cronspec.HasSeconds(spec), schedule: ss, loc: loc}, nil
}

// next is the first firing after t, or zero if there is none within five years.
func (p plan) next(t time.Time) time.Time {
	return p.schedule.Next(t.In(p.loc))
}

// latest is the last firing at or before now. It widens the look-back window
// by doubling instead of stepping through every firing from a fixed distant
// start, which would take millions of steps for a spec that fires every
// second; it then steps forward only through the firings of the last window.
func (p plan) latest(now time.Time) (time.Time, bool) {
	now = now.In(p.loc)
	for w := time.Minute; w <= maxLookBack; w *= 2 {
		t := p.schedule.Next(now.Add(-w))
		if t.IsZero() || t.After(now) {
			continue
		}
		for {
			n := p.schedule.Next(t)
			if n.IsZero() || n.After(now) {
				return t, true
			}
			t = n
		}
	}
	return time.Time{}, false
}

// period is the issue a firing makes: the last full calendar month before
// the firing, in the schedule's zone. For the default 09:00 on the 1st that
// is the month that just ended; a spec firing mid-month (or several times a
// month) still covers the previous month, never the one in progress, so
// every firing in one month names the same period and creates one issue.
func (p plan) period(fire time.Time) newsletter.Period {
	return newsletter.PeriodOf(fire, p.loc).Prev()
}

// previous is the latest firing that covers an older period than fire does:
// the last firing before the calendar month fire falls in.
func (p plan) previous(fire time.Time) (time.Time, bool) {
	f := fire.In(p.loc)
	start := time.Date(f.Year(), f.Month(), 1, 0, 0, 0, 0, p.loc)
	return p.latest(start.Add(-time.Nanosecond))
}

// cronLogger makes cron log through slog. cron reports every wake-up at
// Info, too chatty for an operator, so those go to Debug unless the adapter
// serves the job wrappers, whose skips operators want to see.
type cronLogger struct {
	log  *slog.Logger
	info slog.Level
}

func (l cronLogger) Info(msg string, keysAndValues ...any) {
	l.log.Log(context.Background(), l.info, "cron: "+msg, keysAndValues...)
}

func (l cronLogger) Error(err error, msg string, keysAndValues ...any) {
	l.log.Error("cron: "+msg, append([]any{"err", err}, keysAndValues...)...)
}
