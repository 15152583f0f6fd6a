package store

import (
	"context"
)

// BounceRates are one issue's bounce and complaint counts. Rates are per
// message that left: sent, plus failed at send time.
type BounceRates struct {
	Sent       int64 `db:"sent"`       // deliveries the relay accepted
	Failed     int64 `db:"failed"`     // deliveries refused for good at send time (5xx)
	Hard       int64 `db:"hard"`       // subscribers with a hard bounce report for the issue
	Soft       int64 `db:"soft"`       // subscribers with a soft bounce report
	Complaints int64 `db:"complaints"` // subscribers who complained about the issue
}

// Attempted is the denominator of the rates.
func (r BounceRates) Attempted() int64 { return r.Sent + r.Failed }

// HardRate is the share of messages that bounced for good: a hard bounce
// report after the relay took it, or a refusal at send time.
func (r BounceRates) HardRate() float64 { return ratio(r.Hard+r.Failed, r.Attempted()) }

// ComplaintRate is the share of messages reported as spam.
func (r BounceRates) ComplaintRate() float64 { return ratio(r.Complaints, r.Attempted()) }

func ratio(n, d int64) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// IssueBounceRates reads one issue's counts.
func (s *Store) IssueBounceRates(ctx context.Context, issueID int64) (BounceRates, error) {
	var r BounceRates
	err := s.db.GetContext(ctx, &r, `SELECT
		(SELECT count(*) FROM deliveries WHERE issue_id = $1 AND status = 'sent') AS sent,
		(SELECT count(*) FROM deliveries WHERE issue_id = $1 AND status = 'failed') AS failed,
		count(DISTINCT subscriber_id) FILTER (WHERE type = 'hard') AS hard,
		count(DISTINCT subscriber_id) FILTER (WHERE type = 'soft') AS soft,
		count(DISTINCT subscriber_id) FILTER (WHERE type = 'complaint') AS complaints
		FROM bounces WHERE issue_id = $1`, issueID)
	if err != nil {
		return r, wrap("issue bounce rates", err)
	}
	return r, nil
}
