package bounce

import "github.com/prometheus/client_golang/prometheus"

// Metrics counts reports and automatic pauses for /metrics.
type Metrics struct {
	reports *prometheus.CounterVec
	pauses  prometheus.Counter
}

// NewMetrics registers the bounce counters with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		reports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "enews_bounce_reports_total",
			Help: "Bounce, complaint and mailto unsubscribe reports by channel (smtp, webhook provider), type and outcome (recorded, replay, unattributed).",
		}, []string{"channel", "type", "outcome"}),
		pauses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "enews_bounce_pauses_total",
			Help: "Issues paused because a bounce or complaint rate crossed bounces.pause_above.",
		}),
	}
	reg.MustRegister(m.reports, m.pauses)
	return m
}

// ObserveReport counts one report.
func (m *Metrics) ObserveReport(channel, typ, outcome string) {
	m.reports.WithLabelValues(channel, typ, outcome).Inc()
}

// ObservePause counts one automatic pause.
func (m *Metrics) ObservePause() { m.pauses.Inc() }
