package cli

import (
	"fmt"
	"net/http"
	"net/netip"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/enews/enews/internal/config"
	"github.com/enews/enews/internal/cronspec"
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
	clientIP, err := a.clientIP()
	if err != nil {
		return nil, err
	}
	admin, err := a.consoleServer(st, svc, l, pool, box, status, clientIP)
	if err != nil {
		return nil, err
	}
	hooks, err := a.webhooks(st, reg)
	if err != nil {
		return nil, err
	}
	n := a.cfg.Newsletter
	return web.New(web.Deps{
		Store: st, Issues: svc, Signer: signer, Links: l, Outbox: box, Log: a.log, Location: a.cfg.Location(),
		Templates: a.templatesOverride("web"),
		Brand: web.Brand{Newsletter: n.Name, ProductName: n.ProductName, ProductURL: n.ProductURL,
			LogoURL: n.LogoURL, OrgAddress: n.OrgAddress, Cadence: a.cadence()},
		Admin: admin, Webhooks: hooks, Ready: readiness(st), HTTP: a.httpLimits(), ClientIP: clientIP,
	})
}

// httpLimits are the timeouts and body limits of every HTTP listener.
func (a *app) httpLimits() web.HTTPLimits {
	w := a.cfg.Web
	return web.HTTPLimits{ReadHeaderTimeout: w.ReadHeaderTimeout, ReadTimeout: w.ReadTimeout, WriteTimeout: w.WriteTimeout,
		IdleTimeout: w.IdleTimeout, MaxBodyBytes: w.MaxBodyBytes, ImportTimeout: w.ImportTimeout, MaxImportBytes: w.MaxImportBytes}
}

// clientIP tells a request's client address, believing X-Forwarded-For
// only from web.trusted_proxies.
func (a *app) clientIP() (func(*http.Request) netip.Addr, error) {
	var trusted []netip.Prefix
	for _, c := range a.cfg.Web.TrustedProxies {
		p, err := config.ParsePrefix(c)
		if err != nil {
			return nil, fmt.Errorf("web.trusted_proxies: %w", err)
		}
		trusted = append(trusted, p)
	}
	return web.ClientIPBehind(trusted), nil
}

// cadence is the schedule's rhythm in words for the public pages; config
// has already validated the spec, so a parse error only means no promise.
func (a *app) cadence() string {
	s, err := cronspec.Parse(a.cfg.Schedule.Spec, a.cfg.Location())
	if err != nil {
		return ""
	}
	return cronspec.Cadence(s)
}
