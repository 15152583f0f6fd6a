package delivery

import (
	"context"
	"time"

	"github.com/enews/enews/internal/newsletter"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the delivery counters exported on /metrics.
type Metrics struct {
	outcomes *prometheus.CounterVec
	latency  prometheus.Histogram
}

// NewMetrics registers the delivery metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "enews_deliveries_total",
			Help: "Delivery attempts by outcome: sent, retry, failed, skipped.",
		}, []string{"outcome"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "enews_smtp_send_seconds",
			Help:    "Time to hand one message to the SMTP server.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
	}
	reg.MustRegister(m.outcomes, m.latency)
	return m
}

func (m *Metrics) observe(outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.outcomes.WithLabelValues(outcome).Inc()
	if outcome != "skipped" {
		m.latency.Observe(d.Seconds())
	}
}

// LedgerCounter counts the ledger's deliveries by status; store.Store is
// the real one.
type LedgerCounter interface {
	DeliveryCounts(ctx context.Context) (map[string]int64, error)
}

// ledgerCollector reads the ledger at each scrape. enews_deliveries_total
// counts what this process sent; the ledger counts every send, whichever
// process made it: serve's senders or `enews issue send` run by hand,
// whose process is gone before any scrape.
type ledgerCollector struct {
	ledger  LedgerCounter
	desc    *prometheus.Desc
	timeout time.Duration
}

// RegisterLedger exports the ledger's counts as
// enews_ledger_deliveries{status}, read from the database at each scrape.
func RegisterLedger(reg prometheus.Registerer, l LedgerCounter) error {
	return reg.Register(&ledgerCollector{ledger: l, timeout: 2 * time.Second,
		desc: prometheus.NewDesc("enews_ledger_deliveries",
			"Deliveries in the ledger by status, over all issues and every process that sent them (the CLI included).",
			[]string{"status"}, nil)})
}

func (c *ledgerCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *ledgerCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	counts, err := c.ledger.DeliveryCounts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for _, s := range []string{newsletter.DeliveryQueued, newsletter.DeliverySending, newsletter.DeliverySent,
		newsletter.DeliveryFailed, newsletter.DeliveryRetry, newsletter.DeliverySkipped} {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[s]), s)
	}
}
