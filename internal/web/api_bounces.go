package web

import (
	"encoding/json"
	"net/http"

	"github.com/enews/enews/internal/bounce"
	"github.com/enews/enews/internal/newsletter"
)

type bounceRatesJSON struct {
	Period        string  `json:"period"`
	IssueID       int64   `json:"issue_id"`
	Status        string  `json:"status"`
	Sent          int64   `json:"sent"`
	Failed        int64   `json:"failed"`
	Hard          int64   `json:"hard_bounces"`
	Soft          int64   `json:"soft_bounces"`
	Complaints    int64   `json:"complaints"`
	HardRate      float64 `json:"hard_bounce_rate"`
	ComplaintRate float64 `json:"complaint_rate"`
	// PausedBecause is why the bounce policy last paused the issue.
	PausedBecause string `json:"paused_because,omitempty"`
}

// apiIssueBounces is GET /api/issues/{period}/bounces: the issue's bounce
// and complaint counts and rates (per message that left).
func (s *Server) apiIssueBounces(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	is, err := s.pathIssue(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	rates, err := s.d.Store.IssueBounceRates(ctx, is.ID)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	history, err := s.d.Store.IssueTransitions(ctx, is.ID)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, bounceRatesJSON{Period: is.Period.String(), IssueID: is.ID, Status: is.Status,
		Sent: rates.Sent, Failed: rates.Failed, Hard: rates.Hard, Soft: rates.Soft, Complaints: rates.Complaints,
		HardRate: rates.HardRate(), ComplaintRate: rates.ComplaintRate(), PausedBecause: bounce.PauseReason(history)})
}

// apiIssueCheck is GET /api/issues/{period}/check: the issue's latest
// compliance receipt as stored (404 when it was never checked).
func (s *Server) apiIssueCheck(w http.ResponseWriter, r *http.Request) {
	is, err := s.pathIssue(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	c, err := s.d.Store.LatestIssueCheck(r.Context(), is.ID)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, json.RawMessage(c.Receipt))
}

// pathIssue is the issue of the request's {period}.
func (s *Server) pathIssue(r *http.Request) (newsletter.Issue, error) {
	p, err := apiPeriod(r)
	if err != nil {
		return newsletter.Issue{}, err
	}
	return s.d.Store.IssueByPeriod(r.Context(), p)
}
