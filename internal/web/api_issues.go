package web

import (
	"context"
	"net/http"
	"time"

	"github.com/enews/enews/internal/issues"
	"github.com/enews/enews/internal/newsletter"
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

// issueRoutes mounts the issue endpoints: GET /api/issues lists them,
// GET /api/issues/{period} shows one, POST /api/issues/{period}/{action}
// applies a lifecycle action.
func (s *Server) issueRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /api/issues", s.apiIssues)
	m.HandleFunc("GET /api/issues/{period}", s.apiIssue)
	l := s.d.Issues
	for name, fn := range map[string]func(context.Context, newsletter.Period, string) (issues.Result, error){
		"approve": l.Approve, "pause": l.Pause, "resume": l.Resume, "cancel": l.Cancel,
		"reopen": l.Reopen, "refresh": l.Refresh, "retry-failed": l.RetryFailed,
	} {
		m.HandleFunc("POST /api/issues/{period}/"+name, s.apiIssueAction(fn))
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

type tokenNameKey struct{}

// tokenName is the name of the API token the request came with, for the
// transition log.
func tokenName(ctx context.Context) string {
	if n, ok := ctx.Value(tokenNameKey{}).(string); ok && n != "" {
		return n
	}
	return "unknown"
}
