package console_test

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/enews/enews/internal/newsletter"
)

func TestUsersPage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	admin := e.loggedIn("admin@example.org", newsletter.RoleAdmin)
	for _, tc := range []struct {
		name string
		form url.Values
		code int
		want string
	}{
		{"short password", url.Values{"email": {"ana@example.org"}, "role": {"staff"}, "password": {"short"}}, http.StatusUnprocessableEntity, "at least 12 characters"},
		{"bad role", url.Values{"email": {"ana@example.org"}, "role": {"root"}, "password": {testPassword}}, http.StatusUnprocessableEntity, "role"},
		{"bad address", url.Values{"email": {"ana"}, "role": {"staff"}, "password": {testPassword}}, http.StatusUnprocessableEntity, "Nobody was added"},
		{"added", url.Values{"email": {"Ana@Example.org"}, "name": {"Ana"}, "role": {"staff"}, "password": {testPassword}}, http.StatusSeeOther, ""},
		{"taken", url.Values{"email": {"ana@example.org"}, "role": {"ops"}, "password": {testPassword}}, http.StatusConflict, "exists already"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body, _ := admin.post("/admin/users", tc.form)
			if code != tc.code || !strings.Contains(body, tc.want) {
				t.Fatalf("status %d, want %d with %q", code, tc.code, tc.want)
			}
		})
	}
	ana, err := e.st.UserByEmail(ctx, "ana@example.org")
	if err != nil || ana.Role != newsletter.RoleStaff || ana.Name != "Ana" {
		t.Fatalf("added user %+v, %v", ana, err)
	}
	anaBrowser := e.browser()
	if code, _, _ := anaBrowser.login("ana@example.org", testPassword); code != http.StatusSeeOther {
		t.Fatalf("the new user cannot log in: %d", code)
	}
	id := "/admin/users/" + itoa(ana.ID)
	if code, _, _ := admin.post(id+"/role", url.Values{"role": {"ops"}}); code != http.StatusSeeOther {
		t.Fatalf("set role: %d", code)
	}
	if code, _ := anaBrowser.get("/admin/issues"); code != http.StatusOK {
		t.Fatalf("after the role change the user's session is gone: %d", code)
	}
	if code, _, _ := admin.post(id+"/disable", nil); code != http.StatusSeeOther {
		t.Fatalf("disable: %d", code)
	}
	if code, _ := anaBrowser.get("/admin/"); code != http.StatusSeeOther {
		t.Fatalf("a disabled user's session still works: %d", code)
	}
	if code, _, _ := anaBrowser.login("ana@example.org", testPassword); code != http.StatusUnauthorized {
		t.Fatalf("a disabled user logs in: %d", code)
	}
	if code, _, _ := admin.post(id+"/enable", nil); code != http.StatusSeeOther {
		t.Fatalf("enable: %d", code)
	}
	if code, _, _ := admin.post(id+"/password", url.Values{"password": {"a brand new passphrase"}}); code != http.StatusSeeOther {
		t.Fatalf("set password: %d", code)
	}
	if code, _, _ := anaBrowser.login("ana@example.org", "a brand new passphrase"); code != http.StatusSeeOther {
		t.Fatalf("the new password does not work: %d", code)
	}
	me, _ := e.st.UserByEmail(ctx, "admin@example.org")
	code, body, _ := admin.post("/admin/users/"+itoa(me.ID)+"/disable", nil)
	if code != http.StatusConflict || !strings.Contains(body, "last enabled admin") {
		t.Fatalf("disabling the last admin: %d", code)
	}
	if code, _, _ := admin.post(id+"/explode", nil); code != http.StatusNotFound {
		t.Fatalf("unknown action: %d", code)
	}
	_, body = admin.get("/admin/users")
	for _, want := range []string{"Ana@example.org", `<label class="visually-hidden" for="role-`, "(you)"} {
		if !strings.Contains(body, want) {
			t.Errorf("users page lacks %q", want)
		}
	}
	for _, action := range []string{"user.add", "user.role", "user.disable", "user.enable", "user.password"} {
		if !e.hasAudit("user:admin@example.org", action) {
			t.Errorf("%s is not in the audit log", action)
		}
	}
}

var tokenInPage = regexp.MustCompile(`value="(enews_[A-Za-z0-9_-]+)"`)

func TestTokensPage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	admin := e.loggedIn("admin@example.org", newsletter.RoleAdmin)
	for _, tc := range []struct {
		name string
		form url.Values
		want string
	}{
		{"no scope", url.Values{"name": {"crm"}}, "at least one scope"},
		{"unknown scope", url.Values{"name": {"crm"}, "scope": {"root"}}, "want read, subscribers or issues"},
		{"no name", url.Values{"scope": {"read"}}, "name must be"},
		{"bad expiry", url.Values{"name": {"crm"}, "scope": {"read"}, "expires": {"soon"}}, "must be a date"},
		{"past expiry", url.Values{"name": {"crm"}, "scope": {"read"}, "expires": {"2020-01-01"}}, "a day after today"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body, _ := admin.post("/admin/tokens", tc.form)
			if code != http.StatusUnprocessableEntity || !strings.Contains(body, tc.want) {
				t.Fatalf("status %d, want 422 with %q", code, tc.want)
			}
		})
	}
	expires := e.clock().AddDate(0, 2, 0).Format("2006-01-02")
	code, body, _ := admin.post("/admin/tokens", url.Values{"name": {"crm"}, "scope": {"read", "subscribers"}, "expires": {expires}})
	m := tokenInPage.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil {
		t.Fatalf("create: status %d, no token shown", code)
	}
	tok, err := e.st.AuthenticateAPIToken(ctx, m[1])
	if err != nil || !tok.Has(newsletter.ScopeSubscribers) || tok.Has(newsletter.ScopeIssues) || tok.ExpiresAt == nil ||
		tok.ExpiresAt.In(e.loc).Format("2006-01-02") != expires || tok.CreatedBy != "user:admin@example.org" {
		t.Fatalf("the token shown: %+v, %v", tok, err)
	}
	_, body = admin.get("/admin/tokens")
	if strings.Contains(body, m[1]) || !strings.Contains(body, "read, subscribers") {
		t.Fatal("the token list shows the token again, or not its scopes")
	}
	if code, _, _ := admin.post("/admin/tokens/"+itoa(tok.ID)+"/revoke", nil); code != http.StatusSeeOther {
		t.Fatalf("revoke: %d", code)
	}
	if _, err := e.st.AuthenticateAPIToken(ctx, m[1]); err == nil {
		t.Fatal("a revoked token still works")
	}
	if code, _, _ := admin.post("/admin/tokens/999/revoke", nil); code != http.StatusNotFound {
		t.Fatalf("revoking an unknown token: %d", code)
	}
	if !e.hasAudit("user:admin@example.org", "token.create") || !e.hasAudit("user:admin@example.org", "token.revoke") {
		t.Fatal("tokens are not in the audit log")
	}
}

func TestAuditPage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	admin := e.loggedIn("admin@example.org", newsletter.RoleAdmin)
	for i := 0; i < 60; i++ {
		if err := e.st.AppendAudit(ctx, newsletter.AuditEntry{Actor: "cli:root", Action: "user.add", Target: "<b>x" + itoa(int64(i)) + "</b>"}, netip.Addr{}); err != nil {
			t.Fatal(err)
		}
	}
	_, body := admin.get("/admin/audit?actor=cli:root")
	if n := strings.Count(body, "<td>user.add</td>"); n != 50 || !strings.Contains(body, `rel="next"`) || strings.Contains(body, "<b>x") {
		t.Fatalf("first page: %d entries, want 50 with a next link and the targets escaped", n)
	}
	next := regexp.MustCompile(`before=(\d+)`).FindStringSubmatch(body)
	_, body = admin.get("/admin/audit?actor=cli:root&before=" + next[1])
	if n := strings.Count(body, "<td>user.add</td>"); n != 10 || strings.Contains(body, `rel="next"`) {
		t.Fatalf("second page: %d entries, want the last 10", n)
	}
	_, body = admin.get("/admin/audit?actor=user:admin@example.org")
	if !strings.Contains(body, "<td>login</td>") || strings.Contains(body, "cli:root") {
		t.Fatal("the actor filter does not filter")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
