package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/enews/enews/internal/newsletter"
)

func TestBars(t *testing.T) {
	tests := []struct {
		done, total int64
		want        string
	}{
		{0, 100, "[>         ]   0%"},
		{50, 100, "[=====>    ]  50%"},
		{100, 100, "[==========] 100%"},
		{150, 100, "[==========] 100%"},
		{2_500_000, 0, "2.5 MB read"},
		{2_500_000, 5_000_000, "[=====>    ]  50%  2.5 of 5.0 MB"},
	}
	for _, tt := range tests {
		if got := byteBar(10, tt.done, tt.total); !strings.HasPrefix(got, tt.want) {
			t.Errorf("byteBar(%d, %d) = %q, want prefix %q", tt.done, tt.total, got, tt.want)
		}
	}
	if got := progressLine(sendStats(3, 1, 6, 42)); got != "[=========>    ]  66%  4 of 6 done  42/min" {
		t.Errorf("progressLine = %q", got)
	}
}

func sendStats(sent, failed, total, perMin int64) newsletter.DeliveryStats {
	return newsletter.DeliveryStats{ByStatus: map[string]int64{
		newsletter.DeliverySent: sent, newsletter.DeliveryFailed: failed,
		newsletter.DeliveryQueued: total - sent - failed,
	}, SentLastMin: perMin, SentWindow: time.Minute}
}
