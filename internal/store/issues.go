package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
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
	ItemIDs    pq.Int64Array `db:"item_ids"`
	SkipReason string        `db:"skip_reason"`
	CreatedAt  time.Time     `db:"created_at"`
	SentAt     *time.Time    `db:"sent_at"`
}

func (r issueRow) issue() newsletter.Issue {
	return newsletter.Issue{ID: r.ID, Period: newsletter.Period{Year: r.Period.Year(), Month: r.Period.Month()},
		Status: r.Status, Subject: r.Subject, Preheader: r.Preheader, HTML: r.HTML, Text: r.Text,
		ItemIDs: []int64(r.ItemIDs), SkipReason: r.SkipReason, CreatedAt: r.CreatedAt, SentAt: r.SentAt}
}

const issueColumns = `id, period, status, subject, preheader, html, text, item_ids, skip_reason, created_at, sent_at`

func periodDate(p newsletter.Period) string { return p.String() + "-01" }

// CreateIssue stores a frozen issue unless its period already has one, in
// which case the existing issue is returned with created false: two
// processes creating the same period end with one row.
func (s *Store) CreateIssue(ctx context.Context, is newsletter.Issue) (newsletter.Issue, bool, error) {
	var rows []issueRow
	err := s.db.SelectContext(ctx, &rows, `
		INSERT INTO issues (period, status, subject, preheader, html, text, item_ids, skip_reason)
		VALUES (CAST($1 AS date), $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (period) DO NOTHING
		RETURNING `+issueColumns,
		periodDate(is.Period), is.Status, is.Subject, is.Preheader, is.HTML, is.Text,
		// a nil slice would be NULL; a skipped issue holds an empty list
		pq.Int64Array(append([]int64{}, is.ItemIDs...)), is.SkipReason)
	if err != nil {
		return newsletter.Issue{}, false, wrap("create issue "+is.Period.String(), err)
	}
	if len(rows) == 1 {
		return rows[0].issue(), true, nil
	}
	existing, err := s.IssueByPeriod(ctx, is.Period)
	return existing, false, err
}

// IssueByPeriod returns the period's issue or newsletter.ErrNotFound.
func (s *Store) IssueByPeriod(ctx context.Context, p newsletter.Period) (newsletter.Issue, error) {
	var r issueRow
	err := s.db.GetContext(ctx, &r, `SELECT `+issueColumns+` FROM issues WHERE period = CAST($1 AS date)`, periodDate(p))
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
	out := make([]newsletter.Issue, len(rows))
	for i, r := range rows {
		out[i] = r.issue()
	}
	return out, nil
}

// TransitionIssue moves an issue to status `to` only from one of `from`;
// otherwise it returns newsletter.ErrConflict naming the current status.
func (s *Store) TransitionIssue(ctx context.Context, id int64, to string, from ...string) (newsletter.Issue, error) {
	var rows []issueRow
	err := s.db.SelectContext(ctx, &rows, `
		UPDATE issues SET status = $2, updated_at = now(),
			approved_at = CASE WHEN $2 = 'approved' THEN now() ELSE approved_at END,
			started_at  = CASE WHEN $2 = 'sending' AND started_at IS NULL THEN now() ELSE started_at END
		WHERE id = $1 AND status = ANY($3)
		RETURNING `+issueColumns, id, to, pq.StringArray(from))
	if err != nil {
		return newsletter.Issue{}, wrap("issue transition", err)
	}
	if len(rows) == 1 {
		return rows[0].issue(), nil
	}
	cur, err := s.IssueStatus(ctx, id)
	if err != nil {
		return newsletter.Issue{}, err
	}
	return newsletter.Issue{}, fmt.Errorf("store: issue is %s, cannot become %s: %w", cur, to, newsletter.ErrConflict)
}

// CompleteIssue marks a sending issue sent once no delivery is left to do.
// It reports whether the issue is now sent.
func (s *Store) CompleteIssue(ctx context.Context, id int64) (bool, error) {
	res, err := s.db.ExecContext(ctx, `
		UPDATE issues SET status = 'sent', sent_at = now(), updated_at = now()
		WHERE id = $1 AND status = 'sending'
		  AND NOT EXISTS (SELECT 1 FROM deliveries
		                  WHERE issue_id = $1 AND status IN ('queued', 'retry', 'sending'))`, id)
	if err != nil {
		return false, wrap("complete issue", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// StartSending moves an approved issue to sending and fans it out in one
// transaction: the ledger gets a queued delivery for every subscriber active
// at that moment, or, if anything fails, the issue stays approved.
func (s *Store) StartSending(ctx context.Context, id int64) (int64, error) {
	var added int64
	err := s.inTx(ctx, "start sending", func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE issues SET status = 'sending', started_at = now(), updated_at = now()
			WHERE id = $1 AND status = 'approved'`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			var cur string
			if err := tx.GetContext(ctx, &cur, `SELECT status FROM issues WHERE id = $1`, id); err != nil {
				return wrap("issue", err)
			}
			return fmt.Errorf("issue is %s, not approved: %w", cur, newsletter.ErrConflict)
		}
		res, err = tx.ExecContext(ctx, `
			INSERT INTO deliveries (issue_id, subscriber_id)
			SELECT $1, id FROM subscribers WHERE status = 'active'
			ON CONFLICT (issue_id, subscriber_id) DO NOTHING`, id)
		if err != nil {
			return err
		}
		added, err = res.RowsAffected()
		return err
	})
	return added, err
}
