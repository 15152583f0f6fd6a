package console

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
)

type tokensView struct {
	Tokens  []store.APIToken
	Scopes  []newsletter.Scope
	Now     time.Time
	Add     tokenForm
	Error   string
	Created string // the new token, shown this once
	NewName string
}

type tokenForm struct {
	Name    string
	Scopes  []string
	Expires string // YYYY-MM-DD or empty
}

func (f tokenForm) Has(s newsletter.Scope) bool { return slices.Contains(f.Scopes, string(s)) }

func (c *Console) tokenList(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	c.showTokens(w, r, u, http.StatusOK, tokensView{Add: tokenForm{Scopes: []string{string(newsletter.ScopeRead)}}})
}

func (c *Console) showTokens(w http.ResponseWriter, r *http.Request, u newsletter.User, status int, v tokensView) {
	list, err := c.d.Admin.ListAPITokens(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	slices.Reverse(list) // newest first
	v.Tokens, v.Scopes, v.Now = list, newsletter.Scopes(), c.d.Now()
	c.render(w, r, status, pageTokens, c.view(r, u, "API tokens", v))
}

// tokenCreate makes a token and shows it on the answer to this POST only:
// it is never stored, so no later page can show it again.
func (c *Console) tokenCreate(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	if err := r.ParseForm(); err != nil {
		c.fail(w, r, fmt.Errorf("%w: the form cannot be read", newsletter.ErrInvalid))
		return
	}
	f := tokenForm{Name: strings.TrimSpace(r.PostFormValue("name")), Scopes: r.PostForm["scope"], Expires: strings.TrimSpace(r.PostFormValue("expires"))}
	token, t, err := func() (string, store.APIToken, error) {
		scopes, err := newsletter.ParseScopes(f.Scopes)
		if err != nil {
			return "", store.APIToken{}, err
		}
		spec := store.TokenSpec{Name: f.Name, Scopes: scopes, CreatedBy: "user:" + u.Email}
		if f.Expires != "" {
			at, err := time.ParseInLocation("2006-01-02", f.Expires, c.d.Location)
			if err != nil {
				return "", store.APIToken{}, fmt.Errorf("%w: the expiry must be a date, YYYY-MM-DD", newsletter.ErrInvalid)
			}
			if !at.After(c.d.Now()) {
				return "", store.APIToken{}, fmt.Errorf("%w: the expiry must be a day after today", newsletter.ErrInvalid)
			}
			spec.ExpiresAt = &at
		}
		return c.d.Admin.CreateAPIToken(r.Context(), spec)
	}()
	if err != nil {
		if code, msg, ok := formError(err); ok {
			c.showTokens(w, r, u, code, tokensView{Add: f, Error: "No token was made: " + msg})
			return
		}
		c.fail(w, r, err)
		return
	}
	c.audit(r, u, "token.create", "token "+t.Name, strings.Join(t.Scopes, ","))
	c.showTokens(w, r, u, http.StatusOK, tokensView{Created: token, NewName: t.Name,
		Add: tokenForm{Scopes: []string{string(newsletter.ScopeRead)}}})
}

func (c *Console) tokenRevoke(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	list, err := c.d.Admin.ListAPITokens(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	i := slices.IndexFunc(list, func(t store.APIToken) bool { return t.ID == id })
	if i < 0 {
		c.fail(w, r, fmt.Errorf("%w: token %q: no such token", newsletter.ErrNotFound, r.PathValue("id")))
		return
	}
	if list[i].RevokedAt == nil {
		if _, err := c.d.Admin.RevokeAPIToken(r.Context(), list[i].Name); err != nil {
			c.fail(w, r, err)
			return
		}
		c.audit(r, u, "token.revoke", "token "+list[i].Name, "")
	}
	redirectDone(w, r, "/admin/tokens", "Token "+list[i].Name+" is revoked: requests with it get 401 from now on.")
}
