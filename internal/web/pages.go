package web

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	texttemplate "text/template"

	"github.com/enews/enews/internal/plaintext"
	"github.com/enews/enews/internal/subscribers"
	"github.com/enews/enews/templates"
)

// Template files a templates directory must hold.
const (
	layoutFile       = "layout.html.tmpl"
	confirmEmailHTML = "email/confirm.html.tmpl"
	confirmEmailText = "email/confirm.txt.tmpl"
	addressEmailHTML = "email/address.html.tmpl"
	addressEmailText = "email/address.txt.tmpl"
)

// Pages, by file name.
const (
	pageSubscribe   = "subscribe.html.tmpl"
	pageConfirm     = "confirm.html.tmpl"
	pageUnsubscribe = "unsubscribe.html.tmpl"
	pageMessage     = "message.html.tmpl"
	pageArchive     = "archive.html.tmpl"
	pageIssue       = "archive_issue.html.tmpl"
	pageManage      = "manage.html.tmpl"
	pageManageErase = "manage_erase.html.tmpl"
	pageNewAddress  = "new_address.html.tmpl"
)

// pageCSP allows nothing but this site's stylesheet and images: the pages
// need no script at all, so any injected one would not run.
const pageCSP = "default-src 'none'; style-src 'self'; img-src 'self' https: data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// pages holds the parsed templates, each page with the layout.
type pages struct {
	fsys      fs.FS
	page      map[string]*htmltemplate.Template
	emailHTML *htmltemplate.Template
	emailText *texttemplate.Template
	// The email to a new address given on the manage page.
	addressHTML *htmltemplate.Template
	addressText *texttemplate.Template
}

func loadPages(fsys fs.FS) (*pages, error) {
	if fsys == nil {
		sub, err := fs.Sub(templates.Web, "web")
		if err != nil {
			return nil, fmt.Errorf("web: templates: %w", err)
		}
		fsys = sub
	}
	p := &pages{fsys: fsys, page: map[string]*htmltemplate.Template{}}
	for _, name := range []string{pageSubscribe, pageConfirm, pageUnsubscribe, pageMessage, pageArchive, pageIssue,
		pageManage, pageManageErase, pageNewAddress} {
		t, err := htmltemplate.New(name).Option("missingkey=error").ParseFS(fsys, layoutFile, name)
		if err != nil {
			return nil, fmt.Errorf("web: templates: %w", err)
		}
		p.page[name] = t
	}
	var err error
	if p.emailHTML, err = htmltemplate.New(path.Base(confirmEmailHTML)).Option("missingkey=error").ParseFS(fsys, confirmEmailHTML); err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	if p.emailText, err = texttemplate.New(path.Base(confirmEmailText)).Option("missingkey=error").ParseFS(fsys, confirmEmailText); err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	if p.addressHTML, err = htmltemplate.New(path.Base(addressEmailHTML)).Option("missingkey=error").ParseFS(fsys, addressEmailHTML); err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	if p.addressText, err = texttemplate.New(path.Base(addressEmailText)).Option("missingkey=error").ParseFS(fsys, addressEmailText); err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	return p, nil
}

// pageData is what every page template gets; each page uses what it needs.
type pageData struct {
	Brand        Brand
	AddressLines []string
	Base         string // public base URL, no trailing slash
	Title        string
	NoIndex      bool     // keep search engines off token and form pages
	Paragraphs   []string // message page
	LinkURL      string   // message page: one way on
	LinkText     string
	Error        string // subscribe form
	NameMax      int    // subscribe form: the longest name the list takes
	Email, Name  string // subscribe form, as typed
	Issues       []archiveEntry
	FeedURL      string            // archive pages: the Atom feed, linked from the head
	IssueHTML    htmltemplate.HTML // archive issue page: the stored web rendering
	Prev, Next   *archiveEntry     // archive issue page: the neighbouring issues
	Manage       *manageView       // the manage pages
}

func (s *Server) data(title string) pageData {
	return pageData{Brand: s.d.Brand, AddressLines: plaintext.Lines(s.d.Brand.OrgAddress), NameMax: subscribers.MaxNameRunes, Base: s.d.Links.Base(), Title: title, NoIndex: true}
}

// render executes a page into a buffer first, so a template error is a
// clean 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, d pageData) {
	var buf bytes.Buffer
	if err := s.pages.page[page].ExecuteTemplate(&buf, "layout", d); err != nil {
		s.log.Error("web: render page", "page", page, "err", err)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", pageCSP)
	if d.NoIndex {
		h.Set("Cache-Control", "no-store")
	}
	// With a length the answer is complete once written, even while the
	// handler goes on (subscribe does its work after answering).
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// message shows a page with a title and paragraphs.
func (s *Server) message(w http.ResponseWriter, r *http.Request, status int, title string, paragraphs ...string) {
	d := s.data(title)
	d.Paragraphs = paragraphs
	s.render(w, r, status, pageMessage, d)
}

// pageError is the one place an error a page did not expect becomes an
// answer: it is logged once, with what the page was doing, and the reader
// gets a page that says what to do; no internals reach them.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, op string, err error, attrs ...any) {
	s.log.Error("web: "+op, append(attrs, "route", r.Pattern, "err", err)...)
	s.message(w, r, http.StatusInternalServerError, "Something went wrong on our side",
		"Nothing was changed by this. Please try again in a few minutes.")
}

// messageLink is message with a link onwards.
func (s *Server) messageLink(w http.ResponseWriter, r *http.Request, status int, title, linkURL, linkText string, paragraphs ...string) {
	d := s.data(title)
	d.Paragraphs, d.LinkURL, d.LinkText = paragraphs, linkURL, linkText
	s.render(w, r, status, pageMessage, d)
}

// asset serves a file from the assets directory of the templates.
func (s *Server) asset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	b, err := fs.ReadFile(s.pages.fsys, "assets/"+name)
	if err != nil || strings.Contains(name, "..") {
		http.NotFound(w, r)
		return
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(b)
}
