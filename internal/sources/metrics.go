package sources

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/enews/enews/internal/newsletter"
)

// Metrics counts fetches by outcome and shows each source's health, read
// from the database when scraped so every replica reports the same.
type Metrics struct {
	fetches *prometheus.CounterVec
}

// Lister lists the sources for the health gauges.
type Lister interface {
	ListSources(ctx context.Context) ([]newsletter.Source, error)
}

// NewMetrics registers the source metrics with reg.
func NewMetrics(reg prometheus.Registerer, l Lister) *Metrics {
	m := &Metrics{fetches: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "enews_source_fetches_total",
		Help: "Source fetches made by this process, by outcome (fetched, not-modified, failed).",
	}, []string{"outcome"})}
	reg.MustRegister(m.fetches, &health{l: l,
		failures: prometheus.NewDesc("enews_source_failures", "Fetches of a source that failed in a row (0: healthy).", []string{"source"}, nil),
		success: prometheus.NewDesc("enews_source_last_success_timestamp_seconds", "When a source was last fetched successfully.",
			[]string{"source"}, nil),
	})
	return m
}

func (m *Metrics) fetched(outcome string) {
	if m != nil {
		m.fetches.WithLabelValues(outcome).Inc()
	}
}

type health struct {
	l                 Lister
	failures, success *prometheus.Desc
}

func (h *health) Describe(ch chan<- *prometheus.Desc) { ch <- h.failures; ch <- h.success }

func (h *health) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	all, err := h.l.ListSources(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(h.failures, err)
		return
	}
	for _, s := range all {
		if !s.Enabled {
			continue
		}
		ch <- prometheus.MustNewConstMetric(h.failures, prometheus.GaugeValue, float64(s.Failures), s.Name)
		if s.LastSuccessAt != nil {
			ch <- prometheus.MustNewConstMetric(h.success, prometheus.GaugeValue, float64(s.LastSuccessAt.Unix()), s.Name)
		}
	}
}
