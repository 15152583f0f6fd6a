package delivery_test

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/enews/enews/internal/delivery"
	"github.com/enews/enews/internal/newsletter"
)

// TestLedgerMetricCountsEverySend: the ledger gauge counts deliveries sent
// by any engine, such as one an `enews issue send` ran in a process that
// is gone before /metrics is scraped.
func TestLedgerMetricCountsEverySend(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 12)
	e, c := f.engine(t, f.opts("cli"))
	if _, err := e.Run(context.Background(), f.issue, c, true); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry() // a serve process's, which sent nothing itself
	if err := delivery.RegisterLedger(reg, f.st); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, fam := range families {
		if fam.GetName() != "enews_ledger_deliveries" {
			continue
		}
		for _, m := range fam.GetMetric() {
			got[m.GetLabel()[0].GetValue()] = m.GetGauge().GetValue()
		}
	}
	if got[newsletter.DeliverySent] != 12 || got[newsletter.DeliveryQueued] != 0 {
		t.Fatalf("enews_ledger_deliveries %v, want 12 sent and none queued", got)
	}
}
