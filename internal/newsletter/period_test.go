package newsletter

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParsePeriod(t *testing.T) {
	tests := []struct {
		in      string
		want    Period
		wantErr string
	}{
		{"2022-05", Period{2022, time.May}, ""},
		{"2022-12", Period{2022, time.December}, ""},
		{"0001-01", Period{1, time.January}, ""},
		{"2022-13", Period{}, "there is no month 13"},
		{"2022-00", Period{}, "there is no month 00"},
		{"0000-05", Period{}, "there is no year 0000"},
		{"2022-5", Period{}, "want a month as YYYY-MM"},
		{"2022/05", Period{}, "want a month as YYYY-MM"},
		{"22-05-01", Period{}, "want a month as YYYY-MM"},
		{"２０２２-05", Period{}, "want a month as YYYY-MM"},
		{"", Period{}, "want a month as YYYY-MM"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePeriod(tt.in)
			if tt.wantErr != "" {
				var p *Problem
				if !errors.As(err, &p) || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParsePeriod(%q) = %v, %v; want an invalid-input problem with %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParsePeriod(%q) (-want +got):\n%s", tt.in, diff)
			}
			if got.String() != tt.in {
				t.Errorf("String() = %q, want %q back", got.String(), tt.in)
			}
		})
	}
}

func TestPeriodArithmetic(t *testing.T) {
	zurich, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		t.Skip("no zone database:", err)
	}
	t.Run("bounds are the month's first instants in the zone", func(t *testing.T) {
		start, end := Period{2022, time.March}.Bounds(zurich)
		want := []time.Time{time.Date(2022, 3, 1, 0, 0, 0, 0, zurich), time.Date(2022, 4, 1, 0, 0, 0, 0, zurich)}
		if diff := cmp.Diff(want, []time.Time{start, end}); diff != "" {
			t.Errorf("Bounds (-want +got):\n%s", diff)
		}
		// March has a daylight-saving change: the bounds are still a calendar
		// month apart, not 31×24 hours.
		if end.Sub(start) != 31*24*time.Hour-time.Hour {
			t.Errorf("March 2022 in Zurich lasts %s", end.Sub(start))
		}
	})
	t.Run("prev crosses the year", func(t *testing.T) {
		if diff := cmp.Diff(Period{2021, time.December}, Period{2022, time.January}.Prev()); diff != "" {
			t.Error(diff)
		}
	})
	t.Run("the month of an instant depends on the zone", func(t *testing.T) {
		// 23:30 UTC on 31 May is already 1 June in Zurich.
		at := time.Date(2022, 5, 31, 23, 30, 0, 0, time.UTC)
		if got := PeriodOf(at, time.UTC); got != (Period{2022, time.May}) {
			t.Errorf("PeriodOf UTC = %v", got)
		}
		if got := PeriodOf(at, zurich); got != (Period{2022, time.June}) {
			t.Errorf("PeriodOf Zurich = %v", got)
		}
	})
}

func TestParseDate(t *testing.T) {
	zurich, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		t.Skip("no zone database:", err)
	}
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2022-05-31", time.Date(2022, 5, 31, 0, 0, 0, 0, zurich), true},
		{" 2022-05-31 ", time.Date(2022, 5, 31, 0, 0, 0, 0, zurich), true},
		{"2022-05-31T09:00:00+02:00", time.Date(2022, 5, 31, 7, 0, 0, 0, time.UTC), true},
		{"2022-02-30", time.Time{}, false},
		{"yesterday", time.Time{}, false},
		{"31.05.2022", time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDate(tt.in, zurich)
			if !tt.ok {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("ParseDate(%q) = %v, %v; want ErrInvalid", tt.in, got, err)
				}
				return
			}
			if err != nil || !got.Equal(tt.want) {
				t.Fatalf("ParseDate(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}
