package store

import (
	"context"
	"time"
)

// IssueCheck is one stored compliance receipt of an issue.
type IssueCheck struct {
	ID        int64     `db:"id"`
	IssueID   int64     `db:"issue_id"`
	Passed    bool      `db:"passed"`
	Forced    bool      `db:"forced"`
	Actor     string    `db:"actor"`
	Receipt   []byte    `db:"receipt"` // JSON, compliance.Receipt
	CreatedAt time.Time `db:"created_at"`
}

// SaveIssueCheck keeps a receipt with its issue.
func (s *Store) SaveIssueCheck(ctx context.Context, c IssueCheck) (IssueCheck, error) {
	err := s.db.GetContext(ctx, &c, `INSERT INTO issue_checks (issue_id, passed, forced, actor, receipt)
		VALUES ($1, $2, $3, $4, CAST($5 AS jsonb)) RETURNING id, issue_id, passed, forced, actor, receipt, created_at`,
		c.IssueID, c.Passed, c.Forced, c.Actor, string(c.Receipt))
	return c, wrap("save issue check", err)
}

// LatestIssueCheck is the issue's newest receipt, or newsletter.ErrNotFound.
func (s *Store) LatestIssueCheck(ctx context.Context, issueID int64) (IssueCheck, error) {
	var c IssueCheck
	err := s.db.GetContext(ctx, &c, `SELECT id, issue_id, passed, forced, actor, receipt, created_at
		FROM issue_checks WHERE issue_id = $1 ORDER BY id DESC LIMIT 1`, issueID)
	return c, wrap("latest issue check", err)
}

// ListCounts are the suppression figures a receipt shows.
type ListCounts struct {
	Suppressed   map[string]int64 // by reason: erased, complained, manual
	Bounced      int64
	Complained   int64
	Unsubscribed int64
	// Subscribers no longer active still queued in a sending issue, and
	// since when the oldest of them left the list.
	PendingUnsubscribes int64
	OldestPending       *time.Time
}

// ComplianceCounts reads the list's suppression figures.
func (s *Store) ComplianceCounts(ctx context.Context) (ListCounts, error) {
	c := ListCounts{Suppressed: map[string]int64{}}
	var rows []struct {
		Reason string `db:"reason"`
		N      int64  `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT reason, count(*) AS n FROM suppressions GROUP BY reason`); err != nil {
		return c, wrap("suppression counts", err)
	}
	for _, r := range rows {
		c.Suppressed[r.Reason] = r.N
	}
	err := s.db.QueryRowxContext(ctx, `SELECT
			count(*) FILTER (WHERE status = 'bounced'),
			count(*) FILTER (WHERE status = 'complained'),
			count(*) FILTER (WHERE status = 'unsubscribed')
		FROM subscribers`).Scan(&c.Bounced, &c.Complained, &c.Unsubscribed)
	if err != nil {
		return c, wrap("subscriber counts", err)
	}
	err = s.db.QueryRowxContext(ctx, `SELECT count(*), min(COALESCE(s.unsubscribed_at, s.updated_at))
		FROM deliveries d JOIN issues i ON i.id = d.issue_id JOIN subscribers s ON s.id = d.subscriber_id
		WHERE i.status IN ('sending', 'paused') AND d.status IN ('queued', 'retry') AND s.status <> 'active'`).
		Scan(&c.PendingUnsubscribes, &c.OldestPending)
	return c, wrap("pending unsubscribes", err)
}
