package newsletter_test

import (
	"testing"

	"github.com/enews/enews/internal/newsletter"
)

func TestIssueLabelNeverHidesFailures(t *testing.T) {
	tests := []struct {
		status string
		failed int64
		want   string
	}{
		{"sent", 0, "sent"},
		{"sent", 3401, "sent, 3,401 failed"},
		{"sent", 1234567, "sent, 1,234,567 failed"},
		{"sending", 12, "sending"},
		{"paused", 0, "paused"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := newsletter.IssueLabel(tt.status, tt.failed); got != tt.want {
				t.Errorf("IssueLabel(%q, %d) = %q, want %q", tt.status, tt.failed, got, tt.want)
			}
		})
	}
}
