// Package web serves what `enews serve` shows on HTTP: the public pages
// subscribers use (subscribe, confirm, unsubscribe with RFC 8058 one-click,
// the archive of sent issues) and the admin JSON API under /api/.
//
// Pages are rendered on the server from templates/web, work without
// JavaScript, and change nothing on GET: link scanners that fetch every URL
// in an email must never confirm or unsubscribe anyone.
package web

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sync"
	"time"

	"github.com/enews/enews/internal/links"
	"github.com/enews/enews/internal/mailer"
	"github.com/enews/enews/internal/signing"
)

// Outbox queues transactional mail, such as the confirmation email;
// *outbox.Outbox is the real one.
type Outbox interface {
	Enqueue(ctx context.Context, kind string, m *mailer.Message) (int64, error)
}

// Brand is the wording and look shared with the eNewsUpdate email.
type Brand struct {
	Newsletter  string // the newsletter's name, e.g. "eNewsUpdate"
	ProductName string // masthead and footer, e.g. "ILO COOP"
	ProductURL  string // where the masthead links
	LogoURL     string // masthead image; the product name shows without it
	OrgAddress  string // postal address, one line per line
	Cadence     string // how often issues go out in words ("once a month"); empty for no promise
}

// Deps is what the server needs. Store, Issues, Signer, Links and Outbox
// are required; the rest has defaults.
type Deps struct {
	Store  Store
	Issues Lifecycle
	Signer *signing.Signer // the secret behind links; also the address hash
	Links  *links.Links
	Outbox Outbox
	Log    *slog.Logger
	Brand  Brand
	// Templates replaces the embedded templates/web directory, e.g.
	// os.DirFS of a configured directory; it must hold the same files.
	Templates fs.FS
	// Admin, when set, serves the console under /admin/; Webhooks the
	// relays' bounce webhooks under /webhooks/.
	Admin    http.Handler
	Webhooks http.Handler
	// Ready answers /readyz; nil means always ready.
	Ready func(ctx context.Context) error
	// HTTP bounds request bodies and import time; the same limits go to
	// NewHTTPServer for the listener's timeouts.
	HTTP HTTPLimits
	// ClientIP tells the client's address, for rate limits and the consent
	// log. The default is the connection's peer; behind a reverse proxy,
	// pass ClientIPBehind(the proxies).
	ClientIP func(*http.Request) netip.Addr
	Limits   Limits
	Location *time.Location   // dates on pages; nil means UTC
	Now      func() time.Time // nil means time.Now; tests move it to expire links
}

// Server is the HTTP handler.
type Server struct {
	d      Deps
	log    *slog.Logger
	mux    *http.ServeMux
	pages  *pages
	ipLim  *limiter
	addLim *limiter
	// signUps are form posts answered and still being recorded.
	signUps sync.WaitGroup
}

// New checks d, parses the templates and builds the routes.
func New(d Deps) (*Server, error) {
	if d.Store == nil || d.Issues == nil || d.Signer == nil || d.Links == nil || d.Outbox == nil {
		return nil, fmt.Errorf("web: Store, Issues, Signer, Links and Outbox are required")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Location == nil {
		d.Location = time.UTC
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.ClientIP == nil {
		d.ClientIP = peerIP
	}
	if d.Ready == nil {
		d.Ready = func(context.Context) error { return nil }
	}
	d.HTTP = d.HTTP.withDefaults()
	if d.Brand.Newsletter == "" {
		d.Brand.Newsletter = "eNewsUpdate"
	}
	p, err := loadPages(d.Templates)
	if err != nil {
		return nil, err
	}
	lim := d.Limits.withDefaults()
	s := &Server{
		d: d, log: d.Log, mux: http.NewServeMux(), pages: p,
		ipLim:  newLimiter(lim.SubscribePerIP, lim.SubscribeIPBurst, lim.MaxTracked),
		addLim: newLimiter(lim.ConfirmPerAddress, lim.ConfirmAddressBurst, lim.MaxTracked),
	}
	if err := s.routes(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Server) routes() error {
	// Cross-origin form posts are refused (CSRF) by the browser's own
	// Sec-Fetch-Site and Origin headers, which need no token in the page.
	cop := http.NewCrossOriginProtection()
	if u, err := url.Parse(s.d.Links.Base()); err == nil && u.Scheme != "" && u.Host != "" {
		if err := cop.AddTrustedOrigin(u.Scheme + "://" + u.Host); err != nil {
			return fmt.Errorf("web: base url: %w", err)
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.message(w, r, http.StatusForbidden, "This form was sent from another site",
			"For your safety it was not accepted. Open the page on this site and try again.")
	}))
	m := s.mux
	m.HandleFunc("GET /{$}", s.redirect("/subscribe"))
	m.HandleFunc("GET /subscribe", s.subscribeForm)
	m.Handle("POST /subscribe", cop.Handler(http.HandlerFunc(s.subscribe)))
	m.HandleFunc("GET /confirm/{token}", s.confirmPage)
	m.Handle("POST /confirm/{token}", cop.Handler(http.HandlerFunc(s.confirm)))
	m.HandleFunc("GET /unsubscribe/{$}", s.unsubscribeHelp)
	m.HandleFunc("GET /unsubscribe/{token}", s.unsubscribePage)
	// No origin check here: mailbox providers post one-click unsubscribes
	// from their own servers, and the signed token in the URL already is
	// the proof a forged cross-site post would lack.
	m.HandleFunc("POST /unsubscribe/{token}", s.unsubscribe)
	m.Handle("POST /unsubscribe/{token}/resubscribe", cop.Handler(http.HandlerFunc(s.resubscribe)))
	s.manageRoutes(m, func(h http.HandlerFunc) http.Handler { return cop.Handler(h) })
	m.HandleFunc("GET /unsubscribe-test", s.testUnsubscribe)
	m.HandleFunc("POST /unsubscribe-test", s.testUnsubscribe)
	m.HandleFunc("GET /preview/{token}", s.preview)
	m.HandleFunc("GET /archive", s.redirect("/archive/"))
	m.HandleFunc("GET /archive/{$}", s.archiveList)
	m.HandleFunc("GET /archive/feed.xml", s.archiveFeed)
	m.HandleFunc("GET /archive/{period}", s.archiveIssue)
	m.HandleFunc("GET /assets/{file}", s.asset)
	m.Handle("/api/", s.api())
	health(m, s.d.Ready)
	if s.d.Admin != nil {
		m.Handle("/admin/", s.d.Admin)
	}
	if s.d.Webhooks != nil {
		m.Handle("/webhooks/", s.d.Webhooks)
	}
	return nil
}

// ServeHTTP sets the headers every answer carries and routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	// Confirm and unsubscribe URLs carry tokens: no page may leak its URL
	// to another site through the Referer header.
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	r, cancel := limitBody(w, r, s.d.HTTP)
	defer cancel()
	s.mux.ServeHTTP(w, r)
}

func (s *Server) redirect(path string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, s.d.Links.Base()+path, http.StatusSeeOther)
	}
}

// peerIP is the connection's remote address.
func peerIP(r *http.Request) netip.Addr {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap()
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}
