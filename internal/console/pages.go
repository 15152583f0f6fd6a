package console

import (
	"bytes"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
	"github.com/enews/enews/templates"
)

// Page templates, by file name under templates/web/admin.
const (
	layoutFile      = "layout.html.tmpl"
	pageLogin       = "login.html.tmpl"
	pageMessage     = "message.html.tmpl"
	pageDashboard   = "dashboard.html.tmpl"
	pageSubscribers = "subscribers.html.tmpl"
	pageSubscriber  = "subscriber.html.tmpl"
	pageImport      = "import.html.tmpl"
	pageIssues      = "issues.html.tmpl"
	pageIssue       = "issue.html.tmpl"
	pageUsers       = "users.html.tmpl"
	pageTokens      = "tokens.html.tmpl"
	pageAudit       = "audit.html.tmpl"
	pageSources     = "sources.html.tmpl"
	pageSource      = "source.html.tmpl"
	pageItems       = "items.html.tmpl"
	pageItem        = "item.html.tmpl"
)

func pageFiles() []string {
	return []string{pageLogin, pageMessage, pageDashboard, pageSubscribers, pageSubscriber, pageImport, pageIssues, pageIssue, pageUsers, pageTokens, pageAudit, pageSources, pageSource, pageItems, pageItem}
}

// pageCSP allows this site's stylesheets and scripts only, and frames only
// from this site (the issue preview). No inline script anywhere.
const pageCSP = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

type pages struct {
	fsys fs.FS
	page map[string]*htmltemplate.Template
}

func loadPages(fsys fs.FS, loc *time.Location) (*pages, error) {
	if fsys == nil {
		sub, err := fs.Sub(templates.Web, "web/admin")
		if err != nil {
			return nil, fmt.Errorf("console: templates: %w", err)
		}
		fsys = sub
	}
	p := &pages{fsys: fsys, page: map[string]*htmltemplate.Template{}}
	funcs := htmltemplate.FuncMap{
		"can":   func(u newsletter.User, perm string) bool { return u.Role.Can(newsletter.Permission(perm)) },
		"count": formatCount,
		// An issue's status as people read it: never plainly "sent" with
		// failed deliveries.
		"issueLabel": newsletter.IssueLabel,
		"percent":    percent,
		"query":      withQuery,
		"ts":         func(t any) string { return stamp(t, loc) },
		"day":        func(t time.Time) string { return t.In(loc).Format("2006-01-02") },
		"add":        func(a, b int64) int64 { return a + b },
		"sub":        func(a, b int64) int64 { return a - b },
		"mul":        func(a int, b int64) int64 { return int64(a) * b },
		"half":       func(a int64) int64 { return a / 2 },
		"title":      func(s string) string { return strings.ToUpper(s[:1]) + s[1:] },
		"join":       strings.Join,
	}
	for _, name := range pageFiles() {
		t, err := htmltemplate.New(name).Option("missingkey=error").Funcs(funcs).ParseFS(fsys, layoutFile, name)
		if err != nil {
			return nil, fmt.Errorf("console: templates: %w", err)
		}
		p.page[name] = t
	}
	return p, nil
}

// view is what every page template gets; Page is the page's own data.
type view struct {
	Brand   Brand
	Title   string
	User    newsletter.User
	Section string // the navigation entry to mark current
	Flash   string
	Page    any
	Loc     *time.Location
}

func (c *Console) view(r *http.Request, u newsletter.User, title string, page any) view {
	section := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/admin/"), "/", 2)[0]
	return view{Brand: c.d.Brand, Title: title, User: u, Section: section, Page: page, Loc: c.d.Location,
		Flash: r.URL.Query().Get("done")}
}

// render executes a page into a buffer first, so a template error is a
// clean 500 rather than half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, page string, v view) {
	var buf bytes.Buffer
	if err := c.pages.page[page].ExecuteTemplate(&buf, "layout", v); err != nil {
		c.log.Error("console: render page", "page", page, "err", err)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

type messageView struct {
	Paragraphs []string
}

func (c *Console) message(w http.ResponseWriter, r *http.Request, status int, title string, paragraphs ...string) {
	u, _ := c.sessionUser(r)
	c.messageFor(w, r, u, status, title, paragraphs...)
}

func (c *Console) messageFor(w http.ResponseWriter, r *http.Request, u newsletter.User, status int, title string, paragraphs ...string) {
	c.render(w, r, status, pageMessage, c.view(r, u, title, messageView{Paragraphs: paragraphs}))
}

// formatCount writes 1234567 as 1,234,567.
func formatCount(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + formatCount(-n)
	}
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	return b.String()
}

// percent is part of whole, 0 to 100, for bar widths.
func percent(part, whole int64) int64 {
	if whole <= 0 {
		return 0
	}
	return part * 100 / whole
}

// withQuery returns base with key set to value, for links that keep the
// current filters.
func withQuery(base string, kv ...string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	q := u.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			q.Del(kv[i])
		} else {
			q.Set(kv[i], kv[i+1])
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// redirectDone redirects after a successful POST, with a line for the next
// page to show (post/redirect/get: a reload never repeats the action).
func redirectDone(w http.ResponseWriter, r *http.Request, to, msg string) {
	sep := "?"
	if strings.Contains(to, "?") {
		sep = "&"
	}
	http.Redirect(w, r, to+sep+"done="+url.QueryEscape(msg), http.StatusSeeOther)
}

// formError tells whether err is the user's to fix on the form they sent,
// with the status and the sentence to show there.
func formError(err error) (int, string, bool) {
	switch {
	case errors.Is(err, store.ErrSuppressed):
		return http.StatusConflict, "This address was erased or blocked and cannot be added again here.", true
	case errors.Is(err, newsletter.ErrInvalid):
		return http.StatusUnprocessableEntity, userMessage(err), true
	case errors.Is(err, newsletter.ErrConflict):
		return http.StatusConflict, userMessage(err), true
	}
	return 0, "", false
}

// stamp formats a time or an optional one in loc; "–" when unset.
func stamp(t any, loc *time.Location) string {
	switch v := t.(type) {
	case time.Time:
		return v.In(loc).Format("2006-01-02 15:04")
	case *time.Time:
		if v != nil {
			return v.In(loc).Format("2006-01-02 15:04")
		}
	}
	return "–"
}
