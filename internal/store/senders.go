package store

import (
	"context"
	"time"

	"github.com/lib/pq"
)

// Heartbeat says owner, sending issueID, is alive, records whether its SMTP
// server is down (zero since: it is up), and extends the leases of ids it
// still holds to now + lease, in one statement. It returns the ids whose
// lease it extended: a held id missing from them was taken over (its owner
// was thought dead) and must not be sent. The rows are locked in subscriber
// order, as Record locks them.
func (s *Store) Heartbeat(ctx context.Context, owner string, issueID int64, ids []int64, lease time.Duration,
	smtpDownSince time.Time, smtpDownReason string) ([]int64, error) {
	var down *time.Time
	if !smtpDownSince.IsZero() {
		down = &smtpDownSince
	}
	var kept []int64
	err := s.db.SelectContext(ctx, &kept, `
		WITH beat AS (
			INSERT INTO senders (owner, issue_id, smtp_down_since, smtp_down_reason) VALUES ($1, $2, $5, $6)
			ON CONFLICT (owner) DO UPDATE SET seen_at = now(), smtp_down_since = $5, smtp_down_reason = $6
		), locked AS MATERIALIZED (
			SELECT subscriber_id FROM deliveries
			WHERE issue_id = $2 AND status = 'sending' AND lease_owner = $1 AND subscriber_id = ANY($3)
			ORDER BY subscriber_id FOR UPDATE
		)
		UPDATE deliveries d SET lease_expires = now() + make_interval(secs => $4)
		FROM locked
		WHERE d.issue_id = $2 AND d.subscriber_id = locked.subscriber_id AND d.status = 'sending' AND d.lease_owner = $1
		RETURNING d.subscriber_id`,
		owner, issueID, pq.Int64Array(ids), lease.Seconds(), down, clip(smtpDownReason, 300))
	if err != nil {
		return nil, wrap("sender heartbeat", err)
	}
	return kept, nil
}

// RemoveSender deletes owner's heartbeat row when it stops cleanly.
func (s *Store) RemoveSender(ctx context.Context, owner string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM senders WHERE owner = $1`, owner)
	return wrap("remove sender", err)
}

// SMTPWaiting says since when the live senders of an issue have been
// waiting for their SMTP server, and why; ok is false when none is.
func (s *Store) SMTPWaiting(ctx context.Context, issueID int64, liveness time.Duration) (since time.Time, reason string, ok bool, err error) {
	var rows []struct {
		Since  time.Time `db:"smtp_down_since"`
		Reason string    `db:"smtp_down_reason"`
	}
	err = s.db.SelectContext(ctx, &rows, `SELECT smtp_down_since, smtp_down_reason FROM senders
		WHERE issue_id = $1 AND smtp_down_since IS NOT NULL AND seen_at > now() - make_interval(secs => $2)
		ORDER BY smtp_down_since LIMIT 1`, issueID, liveness.Seconds())
	if err != nil || len(rows) == 0 {
		return time.Time{}, "", false, wrap("smtp waiting", err)
	}
	return rows[0].Since, rows[0].Reason, true, nil
}

// LiveSenders counts the senders of an issue that beat within liveness.
func (s *Store) LiveSenders(ctx context.Context, issueID int64, liveness time.Duration) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM senders
		WHERE issue_id = $1 AND seen_at > now() - make_interval(secs => $2)`, issueID, liveness.Seconds())
	return n, wrap("live senders", err)
}
