// Package console serves the staff and ops console under /admin/: login
// with Postgres-backed sessions, pages for subscribers, issues, items,
// users and the audit log, each behind the role that may use it.
//
// Pages are rendered on the server from templates/web/admin and work
// without JavaScript. Every state-changing request is a POST that passes
// cross-origin protection, a live session and the role's permission, and
// is written to the audit log.
package console

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/enews/enews/internal/content"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
)

// Users is what login, sessions and the users pages need of the store.
type Users interface {
	UserCredentials(ctx context.Context, email string) (newsletter.User, string, error)
	CreateSession(ctx context.Context, userID int64, ip netip.Addr, now time.Time, t store.SessionTimes) (string, error)
	SessionUser(ctx context.Context, token string, now time.Time, t store.SessionTimes) (newsletter.User, error)
	DeleteSession(ctx context.Context, token string) error
}

// Audit is the append-only audit log.
type Audit interface {
	AppendAudit(ctx context.Context, e newsletter.AuditEntry, ip netip.Addr) error
	LoginFailures(ctx context.Context, email string, ip netip.Addr, window time.Duration) (byAccount, byClient int, err error)
}

// LoginLimits bound failed logins within Window, per typed account and per
// client address. They live in the database (the audit log), so every
// replica counts the same failures.
type LoginLimits struct {
	Window     time.Duration
	PerAccount int
	PerClient  int
}

func (l LoginLimits) withDefaults() LoginLimits {
	if l.Window <= 0 {
		l.Window = 15 * time.Minute
	}
	if l.PerAccount <= 0 {
		l.PerAccount = 5
	}
	if l.PerClient <= 0 {
		l.PerClient = 20
	}
	return l
}

// Deps is what the console needs. Users, Audit and BaseURL are required;
// the pages of a missing part (Subscribers, Issues…) answer 404.
type Deps struct {
	Users       Users
	Audit       Audit
	Subscribers Subscribers
	Dashboard   DashboardStore
	Issues      IssueStore
	Lifecycle   Lifecycle
	Tester      TestSender
	Admin       AdminStore // users, API tokens and the audit log
	Sources     SourceStore
	Items       ItemStore
	// ItemOptions clean an item added by hand (content.default_kind,
	// content.max_summary).
	ItemOptions content.Options
	Status      func() ReplicaStatus
	// BaseURL is the public address (web.base_url): its origin is the one
	// trusted for form posts, and an https one makes the cookie Secure.
	BaseURL  string
	Log      *slog.Logger
	Brand    Brand
	Sessions store.SessionTimes
	Limits   LoginLimits
	Hash     HashParams
	// Templates replaces the embedded templates/web/admin directory.
	Templates fs.FS
	// ClientIP tells the client's address for the audit log and the login
	// limits; the default is the connection's peer.
	ClientIP func(*http.Request) netip.Addr
	Location *time.Location
	Now      func() time.Time
}

// Brand is the product's name on every page.
type Brand struct {
	Newsletter  string
	ProductName string
}

// Console is the /admin/ handler.
type Console struct {
	d         Deps
	log       *slog.Logger
	handler   http.Handler
	pages     *pages
	secure    bool
	cookie    string
	dummyHash string // verified for unknown accounts, so they cost the same time
}

// New checks d, parses the templates and builds the routes.
func New(d Deps) (*Console, error) {
	if d.Users == nil || d.Audit == nil || d.BaseURL == "" {
		return nil, errors.New("console: Users, Audit and BaseURL are required")
	}
	u, err := url.Parse(d.BaseURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("console: base url %q: want http(s)://host", d.BaseURL)
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Location == nil {
		d.Location = time.UTC
	}
	if d.ClientIP == nil {
		d.ClientIP = peerIP
	}
	if d.Sessions.Idle <= 0 {
		d.Sessions.Idle = time.Hour
	}
	if d.Sessions.Lifetime <= 0 {
		d.Sessions.Lifetime = 12 * time.Hour
	}
	if d.Hash == (HashParams{}) {
		d.Hash = DefaultHashParams()
	}
	if d.Brand.Newsletter == "" {
		d.Brand.Newsletter = "eNewsUpdate"
	}
	d.Limits = d.Limits.withDefaults()
	p, err := loadPages(d.Templates, d.Location)
	if err != nil {
		return nil, err
	}
	dummy, err := HashPassword("no such account: the time of a real check", d.Hash)
	if err != nil {
		return nil, err
	}
	c := &Console{d: d, log: d.Log, pages: p, secure: u.Scheme == "https", dummyHash: dummy}
	// The __Host- prefix makes browsers refuse the cookie unless it is
	// Secure, host-only and for the whole site: no subdomain can plant one.
	c.cookie = "enews_console"
	if c.secure {
		c.cookie = "__Host-enews_console"
	}
	if c.handler, err = c.routes(u.Scheme + "://" + u.Host); err != nil {
		return nil, err
	}
	return c, nil
}

// ServeHTTP serves everything under /admin/.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	c.handler.ServeHTTP(w, r)
}

// fail is the one place errors become statuses on console pages.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, title := http.StatusInternalServerError, "Something went wrong"
	msg := "The server could not do this. The error is in its log."
	switch {
	case errors.Is(err, store.ErrSuppressed):
		status, title, msg = http.StatusConflict, "Address suppressed", "This address was erased or blocked."
	case errors.Is(err, newsletter.ErrNotFound):
		status, title, msg = http.StatusNotFound, "Not found", userMessage(err)
	case errors.Is(err, newsletter.ErrConflict):
		status, title, msg = http.StatusConflict, "Not possible now", userMessage(err)
	case errors.Is(err, newsletter.ErrInvalid):
		status, title, msg = http.StatusUnprocessableEntity, "Please check the input", userMessage(err)
	case errors.Is(err, newsletter.ErrUnavailable):
		status, title, msg = http.StatusServiceUnavailable, "Try again in a moment", "The database did not answer just now (it may be restarting)."
		w.Header().Set("Retry-After", "5")
		c.log.Warn("console: database unavailable", "method", r.Method, "route", r.Pattern, "err", err)
	default:
		c.log.Error("console: request failed", "method", r.Method, "route", r.Pattern, "err", err)
	}
	c.message(w, r, status, title, msg)
}

// userMessage drops the "store: op:" prefixes, which mean nothing to a
// person, and keeps the last clause that does.
func userMessage(err error) string {
	s := err.Error()
	for _, sentinel := range []error{newsletter.ErrNotFound, newsletter.ErrConflict, newsletter.ErrInvalid} {
		if i := strings.LastIndex(s, sentinel.Error()+": "); i >= 0 {
			return strings.TrimSpace(s[i+len(sentinel.Error())+2:])
		}
	}
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

// audit writes one entry for the request's user. A failure to write is
// logged, not shown: the change it records is already made.
func (c *Console) audit(r *http.Request, u newsletter.User, action, target, detail string) {
	e := newsletter.AuditEntry{Actor: "user:" + u.Email, Action: action, Target: target, Detail: detail}
	if err := c.d.Audit.AppendAudit(context.WithoutCancel(r.Context()), e, c.d.ClientIP(r)); err != nil {
		c.log.Error("console: audit", "action", action, "err", err)
	}
}

// peerIP is the connection's remote address.
func peerIP(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}
