package cli

import (
	"net/http"
	"net/netip"

	"github.com/enews/enews/internal/console"
	"github.com/enews/enews/internal/content"
	"github.com/enews/enews/internal/issues"
	"github.com/enews/enews/internal/links"
	"github.com/enews/enews/internal/mailer"
	"github.com/enews/enews/internal/outbox"
	"github.com/enews/enews/internal/store"
)

// consoleServer is the staff and ops console mounted under /admin/.
func (a *app) consoleServer(st *store.Store, svc *issues.Service, l *links.Links, pool *mailer.Pool, box *outbox.Outbox, status func() replicaStatus, clientIP func(*http.Request) netip.Addr) (*console.Console, error) {
	sender, err := a.mailSender(pool, l)
	if err != nil {
		return nil, err
	}
	c := a.cfg.Console
	n := a.cfg.Newsletter
	return console.New(console.Deps{
		Users: st, Audit: st, Subscribers: st, Dashboard: st, Issues: st, Lifecycle: svc, Admin: st, Sources: st, Items: st,
		ItemOptions: content.Options{DefaultKind: a.cfg.Content.DefaultKind, MaxSummary: a.cfg.Content.MaxSummary},
		ClientIP:    clientIP,
		Tester:      console.MailTester{Sender: sender, Links: l, Outbox: box},
		Status:      func() console.ReplicaStatus { return consoleStatus(status()) },
		BaseURL:     a.cfg.Web.BaseURL, Log: a.log, Location: a.cfg.Location(),
		Brand:     console.Brand{Newsletter: a.cfg.Newsletter.Name, ProductName: n.ProductName},
		Sessions:  store.SessionTimes{Idle: c.SessionIdle, Lifetime: c.SessionLifetime},
		Limits:    console.LoginLimits{Window: c.LoginWindow, PerAccount: c.LoginFailuresPerAccount, PerClient: c.LoginFailuresPerClient},
		Templates: a.templatesOverride("web/admin"),
	})
}

func consoleStatus(rs replicaStatus) console.ReplicaStatus {
	out := console.ReplicaStatus{Leader: rs.Leader}
	if s := rs.Schedule; s != nil {
		out.Scheduler, out.Spec, out.DueStatus, out.NextFire = true, s.Spec, s.DueStatus, s.NextFire
		if !s.LastFire.IsZero() {
			out.Due = s.Due.String()
		}
		for _, m := range s.Missed {
			out.Missed = append(out.Missed, m.Period.String())
		}
	}
	return out
}
