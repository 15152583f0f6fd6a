package bounce

import "github.com/prometheus/client_golang/prometheus"

// Metrics counts reports and automatic pauses for /metrics.
type Metrics struct {
	reports *prometheus.CounterVec
	pauses  prometheus.Counter
}

// NewMetrics registers the bounce counters with reg; a second call (the
// listener and the webhooks in one process) shares the first's counters.
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
	m.reports = register(reg, m.reports)
	m.pauses = register(reg, m.pauses)
	return m
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		if are, ok := err.(prometheus.AlreadyRegisteredError); ok {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err) // a clashing metric name is a programming error
	}
	return c
}

// ObserveReport counts one report.
func (m *Metrics) ObserveReport(channel, typ, outcome string) {
	m.reports.WithLabelValues(channel, typ, outcome).Inc()
}

// ObservePause counts one automatic pause.
func (m *Metrics) ObservePause() { m.pauses.Inc() }
