package cli

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/enews/enews/internal/issues"
	"github.com/enews/enews/internal/links"
	"github.com/enews/enews/internal/mailer"
	"github.com/enews/enews/internal/outbox"
	"github.com/enews/enews/internal/store"
	"github.com/enews/enews/internal/web"
)

// webServer is the whole HTTP surface of `enews serve`: the public pages,
// archive and admin API of package web, plus the operational endpoints.
func (a *app) webServer(st *store.Store, svc *issues.Service, l *links.Links, pool *mailer.Pool, box *outbox.Outbox, reg *prometheus.Registry, status func() replicaStatus) (*web.Server, error) {
	signer, err := a.signer()
	if err != nil {
		return nil, err
	}
	health := healthMux(st, reg, status)
	admin, err := a.consoleServer(st, svc, l, pool, box, status)
	if err != nil {
		return nil, err
	}
	extra := map[string]http.Handler{
		"GET /healthz": health, "GET /readyz": health, "GET /metrics": health, "GET /statusz": health,
		"/admin/": admin,
	}
	hooks, err := a.webhooks(st, reg)
	if err != nil {
		return nil, err
	}
	if hooks != nil {
		extra["/webhooks/"] = hooks
	}
	n := a.cfg.Newsletter
	return web.New(web.Deps{
		Store: st, Issues: svc, Signer: signer, Links: l, Outbox: box, Log: a.log, Location: a.cfg.Location(),
		Templates: a.templatesOverride("web"),
		Brand: web.Brand{Newsletter: "eNewsUpdate", ProductName: n.ProductName, ProductURL: n.ProductURL,
			LogoURL: n.LogoURL, OrgAddress: n.OrgAddress},
		Extra: extra,
	})
}
