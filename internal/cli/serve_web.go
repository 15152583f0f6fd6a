package cli

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/enews/enews/internal/delivery"
	"github.com/enews/enews/internal/links"
	"github.com/enews/enews/internal/mailer"
	"github.com/enews/enews/internal/store"
)

// webHandler is the whole HTTP surface of `enews serve`.
func (a *app) webHandler(st *store.Store, l *links.Links, pool *mailer.Pool, issues *delivery.Issues, reg *prometheus.Registry, status func() replicaStatus) (http.Handler, error) {
	return healthMux(st, reg, status), nil
}
