package cronspec

import (
	"testing"
	"time"
)

func TestCadence(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"0 9 1 * *", "once a month"},
		{"@monthly", "once a month"},
		{"30 8 15 * *", "once a month"},
		{"0 9 * * 1", "once a week"},
		{"@weekly", "once a week"},
		{"0 9 * * *", "once a day"},
		{"0 9 1,15 * *", ""},
		{"0 9 1 1,4,7,10 *", ""},
		{"*/5 * * * *", ""},
		{"*/3 * * * * *", ""},
		{"0 9 1 * 1", ""},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			s, err := Parse(tc.spec, time.UTC)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.spec, err)
			}
			if got := Cadence(s); got != tc.want {
				t.Errorf("Cadence(%q) = %q, want %q", tc.spec, got, tc.want)
			}
		})
	}
}
