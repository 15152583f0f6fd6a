package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/lib/pq"

	"github.com/enews/enews/internal/newsletter"
)

type issueRow struct {
	ID         int64         `db:"id"`
	Period     time.Time     `db:"period"`
	Status     string        `db:"status"`
	Subject    string        `db:"subject"`
	Preheader  string        `db:"preheader"`
	HTML       string        `db:"html"`
	Text       string        `db:"text"`
	WebHTML    string        `db:"web_html"`
	ItemIDs    pq.Int64Array `db:"item_ids"`
	SkipReason string        `db:"skip_reason"`
	CreatedAt  time.Time     `db:"created_at"`
	RenderedAt *time.Time    `db:"rendered_at"`
	ApprovedAt *time.Time    `db:"approved_at"`
	StartedAt  *time.Time    `db:"started_at"`
	SentAt     *time.Time    `db:"sent_at"`
	UpdatedAt  time.Time     `db:"updated_at"`
}

func (r issueRow) issue() newsletter.Issue {
	return newsletter.Issue{ID: r.ID, Period: newsletter.Period{Year: r.Period.Year(), Month: r.Period.Month()},
		Status: r.Status, Subject: r.Subject, Preheader: r.Preheader, HTML: r.HTML, Text: r.Text, WebHTML: r.WebHTML,
		ItemIDs: []int64(r.ItemIDs), SkipReason: r.SkipReason, CreatedAt: r.CreatedAt, RenderedAt: r.RenderedAt,
		ApprovedAt: r.ApprovedAt, StartedAt: r.StartedAt, SentAt: r.SentAt, UpdatedAt: r.UpdatedAt}
}

const issueColumns = `id, period, status, subject, preheader, html, text, web_html, item_ids, skip_reason,
	created_at, rendered_at, approved_at, started_at, sent_at, updated_at`

func periodDate(p newsletter.Period) string { return p.String() + "-01" }

// IssueByPeriod returns the period's issue or newsletter.ErrNotFound.
func (s *Store) IssueByPeriod(ctx context.Context, p newsletter.Period) (newsletter.Issue, error) {
	var r issueRow
	err := s.db.GetContext(ctx, &r, `SELECT `+issueColumns+` FROM issues WHERE period = CAST($1 AS date)`, periodDate(p))
	if errors.Is(err, sql.ErrNoRows) {
		return newsletter.Issue{}, newsletter.Problemf(newsletter.ErrNotFound, "issue %s has not been created yet", p)
	}
	if err != nil {
		return newsletter.Issue{}, wrap("issue "+p.String(), err)
	}
	return r.issue(), nil
}

// IssueStatus reads only the status: senders poll it to honour a pause.
func (s *Store) IssueStatus(ctx context.Context, id int64) (string, error) {
	var st string
	if err := s.db.GetContext(ctx, &st, `SELECT status FROM issues WHERE id = $1`, id); err != nil {
		return "", wrap("issue status", err)
	}
	return st, nil
}

// ListIssues returns issues newest period first, optionally only one status.
func (s *Store) ListIssues(ctx context.Context, status string, limit int) ([]newsletter.Issue, error) {
	var rows []issueRow
	err := s.db.SelectContext(ctx, &rows, `SELECT `+issueColumns+` FROM issues
		WHERE ($1 = '' OR status = $1) ORDER BY period DESC LIMIT $2`, status, limit)
	if err != nil {
		return nil, wrap("list issues", err)
	}
	return issuesOf(rows), nil
}

func issuesOf(rows []issueRow) []newsletter.Issue {
	out := make([]newsletter.Issue, len(rows))
	for i, r := range rows {
		out[i] = r.issue()
	}
	return out
}

// IssueSummary is one line of `issue list`: the issue and its ledger counts.
type IssueSummary struct {
	Issue                                newsletter.Issue
	Deliveries, Sent, Failed, InProgress int64
}

// IssueSummaries lists issues newest period first with their delivery counts.
func (s *Store) IssueSummaries(ctx context.Context, limit int) ([]IssueSummary, error) {
	var rows []struct {
		issueRow
		Deliveries int64 `db:"deliveries"`
		Sent       int64 `db:"n_sent"`
		Failed     int64 `db:"n_failed"`
		InProgress int64 `db:"n_progress"`
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT `+issueColumns+`,
			COALESCE(d.total, 0) AS deliveries, COALESCE(d.sent, 0) AS n_sent,
			COALESCE(d.failed, 0) AS n_failed, COALESCE(d.progress, 0) AS n_progress
		FROM issues LEFT JOIN LATERAL (
			SELECT count(*) AS total, count(*) FILTER (WHERE status = 'sent') AS sent,
				count(*) FILTER (WHERE status = 'failed') AS failed,
				count(*) FILTER (WHERE status IN ('queued', 'retry', 'sending')) AS progress
			FROM deliveries WHERE issue_id = issues.id) d ON true
		ORDER BY period DESC LIMIT $1`, limit)
	if err != nil {
		return nil, wrap("issue summaries", err)
	}
	out := make([]IssueSummary, len(rows))
	for i, r := range rows {
		out[i] = IssueSummary{Issue: r.issue(), Deliveries: r.Deliveries, Sent: r.Sent, Failed: r.Failed, InProgress: r.InProgress}
	}
	return out, nil
}

// PublicNeighbours gives the archived issues just before and after p, for
// an archive page's previous and next links; ok is false where none is.
func (s *Store) PublicNeighbours(ctx context.Context, p newsletter.Period) (prev, next newsletter.Period, hasPrev, hasNext bool, err error) {
	var rows []struct {
		Period time.Time `db:"period"`
		After  bool      `db:"after"`
	}
	err = s.db.SelectContext(ctx, &rows, `
		(SELECT period, false AS after FROM issues WHERE period < CAST($1 AS date) AND status = ANY($2) ORDER BY period DESC LIMIT 1)
		UNION ALL
		(SELECT period, true AS after FROM issues WHERE period > CAST($1 AS date) AND status = ANY($2) ORDER BY period LIMIT 1)`,
		periodDate(p), pq.StringArray(publicStatuses()))
	if err != nil {
		return prev, next, false, false, wrap("archive neighbours", err)
	}
	for _, r := range rows {
		q := newsletter.Period{Year: r.Period.Year(), Month: r.Period.Month()}
		if r.After {
			next, hasNext = q, true
		} else {
			prev, hasPrev = q, true
		}
	}
	return prev, next, hasPrev, hasNext, nil
}

func publicStatuses() []string {
	var out []string
	for _, st := range newsletter.IssueStatuses() {
		if newsletter.IssuePublic(st) {
			out = append(out, st)
		}
	}
	return out
}

// StaleDrafts lists draft issues with an item changed since they were last
// rendered: an item they hold, or one published within two days of their
// month (a moved date or a time zone can bring it in).
func (s *Store) StaleDrafts(ctx context.Context) ([]newsletter.Issue, error) {
	var rows []issueRow
	err := s.db.SelectContext(ctx, &rows, `SELECT `+issueColumns+` FROM issues i
		WHERE i.status = 'draft' AND EXISTS (
			SELECT 1 FROM items it
			WHERE it.updated_at > COALESCE(i.rendered_at, '-infinity')
			  AND (it.id = ANY(i.item_ids)
			       OR it.published_at BETWEEN i.period - interval '2 days' AND i.period + interval '1 month 2 days'))
		ORDER BY i.period`)
	if err != nil {
		return nil, wrap("stale drafts", err)
	}
	return issuesOf(rows), nil
}
