package console

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/enews/enews/internal/newsletter"
)

// handlerFunc is a console handler: it runs with the logged-in user.
type handlerFunc func(w http.ResponseWriter, r *http.Request, u newsletter.User)

// guard lets a request through with a live session whose role holds perm.
// Without a session, a page asks to log in; beyond the role, 403 and
// nothing is done.
func (c *Console) guard(perm newsletter.Permission, fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := c.sessionUser(r)
		if !ok {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/admin/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			c.message(w, r, http.StatusUnauthorized, "Please log in", "Your session has ended. Log in and try again.")
			return
		}
		if !u.Role.Can(perm) {
			c.log.Warn("console: forbidden", "user", u.ID, "role", string(u.Role), "route", r.Pattern)
			c.messageFor(w, r, u, http.StatusForbidden, "Not allowed",
				"Your role ("+string(u.Role)+") cannot do this. An admin can change roles.")
			return
		}
		fn(w, r, u)
	})
}

// sessionUser is the user of the request's session cookie, if it is live.
func (c *Console) sessionUser(r *http.Request) (newsletter.User, bool) {
	ck, err := r.Cookie(c.cookie)
	if err != nil || ck.Value == "" {
		return newsletter.User{}, false
	}
	u, err := c.d.Users.SessionUser(r.Context(), ck.Value, c.d.Now(), c.d.Sessions)
	if err != nil {
		if !errors.Is(err, newsletter.ErrNotFound) {
			c.log.Error("console: session", "err", err)
		}
		return newsletter.User{}, false
	}
	return u, true
}

type loginView struct {
	Email, Next, Error string
}

func (c *Console) loginForm(w http.ResponseWriter, r *http.Request) {
	if _, ok := c.sessionUser(r); ok {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	c.render(w, r, http.StatusOK, pageLogin, c.view(r, newsletter.User{}, "Log in", loginView{Next: r.URL.Query().Get("next")}))
}

// badLogin is the one answer to every failed login: an unknown address, a
// wrong password and a disabled account look alike.
const badLogin = "The email address or the password is not right."

func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	email := strings.TrimSpace(r.PostFormValue("email"))
	pw := r.PostFormValue("password")
	lv := loginView{Email: email, Next: r.PostFormValue("next")}
	if len(email) > 254 || !utf8.ValidString(email) {
		email = "(invalid)"
	}
	ip := c.d.ClientIP(r)
	byAccount, byClient, err := c.d.Audit.LoginFailures(r.Context(), email, ip, c.d.Limits.Window)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if byAccount >= c.d.Limits.PerAccount || byClient >= c.d.Limits.PerClient {
		c.log.Warn("console: login refused: too many failures", "account_failures", byAccount, "client_failures", byClient)
		lv.Error = "Too many failed attempts. Wait a few minutes and try again."
		w.Header().Set("Retry-After", "300")
		c.render(w, r, http.StatusTooManyRequests, pageLogin, c.view(r, newsletter.User{}, "Log in", lv))
		return
	}
	tooLong := len(pw) > 4*MaxPasswordLen
	if tooLong {
		pw = ""
	}
	u, hash, err := c.d.Users.UserCredentials(r.Context(), email)
	switch {
	case errors.Is(err, newsletter.ErrNotFound):
		hash = c.dummyHash
	case err != nil:
		c.fail(w, r, err)
		return
	}
	ok, verr := VerifyPassword(pw, hash)
	if verr != nil {
		c.log.Error("console: stored password hash", "user", u.ID, "err", verr)
	}
	if !ok || u.ID == 0 || u.Disabled() || tooLong {
		if err := c.d.Audit.AppendAudit(r.Context(), newsletter.AuditEntry{Actor: "anonymous",
			Action: "login.failed", Target: email}, ip); err != nil {
			c.fail(w, r, err)
			return
		}
		lv.Error = badLogin
		c.render(w, r, http.StatusUnauthorized, pageLogin, c.view(r, newsletter.User{}, "Log in", lv))
		return
	}
	token, err := c.d.Users.CreateSession(r.Context(), u.ID, ip, c.d.Now(), c.d.Sessions)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: c.cookie, Value: token, Path: "/", HttpOnly: true, Secure: c.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(c.d.Sessions.Lifetime.Seconds())})
	c.audit(r, u, "login", "", "")
	http.Redirect(w, r, safeNext(lv.Next), http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	if ck, err := r.Cookie(c.cookie); err == nil {
		if err := c.d.Users.DeleteSession(r.Context(), ck.Value); err != nil {
			c.fail(w, r, err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: c.cookie, Value: "", Path: "/", HttpOnly: true, Secure: c.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
	c.audit(r, u, "logout", "", "")
	http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
}

// safeNext keeps a post-login redirect on the console: never another site
// ("//evil.example", "/\evil.example") and never a login loop.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/admin/") || strings.HasPrefix(next, "/admin/login") ||
		strings.ContainsAny(next, "\\\r\n") || strings.HasPrefix(next, "//") {
		return "/admin/"
	}
	return next
}
