package web

import (
	"context"
	"net/http"
	"time"

	"github.com/enews/enews/internal/issues"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
)

// Lifecycle is the issue lifecycle service (issues.Service): every change
// of an issue's status the API makes goes through it.
type Lifecycle interface {
	Approve(ctx context.Context, p newsletter.Period, actor string) (issues.Result, error)
	Pause(ctx context.Context, p newsletter.Period, actor string) (issues.Result, error)
	Resume(ctx context.Context, p newsletter.Period, actor string) (issues.Result, error)
	Cancel(ctx context.Context, p newsletter.Period, actor string) (issues.Result, error)
	Reopen(ctx context.Context, p newsletter.Period, actor string) (issues.Result, error)
	Refresh(ctx context.Context, p newsletter.Period, actor string) (issues.Result, error)
	RetryFailed(ctx context.Context, p newsletter.Period, actor string) (issues.Result, error)
	// Draft is the issue as it stands, stored or rendered now, for previews.
	Draft(ctx context.Context, p newsletter.Period) (newsletter.Issue, error)
	// Report is why each item is in or out: kept with a frozen issue, else
	// the month as it would be made now.
	Report(ctx context.Context, p newsletter.Period) (newsletter.InclusionReport, bool, error)
}

type issueJSON struct {
	ID         int64      `json:"id"`
	Period     string     `json:"period"`
	Status     string     `json:"status"`
	Subject    string     `json:"subject"`
	Preheader  string     `json:"preheader"`
	ItemIDs    []int64    `json:"item_ids"`
	SkipReason string     `json:"skip_reason,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	ApprovedAt *time.Time `json:"approved_at,omitempty"`
	SentAt     *time.Time `json:"sent_at,omitempty"`
	Actions    []string   `json:"actions"`              // what may be done next
	Deliveries *int64     `json:"deliveries,omitempty"` // touched by this action
}

func issueOut(is newsletter.Issue) issueJSON {
	out := issueJSON{ID: is.ID, Period: is.Period.String(), Status: is.Status, Subject: is.Subject,
		Preheader: is.Preheader, ItemIDs: is.ItemIDs, SkipReason: is.SkipReason, CreatedAt: is.CreatedAt,
		ApprovedAt: is.ApprovedAt, SentAt: is.SentAt, Actions: []string{}}
	if out.ItemIDs == nil {
		out.ItemIDs = []int64{}
	}
	for _, a := range newsletter.IssueActionsFrom(is.Status) {
		out.Actions = append(out.Actions, string(a))
	}
	return out
}

// issueRoutes are the issue endpoints: GET /api/issues lists them,
// GET /api/issues/{period} shows one, POST /api/issues/{period}/{action}
// applies a lifecycle action.
func (s *Server) issueRoutes() []apiRoute {
	read, act := newsletter.ScopeRead, newsletter.ScopeIssues
	l := s.d.Issues
	return []apiRoute{
		{"GET", "/api/issues", read, s.apiIssues},
		{"GET", "/api/issues/{period}", read, s.apiIssue},
		{"GET", "/api/issues/{period}/inclusion", read, s.apiIssueInclusion},
		{"POST", "/api/issues/{period}/approve", act, s.apiIssueAction(l.Approve)},
		{"POST", "/api/issues/{period}/pause", act, s.apiIssueAction(l.Pause)},
		{"POST", "/api/issues/{period}/resume", act, s.apiIssueAction(l.Resume)},
		{"POST", "/api/issues/{period}/cancel", act, s.apiIssueAction(l.Cancel)},
		{"POST", "/api/issues/{period}/reopen", act, s.apiIssueAction(l.Reopen)},
		{"POST", "/api/issues/{period}/refresh", act, s.apiIssueAction(l.Refresh)},
		{"POST", "/api/issues/{period}/retry-failed", act, s.apiIssueAction(l.RetryFailed)},
	}
}

func apiPeriod(r *http.Request) (newsletter.Period, error) {
	p, err := newsletter.ParsePeriod(r.PathValue("period"))
	if err != nil {
		return p, badRequest("period %q: want YYYY-MM", r.PathValue("period"))
	}
	return p, nil
}

func (s *Server) apiIssueAction(fn func(context.Context, newsletter.Period, string) (issues.Result, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := apiPeriod(r)
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		res, err := fn(r.Context(), p, "api:"+tokenName(r.Context()))
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		out := issueOut(res.Issue)
		out.Deliveries = &res.Deliveries
		writeJSON(w, http.StatusOK, out)
	}
}

func (s *Server) apiIssues(w http.ResponseWriter, r *http.Request) {
	list, err := s.d.Store.ListIssues(r.Context(), "", maxArchive)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := make([]issueJSON, len(list))
	for i, is := range list {
		out[i] = issueOut(is)
	}
	writeJSON(w, http.StatusOK, map[string]any{"issues": out})
}

func (s *Server) apiIssue(w http.ResponseWriter, r *http.Request) {
	p, err := apiPeriod(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	is, err := s.d.Store.IssueByPeriod(r.Context(), p)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, issueOut(is))
}

// tokenName is the name of the API token the request came with, for the
// transition log.
func tokenName(ctx context.Context) string {
	if t, ok := ctx.Value(tokenKey{}).(store.APIToken); ok && t.Name != "" {
		return t.Name
	}
	return "unknown"
}

// apiIssueInclusion is why each item is in or out of the period's issue,
// with kept saying whether it is the report kept when its bytes froze.
func (s *Server) apiIssueInclusion(w http.ResponseWriter, r *http.Request) {
	p, err := apiPeriod(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	rep, kept, err := s.d.Issues.Report(r.Context(), p)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if rep.Items == nil {
		rep.Items = []newsletter.ItemDecision{}
	}
	writeJSON(w, http.StatusOK, struct {
		newsletter.InclusionReport
		Kept bool `json:"kept"`
	}{rep, kept})
}
