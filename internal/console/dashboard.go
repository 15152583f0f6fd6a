package console

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
)

// DashboardStore is what the dashboard reads.
type DashboardStore interface {
	SubscriberCounts(ctx context.Context) (map[string]int64, error)
	ConsentByMonth(ctx context.Context, n int, now time.Time, loc *time.Location) ([]store.MonthlyConsent, error)
	IssueSummaries(ctx context.Context, limit int) ([]store.IssueSummary, error)
	Stats(ctx context.Context, issueID int64) (newsletter.DeliveryStats, error)
	IssueBounceRates(ctx context.Context, issueID int64) (store.BounceRates, error)
}

// ReplicaStatus is what the replica serving the page knows of the
// schedule: whether it leads, and, when it does, what is due and next.
type ReplicaStatus struct {
	Leader    bool
	Scheduler bool // this replica runs the scheduler role
	Spec      string
	Due       string // period YYYY-MM, empty when unknown
	DueStatus string
	NextFire  time.Time
	Missed    []string
}

type dashboardView struct {
	Replica   ReplicaStatus
	Counts    []statusCount
	Total     int64
	Months    []monthBar
	MaxMonth  int64
	Issues    []store.IssueSummary
	Latest    []latestIssue
	Attention []attention
	// Sources' health; HasSources is false when the console has no sources.
	HasSources            bool
	SourcesOn, SourcesOff int
	FailingSources        []newsletter.Source
}

// latestIssue is a line of the dashboard's latest issues: the ledger's
// counts and what came back afterwards.
type latestIssue struct {
	store.IssueSummary
	Bounced, Complaints int64
}

type statusCount struct {
	Status string
	N      int64
}

type monthBar struct {
	Label            string
	In, Out, Bounced int64
	InPct, OutPct    int64
}

type attention struct {
	Text, Link string
}

func (c *Console) dashboard(w http.ResponseWriter, r *http.Request, u newsletter.User) {
	ctx := r.Context()
	v := dashboardView{}
	if c.d.Status != nil {
		v.Replica = c.d.Status()
	}
	if c.d.Dashboard == nil {
		c.render(w, r, http.StatusOK, pageDashboard, c.view(r, u, "Dashboard", v))
		return
	}
	counts, err := c.d.Dashboard.SubscriberCounts(ctx)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	for _, s := range subscriberStatuses() {
		v.Counts = append(v.Counts, statusCount{s, counts[s]})
		v.Total += counts[s]
	}
	months, err := c.d.Dashboard.ConsentByMonth(ctx, 12, c.d.Now(), c.d.Location)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	for _, m := range months {
		v.MaxMonth = max(v.MaxMonth, m.Subscribed, m.Unsubscribed+m.Bounced)
	}
	for _, m := range months {
		v.Months = append(v.Months, monthBar{Label: m.Month.Format("Jan 06"), In: m.Subscribed, Out: m.Unsubscribed, Bounced: m.Bounced,
			InPct: percent(m.Subscribed, v.MaxMonth), OutPct: percent(m.Unsubscribed+m.Bounced, v.MaxMonth)})
	}
	if v.Issues, err = c.d.Dashboard.IssueSummaries(ctx, 6); err != nil {
		c.fail(w, r, err)
		return
	}
	for _, s := range v.Issues {
		br, err := c.d.Dashboard.IssueBounceRates(ctx, s.Issue.ID)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		v.Latest = append(v.Latest, latestIssue{IssueSummary: s, Bounced: br.Hard + br.Soft, Complaints: br.Complaints})
	}
	if c.d.Sources != nil {
		list, err := c.d.Sources.ListSources(ctx)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		v.HasSources = true
		for _, src := range list {
			switch {
			case !src.Enabled:
				v.SourcesOff++
			case src.Failing():
				v.SourcesOn++
				v.FailingSources = append(v.FailingSources, src)
			default:
				v.SourcesOn++
			}
		}
	}
	if v.Attention, err = c.attention(ctx, v); err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, pageDashboard, c.view(r, u, "Dashboard", v))
}

// attention lists what needs a person: drafts to approve, paused sends,
// deliveries in doubt after a crash, failures, missed periods.
func (c *Console) attention(ctx context.Context, v dashboardView) ([]attention, error) {
	var out []attention
	for _, s := range v.Issues {
		link := "/admin/issues/" + s.Issue.Period.String()
		p := s.Issue.Period.String()
		switch s.Issue.Status {
		case newsletter.IssueDraft:
			out = append(out, attention{"Issue " + p + " awaits approval.", link})
		case newsletter.IssuePaused:
			out = append(out, attention{"Issue " + p + " is paused.", link})
		}
		if s.Issue.Status == newsletter.IssueSending || s.Issue.Status == newsletter.IssuePaused {
			st, err := c.d.Dashboard.Stats(ctx, s.Issue.ID)
			if err != nil {
				return nil, err
			}
			if st.InDoubt > 0 {
				out = append(out, attention{"Issue " + p + ": " + formatCount(st.InDoubt) +
					" deliveries in doubt after a sender stopped (each may have gone out once).", link})
			}
		}
		if s.Failed > 0 {
			out = append(out, attention{"Issue " + p + ": " + formatCount(s.Failed) + " deliveries failed.", link + "?status=failed#deliveries"})
		}
	}
	for _, src := range v.FailingSources {
		out = append(out, attention{"Source " + src.Name + " is failing (" + strconv.Itoa(src.Failures) + " fetches in a row): " +
			src.LastError, "/admin/sources/" + strconv.FormatInt(src.ID, 10)})
	}
	for _, m := range v.Replica.Missed {
		out = append(out, attention{"Period " + m + " was missed by the schedule: create it by hand if it should go out.", ""})
	}
	return out, nil
}
