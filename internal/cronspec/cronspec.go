// Package cronspec is the one rule for the schedule.spec setting: config
// validates with it and the scheduler parses with it, so a spec the
// configuration accepts is always one the scheduler runs.
package cronspec

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Parse accepts the standard five fields (minute hour day month weekday),
// six with a leading seconds field (for tests and demos), or a descriptor
// such as @monthly. It refuses a TZ= prefix (the zone comes from
// schedule.timezone alone, so firings and periods are read in one zone),
// @every (it counts from whenever the process started, so there is no
// "latest firing" to catch up) and a spec that never fires. The schedule
// returned fires in loc.
func Parse(spec string, loc *time.Location) (*cron.SpecSchedule, error) {
	spec = strings.TrimSpace(spec)
	if loc == nil {
		return nil, errors.New("no time zone")
	}
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		return nil, errors.New("set the time zone in schedule.timezone, not in the spec")
	}
	if strings.HasPrefix(spec, "@every") {
		return nil, errors.New("@every is not a calendar schedule: use five fields like \"0 9 1 * *\" or @monthly")
	}
	opts := cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor
	if len(strings.Fields(spec)) == 6 {
		opts |= cron.Second
	}
	s, err := cron.NewParser(opts).Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("want a cron spec like \"0 9 1 * *\": %v", err)
	}
	ss, ok := s.(*cron.SpecSchedule)
	if !ok {
		return nil, errors.New("not a calendar schedule")
	}
	// The parser leaves the zone as time.Local, which cron reads as "the
	// zone of the time given"; pinning it makes every Next independent of
	// callers.
	ss.Location = loc
	if ss.Next(time.Now().In(loc)).IsZero() {
		return nil, errors.New("never fires")
	}
	return ss, nil
}

// HasSeconds reports whether spec has the leading seconds field.
func HasSeconds(spec string) bool { return len(strings.Fields(spec)) == 6 }
