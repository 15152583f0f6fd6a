package bounce

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
)

// PauseReason is why the bounce policy last paused an issue, from its
// history, or "" when it never did.
func PauseReason(history []newsletter.IssueTransitionRecord) string {
	for i := len(history) - 1; i >= 0; i-- {
		h := history[i]
		if h.Action == newsletter.ActionPause && h.Actor == Actor {
			return h.Note
		}
	}
	return ""
}

// RatesSource reads issues and their bounce counts for the metrics.
type RatesSource interface {
	ListIssues(ctx context.Context, status string, limit int) ([]newsletter.Issue, error)
	IssueBounceRates(ctx context.Context, issueID int64) (store.BounceRates, error)
}

// ratesCollector exports the bounce and complaint rates of the latest
// issues, read when /metrics is scraped.
type ratesCollector struct {
	src  RatesSource
	rate *prometheus.Desc
}

// latestIssues is how many issues, newest period first, the rates cover.
const latestIssues = 3

// RegisterRates exports enews_issue_bounce_rate{period,type} for the
// latest issues.
func RegisterRates(reg prometheus.Registerer, src RatesSource) error {
	return reg.Register(&ratesCollector{src: src, rate: prometheus.NewDesc("enews_issue_bounce_rate",
		"Share of an issue's messages that hard-bounced (type=hard) or were reported as spam (type=complaint), for the latest issues.",
		[]string{"period", "type"}, nil)})
}

func (c *ratesCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.rate }

func (c *ratesCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	list, err := c.src.ListIssues(ctx, "", latestIssues)
	if err != nil {
		return
	}
	for _, is := range list {
		r, err := c.src.IssueBounceRates(ctx, is.ID)
		if err != nil || r.Attempted() == 0 {
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.rate, prometheus.GaugeValue, r.HardRate(), is.Period.String(), TypeHard)
		ch <- prometheus.MustNewConstMetric(c.rate, prometheus.GaugeValue, r.ComplaintRate(), is.Period.String(), TypeComplaint)
	}
}
