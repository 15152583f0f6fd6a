package delivery

import (
	"time"

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
