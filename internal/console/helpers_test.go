package console_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/enews/enews/internal/console"
	"github.com/enews/enews/internal/delivery"
	"github.com/enews/enews/internal/digest"
	"github.com/enews/enews/internal/issues"
	"github.com/enews/enews/internal/links"
	"github.com/enews/enews/internal/mailer"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/outbox"
	"github.com/enews/enews/internal/pgtest"
	"github.com/enews/enews/internal/signing"
	"github.com/enews/enews/internal/smtptest"
	"github.com/enews/enews/internal/store"
	"github.com/jmoiron/sqlx"
)

// testHash keeps argon2id cheap in tests; production parameters are
// measured in the benchmark.
var testHash = console.HashParams{Memory: 64, Time: 1, Threads: 1}

// env is a console on a real database behind a real HTTP server.
type env struct {
	t       testing.TB
	st      *store.Store
	db      *sqlx.DB // plain SQL behind the store's back
	console *console.Console
	url     string
	smtp    *smtptest.Server
	svc     *issues.Service
	signer  *signing.Signer
	loc     *time.Location

	mu  sync.Mutex
	now time.Time
}

const testPassword = "correct horse battery staple"

func newEnv(t testing.TB, adjust ...func(*console.Deps)) *env {
	t.Helper()
	e := &env{t: t, now: time.Now(), smtp: smtptest.Start(t)}
	e.st, e.db = pgtest.NewWithSQL(t)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { e.console.ServeHTTP(w, r) }))
	t.Cleanup(ts.Close)
	e.url = ts.URL
	var err error
	if e.loc, err = time.LoadLocation("Europe/Zurich"); err != nil {
		t.Fatal(err)
	}
	if e.signer, err = signing.New([]byte(strings.Repeat("console test secret ", 3))); err != nil {
		t.Fatal(err)
	}
	r, err := digest.NewRenderer(digest.Config{ProductName: "ILO COOP", Location: e.loc,
		OrgAddress: "Route des Morillons 4, Geneva", Reason: "You subscribed.", ProductURL: "https://example.org"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = issues.New(e.st, r, issues.Policy{Location: e.loc, MinItems: 1, RequireApproval: true}, slog.New(slog.DiscardHandler), nil)
	pool, err := mailer.NewPool(mailer.Config{Host: e.smtp.Host(), Port: e.smtp.Port(), TLS: mailer.TLSNone,
		From: "eNewsUpdate <news@example.org>", SendTimeout: 10 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pool.Close(context.Background()) })
	l := links.New(ts.URL, e.signer)
	d := console.Deps{
		Users: e.st, Audit: e.st, BaseURL: ts.URL, Hash: testHash, Now: e.clock, Location: e.loc,
		Subscribers: e.st, Dashboard: e.st, Issues: e.st, Lifecycle: e.svc, Admin: e.st, Sources: e.st, Items: e.st,
		Tester: console.MailTester{Sender: delivery.NewMailSender(pool, l, "enews.example.org", "eNewsUpdate", ""), Links: l,
			Outbox: outbox.New(e.st, pool, outbox.Options{}, nil)},
		Brand: console.Brand{Newsletter: "eNewsUpdate", ProductName: "ILO COOP"},
		// Tests play several clients from one address.
		ClientIP: func(r *http.Request) netip.Addr {
			if a, err := netip.ParseAddr(r.Header.Get("X-Test-Client")); err == nil {
				return a
			}
			return netip.MustParseAddr("192.0.2.1")
		},
	}
	for _, f := range adjust {
		f(&d)
	}
	if e.console, err = console.New(d); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(d)
}

// exec runs SQL to arrange a test.
func (e *env) exec(q string, args ...any) {
	e.t.Helper()
	if _, err := e.db.ExecContext(context.Background(), q, args...); err != nil {
		e.t.Fatal(err)
	}
}

// subscribers adds n active subscribers, userN@example.org, named User N.
func (e *env) subscribers(n int) {
	e.exec(`INSERT INTO subscribers (email, name, status)
		SELECT 'user' || g || '@example.org', 'User ' || g, 'active' FROM generate_series(1, $1) g`, n)
}

// mayItems publishes three items in May 2022.
func (e *env) mayItems() {
	e.t.Helper()
	var items []newsletter.Item
	for i := 1; i <= 3; i++ {
		items = append(items, newsletter.Item{Kind: "News", Title: fmt.Sprintf("Cooperatives item %d", i), Summary: "Summary",
			URL: fmt.Sprintf("https://example.org/%d", i), PublishedAt: time.Date(2022, 5, 10+i, 10, 0, 0, 0, e.loc),
			Status: newsletter.ItemPublished, Source: "test", ExternalID: fmt.Sprint(i)})
	}
	if _, err := e.st.UpsertItems(context.Background(), items); err != nil {
		e.t.Fatal(err)
	}
}

// addUser makes a console user with testPassword.
func (e *env) addUser(email string, role newsletter.Role) newsletter.User {
	e.t.Helper()
	hash, err := console.HashPassword(testPassword, testHash)
	if err != nil {
		e.t.Fatal(err)
	}
	u, err := e.st.CreateUser(context.Background(), newsletter.User{Email: email, Role: role}, hash)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// browser is one client with its own cookies, posting as a same-origin
// page would.
type browser struct {
	e      *env
	client *http.Client
	ip     string
}

func (e *env) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &browser{e: e, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// loggedIn is a browser with a session of a new user of that role.
func (e *env) loggedIn(email string, role newsletter.Role) *browser {
	e.t.Helper()
	e.addUser(email, role)
	b := e.browser()
	if code, _, _ := b.login(email, testPassword); code != http.StatusSeeOther {
		e.t.Fatalf("login %s: status %d", email, code)
	}
	return b
}

func (b *browser) login(email, password string) (int, string, http.Header) {
	return b.post("/admin/login", url.Values{"email": {email}, "password": {password}})
}

func (b *browser) do(req *http.Request) (int, string, http.Header) {
	b.e.t.Helper()
	if b.ip != "" {
		req.Header.Set("X-Test-Client", b.ip)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return resp.StatusCode, string(body), resp.Header
}

func (b *browser) get(path string) (int, string) {
	b.e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.e.url+path, nil)
	if err != nil {
		b.e.t.Fatal(err)
	}
	code, body, _ := b.do(req)
	return code, body
}

// post sends a form as the console's own pages do: same origin.
func (b *browser) post(path string, form url.Values, header ...string) (int, string, http.Header) {
	b.e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.e.url+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.e.url)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

// audit lists the audit log, newest first.
func (e *env) audit() []newsletter.AuditEntry {
	e.t.Helper()
	out, err := e.st.ListAudit(context.Background(), store.AuditFilter{Limit: 500})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *env) hasAudit(actor, action string) bool {
	for _, a := range e.audit() {
		if a.Actor == actor && a.Action == action {
			return true
		}
	}
	return false
}

func mustURL(t testing.TB, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
