package web

import (
	"errors"
	htmltemplate "html/template"
	"net/http"
	"strconv"

	"github.com/enews/enews/internal/digest"
	"github.com/enews/enews/internal/links"
	"github.com/enews/enews/internal/newsletter"
)

// archiveCSP lets an issue's own inline styles and remote images show, and
// nothing else: the frozen HTML holds no script, and none may run.
const archiveCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src https: http: data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// archived says whether readers may see an issue: once sending starts, the
// email's "view in your browser" link must work, even mid-send.
func archived(status string) bool { return newsletter.IssuePublic(status) }

func (s *Server) entry(p newsletter.Period, subject, preheader string) archiveEntry {
	return archiveEntry{URL: s.d.Links.Archive(p), Month: p.Month.String() + " " + strconv.Itoa(p.Year),
		Subject: subject, Preheader: preheader}
}

// archiveEntry is one line of the archive list.
type archiveEntry struct {
	URL       string
	Month     string // "May 2022"
	Subject   string
	Preheader string // "3 new items: …"
}

// maxArchive bounds the list: fifty years of monthly issues.
const maxArchive = 600

func (s *Server) archiveList(w http.ResponseWriter, r *http.Request) {
	issues, err := s.d.Store.ListIssues(r.Context(), "", maxArchive)
	if err != nil {
		s.pageError(w, r, "archive", err)
		return
	}
	d := s.data("Past issues")
	d.NoIndex, d.FeedURL = false, s.d.Links.Feed()
	for _, is := range issues {
		if archived(is.Status) {
			d.Issues = append(d.Issues, s.entry(is.Period, is.Subject, is.Preheader))
		}
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	s.render(w, r, http.StatusOK, pageArchive, d)
}

// archiveIssue shows the issue as a page of the site: the web rendering
// stored with it when it froze, between links to the issues before and
// after it. An issue frozen before web renderings were kept shows its
// email bytes instead.
func (s *Server) archiveIssue(w http.ResponseWriter, r *http.Request) {
	p, err := newsletter.ParsePeriod(r.PathValue("period"))
	if err != nil {
		s.message(w, r, http.StatusNotFound, "No such issue", "Past issues are listed in the archive.")
		return
	}
	is, err := s.d.Store.IssueByPeriod(r.Context(), p)
	if errors.Is(err, newsletter.ErrNotFound) || (err == nil && !archived(is.Status)) {
		s.messageLink(w, r, http.StatusNotFound, "No such issue", s.d.Links.Base()+links.PathArchive, "All past issues",
			"There is no sent issue for "+p.Month.String()+" "+strconv.Itoa(p.Year)+".")
		return
	}
	if err != nil {
		s.pageError(w, r, "archive issue", err, "period", p.String())
		return
	}
	if is.WebHTML != "" {
		s.issuePage(w, r, is)
		return
	}
	t, err := digest.Compile(is.HTML, is.Text)
	if err != nil {
		s.pageError(w, r, "archive issue", err, "period", p.String())
		return
	}
	html := t.AppendHTML(nil, digest.Values{
		// A web reader has no personal unsubscribe link; this page says
		// where to find theirs.
		UnsubscribeURL: s.d.Links.Base() + links.PathUnsubscribe,
		ManageURL:      s.d.Links.Base() + links.PathUnsubscribe,
		ViewURL:        s.d.Links.Archive(p),
	})
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", archiveCSP)
	h.Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(html)
}

func (s *Server) issuePage(w http.ResponseWriter, r *http.Request, is newsletter.Issue) {
	prev, next, hasPrev, hasNext, err := s.d.Store.PublicNeighbours(r.Context(), is.Period)
	if err != nil {
		s.pageError(w, r, "archive issue", err, "period", is.Period.String())
		return
	}
	d := s.data(is.Subject)
	d.NoIndex, d.FeedURL = false, s.d.Links.Feed()
	d.IssueHTML = trustedIssueHTML(is)
	if hasPrev {
		e := s.entry(prev, "", "")
		d.Prev = &e
	}
	if hasNext {
		e := s.entry(next, "", "")
		d.Next = &e
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	s.render(w, r, http.StatusOK, pageIssue, d)
}

// trustedIssueHTML is the issue's web rendering, made by html/template from
// the items when the issue was rendered: every item field in it is escaped
// already.
func trustedIssueHTML(is newsletter.Issue) htmltemplate.HTML {
	return htmltemplate.HTML(is.WebHTML)
}
