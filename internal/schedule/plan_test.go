package schedule

import (
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"
	_ "time/tzdata" // the tests must not depend on the machine's zoneinfo

	"github.com/robfig/cron/v3"

	"github.com/enews/enews/internal/newsletter"
)

func zurich(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestPlanLatestAndPeriod(t *testing.T) {
	for _, tc := range []struct {
		name, spec string
		now        string // RFC 3339
		fire       string // the latest firing at or before now, in UTC
		period     string
	}{
		{"default spec, a few days after", "0 9 1 * *", "2026-06-04T10:00:00Z", "2026-06-01T07:00:00Z", "2026-05"},
		{"exactly at the firing", "0 9 1 * *", "2026-06-01T07:00:00Z", "2026-06-01T07:00:00Z", "2026-05"},
		{"a second before the firing", "0 9 1 * *", "2026-06-01T06:59:59Z", "2026-05-01T07:00:00Z", "2026-04"},
		{"January covers December", "0 9 1 * *", "2027-01-01T08:00:00Z", "2027-01-01T08:00:00Z", "2026-12"},
		{"after the spring change: 09:00 CEST", "0 9 1 * *", "2026-04-01T07:00:05Z", "2026-04-01T07:00:00Z", "2026-03"},
		{"09:00 UTC is not 09:00 in Zurich", "0 9 1 * *", "2026-04-01T06:59:00Z", "2026-03-01T08:00:00Z", "2026-02"},
		{"after the autumn change: 09:00 CET", "0 9 1 * *", "2026-11-01T08:00:05Z", "2026-11-01T08:00:00Z", "2026-10"},
		{"before the autumn change: 09:00 CEST", "0 9 1 * *", "2026-10-01T07:30:00Z", "2026-10-01T07:00:00Z", "2026-09"},
		{"daily spec on the spring change day", "0 9 * * *", "2026-03-29T07:00:01Z", "2026-03-29T07:00:00Z", "2026-02"},
		{"daily spec the day before it", "0 9 * * *", "2026-03-29T06:59:59Z", "2026-03-28T08:00:00Z", "2026-02"},
		{"mid-month firing covers the last full month", "0 9 15 * *", "2026-06-20T00:00:00Z", "2026-06-15T07:00:00Z", "2026-05"},
		{"midnight on the 1st covers the month just ended", "0 0 1 * *", "2026-06-01T00:30:00+02:00", "2026-05-31T22:00:00Z", "2026-05"},
		{"quarterly", "0 9 1 1,4,7,10 *", "2026-06-15T00:00:00Z", "2026-04-01T07:00:00Z", "2026-03"},
		{"descriptor", "@monthly", "2026-06-15T00:00:00Z", "2026-05-31T22:00:00Z", "2026-05"},
		{"six fields: seconds", "*/2 * * * * *", "2026-06-15T10:00:03.5Z", "2026-06-15T10:00:02Z", "2026-05"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := parsePlan(tc.spec, zurich(t))
			if err != nil {
				t.Fatal(err)
			}
			fire, ok := p.latest(utc(tc.now))
			if !ok || !fire.Equal(utc(tc.fire)) {
				t.Fatalf("latest(%s) = %s, %v; want %s", tc.now, fire.UTC().Format(time.RFC3339), ok, tc.fire)
			}
			if got := p.period(fire).String(); got != tc.period {
				t.Fatalf("period = %s, want %s", got, tc.period)
			}
		})
	}
}

func TestPlanNextAcrossDST(t *testing.T) {
	p, err := parsePlan("0 9 1 * *", zurich(t))
	if err != nil {
		t.Fatal(err)
	}
	// Every firing of 2026 at 09:00 on the wall clocks of Zurich: 08:00 UTC
	// in winter time, 07:00 UTC in summer time.
	want := []string{
		"2026-02-01T08:00:00Z", "2026-03-01T08:00:00Z", "2026-04-01T07:00:00Z",
		"2026-05-01T07:00:00Z", "2026-06-01T07:00:00Z", "2026-07-01T07:00:00Z",
		"2026-08-01T07:00:00Z", "2026-09-01T07:00:00Z", "2026-10-01T07:00:00Z",
		"2026-11-01T08:00:00Z", "2026-12-01T08:00:00Z", "2027-01-01T08:00:00Z",
	}
	at := utc("2026-01-15T00:00:00Z")
	for _, w := range want {
		at = p.next(at)
		if !at.Equal(utc(w)) {
			t.Fatalf("next firing %s, want %s", at.UTC().Format(time.RFC3339), w)
		}
		if local := at.In(zurich(t)); local.Hour() != 9 || local.Minute() != 0 {
			t.Fatalf("firing %s is not 09:00 in Zurich", local)
		}
	}
}

func TestPlanPrevious(t *testing.T) {
	for _, tc := range []struct {
		name, spec, fire, prev string
	}{
		{"monthly", "0 9 1 * *", "2026-04-01T07:00:00Z", "2026-03-01T08:00:00Z"},
		{"daily skips the rest of its month", "0 9 * * *", "2026-06-04T07:00:00Z", "2026-05-31T07:00:00Z"},
		{"quarterly", "0 9 1 1,4,7,10 *", "2026-07-01T07:00:00Z", "2026-04-01T07:00:00Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := parsePlan(tc.spec, zurich(t))
			if err != nil {
				t.Fatal(err)
			}
			prev, ok := p.previous(utc(tc.fire))
			if !ok || !prev.Equal(utc(tc.prev)) {
				t.Fatalf("previous = %s, %v; want %s", prev.UTC().Format(time.RFC3339), ok, tc.prev)
			}
		})
	}
}

func TestParsePlanRejects(t *testing.T) {
	for _, tc := range []struct {
		name, spec string
		loc        *time.Location
	}{
		{"garbage", "every month", zurich(t)},
		{"four fields", "0 9 1 *", zurich(t)},
		{"seven fields", "0 0 9 1 * * *", zurich(t)},
		{"@every has no calendar", "@every 1h", zurich(t)},
		{"zone in the spec", "CRON_TZ=UTC 0 9 1 * *", zurich(t)},
		{"never fires", "0 9 30 2 *", zurich(t)},
		{"no zone", "0 9 1 * *", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := parsePlan(tc.spec, tc.loc); !errors.Is(err, newsletter.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

// TestJobChainSurvivesPanic pins the wrapper order: after a panicking run
// the job must still run, and the panic must not escape.
func TestJobChainSurvivesPanic(t *testing.T) {
	log := cronLogger{log: slog.New(slog.NewTextHandler(io.Discard, nil)), info: slog.LevelInfo}
	for _, tc := range []struct {
		name     string
		wrappers []cron.JobWrapper
		survives bool
	}{
		{"jobChain", jobChain(log), true},
		{"Recover outermost loses the token", []cron.JobWrapper{cron.Recover(log), cron.SkipIfStillRunning(log)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runs := 0
			job := cron.NewChain(tc.wrappers...).Then(cron.FuncJob(func() {
				runs++
				if runs == 1 {
					panic("first run fails")
				}
			}))
			job.Run()
			job.Run()
			if got := runs == 2; got != tc.survives {
				t.Fatalf("runs = %d after a panic; survives = %v, want %v", runs, got, tc.survives)
			}
		})
	}
}
