package console_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/enews/enews/internal/issues"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
)

// route is one console request and the roles allowed to make it.
type route struct {
	method, path string
	form         url.Values
	allowed      []newsletter.Role
}

func routes() []route {
	all := []newsletter.Role{newsletter.RoleStaff, newsletter.RoleOps, newsletter.RoleAdmin}
	staff := []newsletter.Role{newsletter.RoleStaff, newsletter.RoleAdmin}
	ops := []newsletter.Role{newsletter.RoleOps, newsletter.RoleAdmin}
	admin := []newsletter.Role{newsletter.RoleAdmin}
	return []route{
		{"GET", "/admin/", nil, all},
		{"GET", "/admin/subscribers?q=user&status=active", nil, all},
		{"GET", "/admin/subscribers/1", nil, all},
		{"GET", "/admin/subscribers/export", nil, all},
		{"GET", "/admin/subscribers/import", nil, staff},
		{"GET", "/admin/issues", nil, all},
		{"GET", "/admin/issues/2022-05", nil, all},
		{"GET", "/admin/issues/2022-05/preview", nil, all},
		{"GET", "/admin/issues/2022-05/progress.json", nil, all},
		{"POST", "/admin/subscribers", url.Values{"email": {"new@example.org"}, "status": {"active"}}, staff},
		{"POST", "/admin/subscribers/1", url.Values{"name": {"Renamed"}, "attributes": {"city=Bern"}}, staff},
		{"POST", "/admin/subscribers/import", url.Values{"file": {"email\nx@example.org\n"}}, staff},
		{"POST", "/admin/subscribers/2/unsubscribe", nil, staff},
		{"POST", "/admin/subscribers/1/erase", url.Values{"confirm": {"user1@example.org"}}, staff},
		{"POST", "/admin/issues", url.Values{"period": {"2022-04"}}, ops},
		{"POST", "/admin/issues/2022-05/test", url.Values{"to": {"test@example.org"}}, ops},
		{"POST", "/admin/issues/2022-05/approve", nil, ops},
		{"POST", "/admin/issues/2022-05/cancel", nil, ops},
		{"GET", "/admin/items?period=2022-05", nil, all},
		{"POST", "/admin/items", url.Values{"title": {"By hand"}, "url": {"https://example.org/hand"}, "published": {"2022-05-20"}, "status": {"published"}}, staff},
		{"GET", "/admin/sources", nil, all},
		{"GET", "/admin/sources/1", nil, all},
		{"POST", "/admin/sources", url.Values{"name": {"Blog"}, "url": {"https://example.org/blog.xml"}}, staff},
		{"POST", "/admin/sources/1/disable", nil, staff},
		{"GET", "/admin/users", nil, admin},
		{"GET", "/admin/tokens", nil, admin},
		{"GET", "/admin/audit", nil, admin},
		{"GET", "/admin/audit?actor=cli", nil, admin},
		{"POST", "/admin/users", url.Values{"email": {"new-user@example.org"}, "role": {"staff"}, "password": {testPassword}}, admin},
		{"POST", "/admin/users/2/role", url.Values{"role": {"ops"}}, admin},
		{"POST", "/admin/users/2/password", url.Values{"password": {"another long password"}}, admin},
		{"POST", "/admin/users/2/disable", nil, admin},
		{"POST", "/admin/users/2/enable", nil, admin},
		{"POST", "/admin/tokens", url.Values{"name": {"crm"}, "scope": {"read", "subscribers"}}, admin},
		{"POST", "/admin/tokens/1/revoke", nil, admin},
	}
}

// fingerprint sums up everything a console request could change, except
// the audit log and sessions.
func (e *env) fingerprint() string {
	e.t.Helper()
	var fp string
	err := e.db.QueryRowContext(context.Background(), `SELECT
		(SELECT COALESCE(md5(string_agg(id || email || name || status || attributes::text, ',' ORDER BY id)), '') FROM subscribers) ||
		(SELECT COALESCE(md5(string_agg(period || status || subject, ',' ORDER BY id)), '') FROM issues) ||
		(SELECT count(*) FROM consent_events) || '/' || (SELECT count(*) FROM deliveries) || '/' ||
		(SELECT count(*) FROM console_users) || '/' || (SELECT count(*) FROM suppressions) ||
		(SELECT COALESCE(md5(string_agg(email || role || COALESCE(disabled_at::text, '') || password_hash, ',' ORDER BY id)), '') FROM console_users) ||
		(SELECT COALESCE(md5(string_agg(name || COALESCE(revoked_at::text, ''), ',' ORDER BY id)), '') FROM api_tokens) ||
		(SELECT COALESCE(md5(string_agg(name || enabled::text, ',' ORDER BY id)), '') FROM sources) ||
		(SELECT COALESCE(md5(string_agg(title || status, ',' ORDER BY id)), '') FROM items)`).Scan(&fp)
	if err != nil {
		e.t.Fatal(err)
	}
	return fp
}

// TestRoleMatrix makes every console request as every role: a request
// beyond the role is 403 and changes nothing; one within it is served.
func TestRoleMatrix(t *testing.T) {
	t.Parallel()
	for _, role := range newsletter.Roles() {
		t.Run(string(role), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.subscribers(3)
			e.mayItems()
			if _, _, err := e.svc.Create(context.Background(), may2022(), issues.CreateOptions{Actor: "test"}); err != nil {
				t.Fatal(err)
			}
			b := e.loggedIn(string(role)+"@example.org", role)
			e.addUser("other@example.org", newsletter.RoleStaff)
			e.exec(`INSERT INTO sources (name, url) VALUES ('ILO news', 'https://www.ilo.org/feed.xml')`)
			if _, _, err := e.st.CreateAPIToken(context.Background(), store.TokenSpec{Name: "old", Scopes: newsletter.Scopes()}); err != nil {
				t.Fatal(err)
			}
			for _, rt := range routes() {
				before := e.fingerprint()
				var code int
				if rt.method == http.MethodGet {
					code, _ = b.get(rt.path)
				} else {
					code, _, _ = b.post(rt.path, rt.form)
				}
				allowed := slices.Contains(rt.allowed, role)
				switch {
				case !allowed && code != http.StatusForbidden:
					t.Errorf("%s %s as %s: status %d, want 403", rt.method, rt.path, role, code)
				case !allowed && e.fingerprint() != before:
					t.Errorf("%s %s as %s: refused with 403 but the data changed", rt.method, rt.path, role)
				case allowed && (code == http.StatusForbidden || code == http.StatusUnauthorized || code >= 500):
					t.Errorf("%s %s as %s: status %d, want it served", rt.method, rt.path, role, code)
				}
			}
		})
	}
	t.Run("no session", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.subscribers(3)
		b := e.browser()
		for _, rt := range routes() {
			before := e.fingerprint()
			if rt.method == http.MethodGet {
				if code, _ := b.get(rt.path); code != http.StatusSeeOther {
					t.Errorf("GET %s without a session: status %d, want 303 to the login", rt.path, code)
				}
				continue
			}
			if code, _, _ := b.post(rt.path, rt.form); code != http.StatusUnauthorized {
				t.Errorf("POST %s without a session: status %d, want 401", rt.path, code)
			}
			if e.fingerprint() != before {
				t.Errorf("POST %s without a session changed the data", rt.path)
			}
		}
	})
}

func may2022() newsletter.Period { return newsletter.Period{Year: 2022, Month: 5} }
