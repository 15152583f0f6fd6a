package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/enews/enews/internal/links"
	"github.com/enews/enews/internal/newsletter"
)

// preview shows the issue a test copy was made of, as it stands now: a
// draft rendered from its items, or the frozen bytes once approved. The
// link is signed and expires, so unsent issues are not public.
func (s *Server) preview(w http.ResponseWriter, r *http.Request) {
	id, ok := s.verify(w, r, links.PurposePreview, false)
	if !ok {
		return
	}
	p, ok := links.PreviewPeriod(id)
	if !ok {
		s.message(w, r, http.StatusBadRequest, "This link does not work", "It does not name an issue.")
		return
	}
	is, err := s.d.Issues.Draft(r.Context(), p)
	switch {
	case errors.Is(err, newsletter.ErrInvalid), errors.Is(err, newsletter.ErrNotFound):
		s.message(w, r, http.StatusNotFound, "Nothing to preview",
			"The "+p.Month.String()+" "+strconv.Itoa(p.Year)+" issue holds no published item at the moment.")
		return
	case err != nil:
		s.pageError(w, r, "preview", err, "period", p.String())
		return
	}
	d := s.data("Preview: " + is.Subject)
	d.Paragraphs = []string{previewNote(is)}
	d.IssueHTML = trustedIssueHTML(is)
	s.render(w, r, http.StatusOK, pageIssue, d)
}

func previewNote(is newsletter.Issue) string {
	switch {
	case newsletter.IssuePublic(is.Status):
		return "Preview of an issue that is " + is.Status + "."
	case newsletter.IssueFrozen(is.Status):
		return "Preview of the approved issue, as it will be sent."
	default:
		return "Preview of a draft, as its items stand now; it may still change before it is approved."
	}
}

// testUnsubscribe is where a test copy's unsubscribe link leads: it says
// so and changes nothing. A one-click POST gets a bare 200.
func (s *Server) testUnsubscribe(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		w.WriteHeader(http.StatusOK)
		return
	}
	s.message(w, r, http.StatusOK, "This was a test copy",
		"The email you came from was a test copy of the "+s.d.Brand.Newsletter+", sent to check it before subscribers get it.",
		"Its unsubscribe link does nothing: no subscription was changed.")
}
