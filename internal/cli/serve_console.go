package cli

import (
	"github.com/enews/enews/internal/console"
	"github.com/enews/enews/internal/store"
)

// consoleServer is the staff and ops console mounted under /admin/.
func (a *app) consoleServer(st *store.Store) (*console.Console, error) {
	c := a.cfg.Console
	n := a.cfg.Newsletter
	return console.New(console.Deps{
		Users: st, Audit: st,
		BaseURL: a.cfg.Web.BaseURL, Log: a.log, Location: a.cfg.Location(),
		Brand:     console.Brand{Newsletter: "eNewsUpdate", ProductName: n.ProductName},
		Sessions:  store.SessionTimes{Idle: c.SessionIdle, Lifetime: c.SessionLifetime},
		Limits:    console.LoginLimits{Window: c.LoginWindow, PerAccount: c.LoginPerAccount, PerClient: c.LoginPerClient},
		Templates: a.templatesOverride("web/admin"),
	})
}
