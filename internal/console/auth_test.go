package console_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/enews/enews/internal/console"
	"github.com/enews/enews/internal/newsletter"
)

func TestPasswordHash(t *testing.T) {
	t.Parallel()
	h, err := console.HashPassword(testPassword, testHash)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q: not in the PHC argon2id format", h)
	}
	h2, _ := console.HashPassword(testPassword, testHash)
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for _, tc := range []struct {
		pw, hash string
		ok       bool
		err      bool
	}{
		{testPassword, h, true, false},
		{testPassword + " ", h, false, false},
		{"", h, false, false},
		{testPassword, "$2a$10$bcrypt", false, true},
		{testPassword, "$argon2id$v=19$m=64,t=1,p=1$!!$!!", false, true},
	} {
		ok, err := console.VerifyPassword(tc.pw, tc.hash)
		if ok != tc.ok || (err != nil) != tc.err {
			t.Errorf("verify(%q, %q) = %v, %v; want %v, error %v", tc.pw, tc.hash, ok, err, tc.ok, tc.err)
		}
	}
	for _, pw := range []string{"short", strings.Repeat("x", console.MaxPasswordLen+1), "bad\xffutf8-password"} {
		if console.CheckPassword(pw) == nil {
			t.Errorf("CheckPassword(%q) accepted it", pw)
		}
	}
}

func TestLoginFailuresLookAlike(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.addUser("ops@example.org", newsletter.RoleOps)
	off := e.addUser("gone@example.org", newsletter.RoleStaff)
	e.addUser("admin@example.org", newsletter.RoleAdmin)
	if _, err := e.st.SetUserDisabled(context.Background(), off.Email, true); err != nil {
		t.Fatal(err)
	}
	type answer struct {
		code int
		body string
	}
	var answers []answer
	for i, tc := range []struct{ name, email, pw string }{
		{"unknown user", "nobody@example.org", testPassword},
		{"wrong password", "ops@example.org", "not the password at all"},
		{"disabled user", "gone@example.org", testPassword},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := e.browser()
			b.ip = "198.51.100." + string(rune('1'+i))
			code, body, h := b.login(tc.email, tc.pw)
			if code != http.StatusUnauthorized || !strings.Contains(body, "The email address or the password is not right.") {
				t.Fatalf("status %d, body lacks the one failure message:\n%s", code, body)
			}
			if h.Get("Set-Cookie") != "" {
				t.Fatal("a failed login set a cookie")
			}
			// The typed address is echoed back; everything else is the same.
			answers = append(answers, answer{code, strings.ReplaceAll(body, tc.email, "")})
		})
	}
	for i := 1; i < len(answers); i++ {
		if answers[i] != answers[0] {
			t.Errorf("failure %d differs from failure 0:\n%s\n----\n%s", i, answers[i].body, answers[0].body)
		}
	}
	if !e.hasAudit("anonymous", "login.failed") {
		t.Error("failed logins are not in the audit log")
	}
}

func TestLoginRateLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(d *console.Deps) {
		d.Limits = console.LoginLimits{Window: time.Hour, PerAccount: 3, PerClient: 5}
	})
	e.addUser("staff@example.org", newsletter.RoleStaff)
	e.addUser("other@example.org", newsletter.RoleStaff)

	t.Run("per account, from any client", func(t *testing.T) {
		for i := range 3 {
			b := e.browser()
			b.ip = "203.0.113." + string(rune('1'+i))
			if code, _, _ := b.login("Staff@example.org", "wrong password here"); code != http.StatusUnauthorized {
				t.Fatalf("failure %d: status %d", i, code)
			}
		}
		b := e.browser()
		b.ip = "203.0.113.9"
		code, body, h := b.login("staff@example.org", testPassword)
		if code != http.StatusTooManyRequests || h.Get("Retry-After") == "" || !strings.Contains(body, "Too many failed attempts") {
			t.Fatalf("right password after 3 failures: status %d, want 429 with Retry-After", code)
		}
		// An unknown account is limited the same way: nobody learns which exist.
		for range 3 {
			b.login("ghost@example.org", "wrong password here")
		}
		if code, _, _ := b.login("ghost@example.org", "wrong password here"); code != http.StatusTooManyRequests {
			t.Fatalf("unknown account after 3 failures: status %d, want 429", code)
		}
	})
	t.Run("per client, over any accounts", func(t *testing.T) {
		b := e.browser()
		b.ip = "198.51.100.77"
		for i := range 5 {
			if code, _, _ := b.login("spray"+string(rune('a'+i))+"@example.org", "wrong password here"); code != http.StatusUnauthorized {
				t.Fatalf("failure %d: status %d", i, code)
			}
		}
		if code, _, _ := b.login("other@example.org", testPassword); code != http.StatusTooManyRequests {
			t.Fatalf("sixth try from one client: status %d, want 429", code)
		}
		b2 := e.browser()
		b2.ip = "198.51.100.78"
		if code, _, _ := b2.login("other@example.org", testPassword); code != http.StatusSeeOther {
			t.Fatalf("the same account from another client: status %d, want 303", code)
		}
	})
}

func TestSessionCookie(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, base, cookie string
		secure             bool
	}{
		{"http", "", "enews_console", false},
		{"https", "https://news.example.org", "__Host-enews_console", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(d *console.Deps) {
				if tc.base != "" {
					d.BaseURL = tc.base
				}
			})
			e.addUser("a@example.org", newsletter.RoleAdmin)
			b := e.browser()
			origin := e.url
			if tc.base != "" {
				origin = tc.base
			}
			code, _, h := b.post("/admin/login", map[string][]string{"email": {"a@example.org"}, "password": {testPassword}}, "Origin", origin)
			if code != http.StatusSeeOther {
				t.Fatalf("login: status %d", code)
			}
			resp := http.Response{Header: h}
			cs := resp.Cookies()
			if len(cs) != 1 {
				t.Fatalf("cookies %v, want one", cs)
			}
			c := cs[0]
			if c.Name != tc.cookie || !c.HttpOnly || c.Secure != tc.secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || len(c.Value) < 40 {
				t.Fatalf("cookie %+v: want %s, HttpOnly, Secure=%v, SameSite=Lax, Path=/", c, tc.cookie, tc.secure)
			}
		})
	}
}

func TestSessionsEnd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, func(d *console.Deps) {
		d.Sessions.Idle, d.Sessions.Lifetime = 30*time.Minute, 3*time.Hour
	})
	e.addUser("keeper@example.org", newsletter.RoleAdmin) // the last admin cannot be disabled
	loggedIn := func(b *browser) bool {
		code, _ := b.get("/admin/")
		return code == http.StatusOK
	}
	t.Run("logout", func(t *testing.T) {
		b := e.loggedIn("out@example.org", newsletter.RoleStaff)
		if !loggedIn(b) {
			t.Fatal("not logged in after login")
		}
		if code, _, _ := b.post("/admin/logout", nil); code != http.StatusSeeOther {
			t.Fatalf("logout: status %d", code)
		}
		if loggedIn(b) {
			t.Fatal("still logged in after logout")
		}
		if !e.hasAudit("user:out@example.org", "logout") {
			t.Error("logout is not in the audit log")
		}
	})
	t.Run("idle and absolute timeouts", func(t *testing.T) {
		b := e.loggedIn("idle@example.org", newsletter.RoleStaff)
		for range 7 { // 7 × 25 min = almost 3 hours, never idle for 30 minutes
			e.advance(25 * time.Minute)
			if !loggedIn(b) {
				t.Fatal("session ended while in use")
			}
		}
		e.advance(10 * time.Minute) // past the 3 hours
		if loggedIn(b) {
			t.Fatal("session outlived its lifetime")
		}
		b = e.loggedIn("idle2@example.org", newsletter.RoleStaff)
		e.advance(31 * time.Minute)
		if loggedIn(b) {
			t.Fatal("session outlived its idle timeout")
		}
	})
	t.Run("disable and password change", func(t *testing.T) {
		b := e.loggedIn("dis@example.org", newsletter.RoleOps)
		if _, err := e.st.SetUserDisabled(ctx, "dis@example.org", true); err != nil {
			t.Fatal(err)
		}
		if loggedIn(b) {
			t.Fatal("a disabled user's session still works")
		}
		if _, err := e.st.SetUserDisabled(ctx, "dis@example.org", false); err != nil {
			t.Fatal(err)
		}
		if loggedIn(b) {
			t.Fatal("enabling brought the old session back")
		}
		b = e.browser()
		b.login("dis@example.org", testPassword)
		if !loggedIn(b) {
			t.Fatal("an enabled user cannot log in")
		}
		if _, err := e.st.SetUserPassword(ctx, "dis@example.org", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaA"); err != nil {
			t.Fatal(err)
		}
		if loggedIn(b) {
			t.Fatal("a session survived a password change")
		}
	})
	t.Run("a page asks to log in and comes back", func(t *testing.T) {
		b := e.browser()
		req, _ := http.NewRequest(http.MethodGet, e.url+"/admin/?x=1", nil)
		code, _, h := b.do(req)
		if code != http.StatusSeeOther || h.Get("Location") != "/admin/login?next=%2Fadmin%2F%3Fx%3D1" {
			t.Fatalf("status %d, Location %q", code, h.Get("Location"))
		}
		e.addUser("back@example.org", newsletter.RoleStaff)
		code, _, h = b.post("/admin/login", map[string][]string{"email": {"back@example.org"}, "password": {testPassword}, "next": {"/admin/?x=1"}})
		if code != http.StatusSeeOther || h.Get("Location") != "/admin/?x=1" {
			t.Fatalf("after login: status %d, Location %q", code, h.Get("Location"))
		}
		for _, next := range []string{"//evil.example/", "https://evil.example/", "/admin/\\evil", "/admin/login"} {
			code, _, h = b.post("/admin/login", map[string][]string{"email": {"back@example.org"}, "password": {testPassword}, "next": {next}})
			if code != http.StatusSeeOther || h.Get("Location") != "/admin/" {
				t.Errorf("next %q: Location %q, want /admin/", next, h.Get("Location"))
			}
		}
	})
}

func TestCrossOriginPostRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.loggedIn("admin@example.org", newsletter.RoleAdmin)
	for _, tc := range []struct {
		name   string
		header []string
	}{
		{"sec-fetch-site cross-site", []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}},
		{"origin only", []string{"Sec-Fetch-Site", "", "Origin", "https://evil.example"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body, _ := b.post("/admin/logout", nil, tc.header...)
			if code != http.StatusForbidden || !strings.Contains(body, "another site") {
				t.Fatalf("status %d, want 403 naming another site", code)
			}
			if code, _ := b.get("/admin/"); code != http.StatusOK {
				t.Fatal("the refused logout ended the session anyway")
			}
		})
	}
}
