package newsletter

import (
	"testing"
	"time"
)

func TestRateAndETA(t *testing.T) {
	tests := []struct {
		name     string
		sent     int64
		window   time.Duration
		left     int64
		wantRate float64
		wantETA  time.Duration
		etaOK    bool
	}{
		{"a full minute", 600, time.Minute, 1200, 600, 2 * time.Minute, true},
		{"the first ten seconds", 100, 10 * time.Second, 600, 600, time.Minute, true},
		{"the first message", 1, 0, 50, 12, 250 * time.Second, true},
		{"nothing sent lately", 0, 0, 50, 0, 0, false},
		{"nothing left", 100, time.Minute, 0, 100, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := DeliveryStats{ByStatus: map[string]int64{DeliveryQueued: tt.left, DeliverySent: tt.sent},
				SentLastMin: tt.sent, SentWindow: tt.window}
			if got := s.PerMinute(); got != tt.wantRate {
				t.Errorf("PerMinute = %v, want %v", got, tt.wantRate)
			}
			eta, ok := s.ETA()
			if ok != tt.etaOK || eta != tt.wantETA {
				t.Errorf("ETA = %v, %v; want %v, %v", eta, ok, tt.wantETA, tt.etaOK)
			}
		})
	}
}
