package web

import (
	"errors"
	"net/http"
	"slices"
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
func archived(status string) bool {
	return slices.Contains([]string{newsletter.IssueSending, newsletter.IssuePaused, newsletter.IssueSent}, status)
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
		s.log.Error("web: archive", "err", err)
		s.message(w, r, http.StatusInternalServerError, "Something went wrong", "Please try again in a few minutes.")
		return
	}
	d := s.data("Past issues")
	d.NoIndex = false
	for _, is := range issues {
		if archived(is.Status) {
			d.Issues = append(d.Issues, archiveEntry{URL: s.d.Links.Archive(is.Period),
				Month: is.Period.Month.String() + " " + strconv.Itoa(is.Period.Year), Subject: is.Subject,
				Preheader: is.Preheader})
		}
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	s.render(w, r, http.StatusOK, pageArchive, d)
}

// archiveIssue shows the issue's frozen HTML, the bytes every subscriber
// got, with the personal parts filled in for an anonymous reader.
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
		s.log.Error("web: archive issue", "period", p.String(), "err", err)
		s.message(w, r, http.StatusInternalServerError, "Something went wrong", "Please try again in a few minutes.")
		return
	}
	t, err := digest.Compile(is.HTML, is.Text)
	if err != nil {
		s.log.Error("web: archive issue", "period", p.String(), "err", err)
		s.message(w, r, http.StatusInternalServerError, "This issue cannot be shown", "Please try again later.")
		return
	}
	html := t.AppendHTML(nil, digest.Values{
		// A web reader has no personal unsubscribe link; this page says
		// where to find theirs.
		UnsubscribeURL: s.d.Links.Base() + links.PathUnsubscribe,
		ViewURL:        s.d.Links.Archive(p),
	})
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", archiveCSP)
	h.Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(html)
}
