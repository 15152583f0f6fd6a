package cronspec

import (
	"math/bits"

	"github.com/robfig/cron/v3"
)

// starBit is how robfig/cron marks a field written as "*" or "?".
const starBit = 1 << 63

// Cadence says in words how often a schedule fires, for pages that promise
// subscribers a rhythm ("once a month"). It is empty when the schedule has
// no simple rhythm (several days a month, some months only, seconds), so a
// page never promises what the schedule does not keep.
func Cadence(s *cron.SpecSchedule) string {
	if s == nil || !one(s.Second) || !one(s.Minute) || !one(s.Hour) || !star(s.Month) {
		return ""
	}
	switch {
	case one(s.Dom) && star(s.Dow):
		return "once a month"
	case star(s.Dom) && one(s.Dow):
		return "once a week"
	case star(s.Dom) && star(s.Dow):
		return "once a day"
	}
	return ""
}

func star(field uint64) bool { return field&starBit != 0 }

// one reports a field that names a single value.
func one(field uint64) bool { return !star(field) && bits.OnesCount64(field) == 1 }
