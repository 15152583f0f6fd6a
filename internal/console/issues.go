package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/enews/enews/internal/compliance"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/enews/enews/internal/issues"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
)

// IssueStore is what the issue pages read.
type IssueStore interface {
	IssueSummaries(ctx context.Context, limit int) ([]store.IssueSummary, error)
	IssueByPeriod(ctx context.Context, p newsletter.Period) (newsletter.Issue, error)
	Stats(ctx context.Context, issueID int64) (newsletter.DeliveryStats, error)
	IssueTransitions(ctx context.Context, issueID int64) ([]newsletter.IssueTransitionRecord, error)
	IssueDeliveries(ctx context.Context, issueID int64, status string, after int64, limit int) ([]store.DeliveryLine, error)
	SentPerMinute(ctx context.Context, issueID int64, n int) ([]int64, error)
	ItemsByID(ctx context.Context, ids []int64) ([]newsletter.Item, error)
	IssueBounceRates(ctx context.Context, issueID int64) (store.BounceRates, error)
	LatestIssueCheck(ctx context.Context, issueID int64) (store.IssueCheck, error)
}

// Lifecycle is the one issue lifecycle service (issues.Service).
type Lifecycle interface {
	Approve(ctx context.Context, p newsletter.Period, actor string) (issues.Result, error)
	Start(ctx context.Context, p newsletter.Period, actor string) (issues.Result, error)
	Pause(ctx context.Context, p newsletter.Period, actor string) (issues.Result, error)
	Resume(ctx context.Context, p newsletter.Period, actor string) (issues.Result, error)
	Cancel(ctx context.Context, p newsletter.Period, actor string) (issues.Result, error)
	Reopen(ctx context.Context, p newsletter.Period, actor string) (issues.Result, error)
	Refresh(ctx context.Context, p newsletter.Period, actor string) (issues.Result, error)
	RetryFailed(ctx context.Context, p newsletter.Period, actor string) (issues.Result, error)
	Draft(ctx context.Context, p newsletter.Period) (newsletter.Issue, error)
	// Report is why each item is in or out: kept with a frozen issue, else
	// the month as it would be made now.
	Report(ctx context.Context, p newsletter.Period) (newsletter.InclusionReport, bool, error)
	Create(ctx context.Context, p newsletter.Period, opts issues.CreateOptions) (newsletter.Issue, bool, error)
}

type issuesView struct {
	Issues []store.IssueSummary
	Period string // the month the create form offers
	Error  string
}

func (c *Console) issueList(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	c.showIssues(w, r, u, http.StatusOK, "", "")
}

func (c *Console) showIssues(w http.ResponseWriter, r *http.Request, u newsletter.User, status int, period, formErr string) {
	list, err := c.d.Issues.IssueSummaries(r.Context(), 240)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if period == "" {
		period = newsletter.PeriodOf(c.d.Now().In(c.d.Location), c.d.Location).Prev().String()
	}
	c.render(w, r, status, pageIssues, c.view(r, u, "Issues", issuesView{Issues: list, Period: period, Error: formErr}))
}

// issueCreate makes a month's issue by hand, as `enews issue create` does:
// a draft of the month's items, or a skipped issue for a quiet month. A
// month that has an issue already just leads to it.
func (c *Console) issueCreate(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	raw := strings.TrimSpace(r.PostFormValue("period"))
	p, err := newsletter.ParsePeriod(raw)
	if err != nil {
		c.showIssues(w, r, u, http.StatusUnprocessableEntity, raw, "Give the month as YYYY-MM, for example 2022-05.")
		return
	}
	if _, end := p.Bounds(c.d.Location); c.d.Now().Before(end) {
		c.showIssues(w, r, u, http.StatusUnprocessableEntity, raw, "No issue was made: "+p.String()+
			" has not ended yet. Its issue can be made from "+stamp(end, c.d.Location)+" on.")
		return
	}
	is, created, err := c.d.Lifecycle.Create(r.Context(), p, issues.CreateOptions{Actor: "console:" + u.Email})
	if err != nil {
		if code, msg, ok := formError(err); ok {
			c.showIssues(w, r, u, code, raw, "No issue was made: "+msg)
			return
		}
		c.fail(w, r, err)
		return
	}
	to := "/admin/issues/" + p.String()
	if !created {
		redirectDone(w, r, to, "Issue "+p.String()+" exists already; here it is.")
		return
	}
	c.audit(r, u, "issue.create", "issue "+p.String(), "now "+is.Status)
	msg := "Issue " + p.String() + " was made as a draft: look at it, send a test, then approve it."
	if is.Status == newsletter.IssueSkipped {
		msg = "Issue " + p.String() + " was skipped: " + is.SkipReason + ". Reopen it once the month has items."
	}
	redirectDone(w, r, to, msg)
}

// progress is an issue's ledger in numbers; the page shows it and
// progress.json gives it to the page's script every few seconds.
type progress struct {
	Status     string  `json:"status"`
	Total      int64   `json:"total"`
	Sent       int64   `json:"sent"`
	Failed     int64   `json:"failed"`
	Retrying   int64   `json:"retrying"`
	Waiting    int64   `json:"waiting"` // queued or in flight
	InDoubt    int64   `json:"in_doubt"`
	Bounced    int64   `json:"bounced"`    // hard or soft bounce reports after the relay took it
	Complaints int64   `json:"complaints"` // spam complaints about it
	PerMinute  int64   `json:"per_minute"`
	ETA        string  `json:"eta"`
	Done       int64   `json:"done_percent"`
	Rate       []int64 `json:"rate"` // sent per minute, the last 30 minutes, oldest first
	RateMax    int64   `json:"rate_max"`
	Terminated bool    `json:"terminated"` // nothing will change without a person
}

func (c *Console) progressOf(ctx context.Context, is newsletter.Issue) (progress, error) {
	st, err := c.d.Issues.Stats(ctx, is.ID)
	if err != nil {
		return progress{}, err
	}
	b := st.ByStatus
	p := progress{Status: is.Status, Total: st.Total(), Sent: b[newsletter.DeliverySent], Failed: b[newsletter.DeliveryFailed],
		Retrying: b[newsletter.DeliveryRetry], Waiting: b[newsletter.DeliveryQueued] + b[newsletter.DeliverySending],
		InDoubt: st.InDoubt, PerMinute: st.SentLastMin}
	p.Done = percent(p.Sent+p.Failed+b[newsletter.DeliverySkipped], p.Total)
	if left := p.Waiting + p.Retrying; left > 0 && p.PerMinute > 0 {
		p.ETA = (time.Duration(float64(left)/float64(p.PerMinute)*60) * time.Second).Round(time.Second).String()
	}
	br, err := c.d.Issues.IssueBounceRates(ctx, is.ID)
	if err != nil {
		return progress{}, err
	}
	p.Bounced, p.Complaints = br.Hard+br.Soft, br.Complaints
	if p.Rate, err = c.d.Issues.SentPerMinute(ctx, is.ID, 30); err != nil {
		return progress{}, err
	}
	for _, n := range p.Rate {
		p.RateMax = max(p.RateMax, n)
	}
	p.Terminated = is.Status != newsletter.IssueSending && is.Status != newsletter.IssueApproved
	return p, nil
}

type issueView struct {
	Issue       newsletter.Issue
	Frozen      bool
	Actions     []string
	CanWrite    bool
	Progress    progress
	Items       []newsletter.Item
	History     []newsletter.IssueTransitionRecord
	Deliveries  []store.DeliveryLine
	Filter      string
	Statuses    []string
	Next        int64
	Paged       bool
	TestTo      string
	Error       string
	PreviewPath string
	Receipt     *compliance.Receipt // the newest compliance receipt; nil before the first check
	Inclusion   newsletter.InclusionReport
	Kept        bool // Inclusion is the report kept when the bytes froze
}

// deliveryStatuses are the ledger's statuses, for the table's filter.
func deliveryStatuses() []string {
	return []string{newsletter.DeliveryQueued, newsletter.DeliverySending, newsletter.DeliverySent,
		newsletter.DeliveryRetry, newsletter.DeliveryFailed, newsletter.DeliverySkipped}
}

func (c *Console) issuePage(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	c.showIssue(w, r, u, http.StatusOK, "", "")
}

func (c *Console) showIssue(w http.ResponseWriter, r *http.Request, u newsletter.User, status int, formErr, testTo string) {
	ctx := r.Context()
	is, err := c.issueOf(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	v := issueView{Issue: is, Frozen: newsletter.IssueFrozen(is.Status), CanWrite: u.Role.Can(newsletter.WriteIssues),
		Filter: q.Get("status"), Statuses: deliveryStatuses(), Error: formErr, TestTo: testTo,
		PreviewPath: "/admin/issues/" + is.Period.String() + "/preview"}
	if v.Filter != "" && !slices.Contains(v.Statuses, v.Filter) {
		v.Filter = ""
	}
	if v.Progress, err = c.progressOf(ctx, is); err != nil {
		c.fail(w, r, err)
		return
	}
	for _, a := range newsletter.IssueActionsFrom(is.Status) {
		// Retrying nothing is no action to offer.
		if a != newsletter.ActionComplete && (a != newsletter.ActionRetryFailed || v.Progress.Failed > 0) {
			v.Actions = append(v.Actions, string(a))
		}
	}
	if v.Items, err = c.d.Issues.ItemsByID(ctx, is.ItemIDs); err != nil {
		c.fail(w, r, err)
		return
	}
	if v.History, err = c.d.Issues.IssueTransitions(ctx, is.ID); err != nil {
		c.fail(w, r, err)
		return
	}
	if v.Receipt, err = c.latestReceipt(ctx, is.ID); err != nil {
		c.fail(w, r, err)
		return
	}
	if v.Inclusion, v.Kept, err = c.d.Lifecycle.Report(ctx, is.Period); err != nil {
		c.fail(w, r, err)
		return
	}
	after, _ := strconv.ParseInt(q.Get("after"), 10, 64)
	v.Paged = after > 0
	if v.Deliveries, err = c.d.Issues.IssueDeliveries(ctx, is.ID, v.Filter, after, pageSize+1); err != nil {
		c.fail(w, r, err)
		return
	}
	if len(v.Deliveries) > pageSize {
		v.Deliveries = v.Deliveries[:pageSize]
		v.Next = v.Deliveries[pageSize-1].SubscriberID
	}
	c.render(w, r, status, pageIssue, c.view(r, u, "Issue "+is.Period.String(), v))
}

func (c *Console) issueOf(r *http.Request) (newsletter.Issue, error) {
	p, err := newsletter.ParsePeriod(r.PathValue("period"))
	if err != nil {
		return newsletter.Issue{}, fmt.Errorf("%w: issue %q: no such page", newsletter.ErrNotFound, r.PathValue("period"))
	}
	return c.d.Issues.IssueByPeriod(r.Context(), p)
}

func (c *Console) issueProgress(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	is, err := c.issueOf(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	p, err := c.progressOf(r.Context(), is)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(p)
}

// issueAction applies one lifecycle action through the service, which
// checks it against the issue's status inside its transaction.
func (c *Console) issueAction(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	p, err := newsletter.ParsePeriod(r.PathValue("period"))
	if err != nil {
		c.fail(w, r, fmt.Errorf("%w: issue %q", newsletter.ErrNotFound, r.PathValue("period")))
		return
	}
	l := c.d.Lifecycle
	actions := map[string]func(context.Context, newsletter.Period, string) (issues.Result, error){
		"approve": l.Approve, "start": l.Start, "pause": l.Pause, "resume": l.Resume, "cancel": l.Cancel,
		"reopen": l.Reopen, "refresh": l.Refresh, "retry-failed": l.RetryFailed,
	}
	name := r.PathValue("action")
	act, ok := actions[name]
	if !ok {
		c.fail(w, r, fmt.Errorf("%w: no issue action %q", newsletter.ErrNotFound, name))
		return
	}
	res, err := act(r.Context(), p, "console:"+u.Email)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	detail := "now " + res.Issue.Status
	if res.Deliveries > 0 {
		detail += fmt.Sprintf(", %d deliveries", res.Deliveries)
	}
	c.audit(r, u, "issue."+name, "issue "+p.String(), detail)
	redirectDone(w, r, "/admin/issues/"+p.String(), actionDone(name, res))
}

func actionDone(name string, res issues.Result) string {
	p := res.Issue.Period.String()
	switch name {
	case "approve":
		return "Issue " + p + " approved: its bytes are frozen, and a running server starts sending within seconds."
	case "start":
		return fmt.Sprintf("Issue %s is sending: %s deliveries queued.", p, formatCount(res.Deliveries))
	case "retry-failed":
		return fmt.Sprintf("%s failed deliveries of %s are queued again.", formatCount(res.Deliveries), p)
	}
	return "Issue " + p + " is now " + res.Issue.Status + "."
}

// latestReceipt is the issue's newest compliance receipt, or nil when it
// was never checked.
func (c *Console) latestReceipt(ctx context.Context, issueID int64) (*compliance.Receipt, error) {
	chk, err := c.d.Issues.LatestIssueCheck(ctx, issueID)
	if errors.Is(err, newsletter.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var rec compliance.Receipt
	if err := json.Unmarshal(chk.Receipt, &rec); err != nil {
		return nil, fmt.Errorf("compliance receipt %d: %w", chk.ID, err)
	}
	return &rec, nil
}
