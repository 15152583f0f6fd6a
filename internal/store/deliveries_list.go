package store

import (
	"context"
	"time"
)

// DeliveryLine is one row of an issue's ledger with the address it went
// to, for the console's deliveries table.
type DeliveryLine struct {
	SubscriberID int64      `db:"subscriber_id"`
	Email        string     `db:"email"`
	Status       string     `db:"status"`
	Attempts     int        `db:"attempts"`
	LastReply    string     `db:"last_reply"`
	InDoubt      bool       `db:"in_doubt"`
	SentAt       *time.Time `db:"sent_at"`
	UpdatedAt    time.Time  `db:"updated_at"`
}

// IssueDeliveries pages through an issue's ledger by subscriber id,
// optionally one status only; the primary key serves it at any depth.
func (s *Store) IssueDeliveries(ctx context.Context, issueID int64, status string, after int64, limit int) ([]DeliveryLine, error) {
	limit = min(max(limit, 1), 500)
	var out []DeliveryLine
	err := s.db.SelectContext(ctx, &out, `SELECT d.subscriber_id, s.email, d.status, d.attempts, d.last_reply,
			d.in_doubt, d.sent_at, d.updated_at
		FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
		WHERE d.issue_id = $1 AND d.subscriber_id > $2 AND ($3 = '' OR d.status = $3)
		ORDER BY d.subscriber_id LIMIT $4`, issueID, after, status, limit)
	if err != nil {
		return nil, wrap("issue deliveries", err)
	}
	return out, nil
}

// SentPerMinute counts an issue's messages sent in each of the last n
// minutes, oldest first, for the progress chart.
func (s *Store) SentPerMinute(ctx context.Context, issueID int64, n int) ([]int64, error) {
	var rows []struct {
		Ago int   `db:"ago"`
		N   int64 `db:"n"`
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT CAST(floor(extract(epoch FROM now() - sent_at) / 60) AS int) AS ago, count(*) AS n
		FROM deliveries WHERE issue_id = $1 AND status = 'sent' AND sent_at > now() - make_interval(mins => $2)
		GROUP BY 1`, issueID, n)
	if err != nil {
		return nil, wrap("sent per minute", err)
	}
	out := make([]int64, n)
	for _, r := range rows {
		if r.Ago >= 0 && r.Ago < n {
			out[n-1-r.Ago] = r.N
		}
	}
	return out, nil
}
