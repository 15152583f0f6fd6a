package console

import (
	"fmt"
	"io/fs"
	"net/http"

	"github.com/enews/enews/internal/newsletter"
)

func (c *Console) routes(origin string) (http.Handler, error) {
	// Form posts from another site are refused by the browser's own
	// Sec-Fetch-Site and Origin headers; the SameSite=Lax cookie is a
	// second line for browsers that send neither.
	cop := http.NewCrossOriginProtection()
	if err := cop.AddTrustedOrigin(origin); err != nil {
		return nil, fmt.Errorf("console: base url: %w", err)
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.log.Warn("console: cross-origin request refused", "method", r.Method, "path", r.URL.Path,
			"origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
		c.message(w, r, http.StatusForbidden, "Refused: sent from another site",
			"This form was sent from another site, so it was not accepted. Open the console page and try again.")
	}))
	assets, err := fs.Sub(c.pages.fsys, "assets")
	if err != nil {
		return nil, fmt.Errorf("console: assets: %w", err)
	}
	m := http.NewServeMux()
	m.Handle("GET /admin/assets/", http.StripPrefix("/admin/assets/", http.FileServerFS(assets)))
	m.HandleFunc("GET /admin/login", c.loginForm)
	m.HandleFunc("POST /admin/login", c.login)
	m.Handle("POST /admin/logout", c.guard(newsletter.ReadIssues, c.logout))
	m.Handle("GET /admin/{$}", c.guard(newsletter.ReadIssues, c.dashboard))
	if c.d.Subscribers != nil {
		m.Handle("GET /admin/subscribers", c.guard(newsletter.ReadSubscribers, c.subscriberList))
		m.Handle("POST /admin/subscribers", c.guard(newsletter.WriteSubscribers, c.subscriberAdd))
		m.Handle("GET /admin/subscribers/export", c.guard(newsletter.ReadSubscribers, c.export))
		m.Handle("GET /admin/subscribers/import", c.guard(newsletter.WriteSubscribers, c.importForm))
		m.Handle("POST /admin/subscribers/import", c.guard(newsletter.WriteSubscribers, c.importUpload))
		m.Handle("GET /admin/subscribers/{id}", c.guard(newsletter.ReadSubscribers, c.subscriberPage))
		m.Handle("POST /admin/subscribers/{id}", c.guard(newsletter.WriteSubscribers, c.subscriberEdit))
		m.Handle("POST /admin/subscribers/{id}/unsubscribe", c.guard(newsletter.WriteSubscribers, c.subscriberUnsubscribe))
		m.Handle("POST /admin/subscribers/{id}/erase", c.guard(newsletter.WriteSubscribers, c.subscriberErase))
	}
	if c.d.Issues != nil && c.d.Lifecycle != nil {
		m.Handle("GET /admin/issues", c.guard(newsletter.ReadIssues, c.issueList))
		m.Handle("POST /admin/issues", c.guard(newsletter.WriteIssues, c.issueCreate))
		m.Handle("GET /admin/issues/{period}", c.guard(newsletter.ReadIssues, c.issuePage))
		m.Handle("GET /admin/issues/{period}/preview", c.guard(newsletter.ReadIssues, c.issuePreview))
		m.Handle("GET /admin/issues/{period}/progress.json", c.guard(newsletter.ReadIssues, c.issueProgress))
		m.Handle("POST /admin/issues/{period}/{action}", c.guard(newsletter.WriteIssues, c.issueAction))
		if c.d.Tester != nil {
			m.Handle("POST /admin/issues/{period}/test", c.guard(newsletter.WriteIssues, c.issueTest))
		}
	}
	if c.d.Items != nil {
		m.Handle("GET /admin/items", c.guard(newsletter.ReadItems, c.itemList))
		m.Handle("POST /admin/items", c.guard(newsletter.WriteItems, c.itemAdd))
		m.Handle("GET /admin/items/{id}", c.guard(newsletter.ReadItems, c.itemPage))
		m.Handle("POST /admin/items/{id}", c.guard(newsletter.WriteItems, c.itemEdit))
		m.Handle("POST /admin/items/{id}/hide", c.guard(newsletter.WriteItems, c.itemStatus(newsletter.ItemHidden)))
		m.Handle("POST /admin/items/{id}/unhide", c.guard(newsletter.WriteItems, c.itemStatus(newsletter.ItemPublished)))
	}
	if c.d.Sources != nil {
		m.Handle("GET /admin/sources", c.guard(newsletter.ReadItems, c.sourceList))
		m.Handle("POST /admin/sources", c.guard(newsletter.WriteItems, c.sourceAdd))
		m.Handle("GET /admin/sources/{id}", c.guard(newsletter.ReadItems, c.sourcePage))
		m.Handle("POST /admin/sources/{id}/{action}", c.guard(newsletter.WriteItems, c.sourceEnable))
	}
	if c.d.Admin != nil {
		m.Handle("GET /admin/users", c.guard(newsletter.ManageUsers, c.userList))
		m.Handle("POST /admin/users", c.guard(newsletter.ManageUsers, c.userAdd))
		m.Handle("POST /admin/users/{id}/{action}", c.guard(newsletter.ManageUsers, c.userChange))
		m.Handle("GET /admin/tokens", c.guard(newsletter.ManageUsers, c.tokenList))
		m.Handle("POST /admin/tokens", c.guard(newsletter.ManageUsers, c.tokenCreate))
		m.Handle("POST /admin/tokens/{id}/revoke", c.guard(newsletter.ManageUsers, c.tokenRevoke))
		m.Handle("GET /admin/audit", c.guard(newsletter.ManageUsers, c.auditPage))
	}
	m.HandleFunc("/admin/", func(w http.ResponseWriter, r *http.Request) {
		c.message(w, r, http.StatusNotFound, "Not found", "There is no console page at this address.")
	})
	return cop.Handler(m), nil
}
