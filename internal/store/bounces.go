package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/enews/enews/internal/newsletter"
)

// Bounce types, as the bounces table spells them.
const (
	BounceHard      = "hard"
	BounceSoft      = "soft"
	BounceComplaint = "complaint"
)

// Bounce is one bounce or complaint report, attributed to a subscriber.
type Bounce struct {
	IssueID      int64 // 0 when the report names no issue we can trust
	SubscriberID int64
	Type         string // BounceHard, BounceSoft or BounceComplaint
	Channel      string // smtp, generic, postmark, sendgrid, mailgun, ses
	StatusCode   string // enhanced status code, e.g. 5.1.1
	Diagnostic   string
	Raw          string // the report as received, purged after bounces.keep_days
	// EventKey is unique per report: a second report with the same key is
	// a replay and changes nothing.
	EventKey string
}

// BouncePolicy turns bounces into subscriber status changes.
type BouncePolicy struct {
	HardThreshold int           // hard bounces (over all time) that make a subscriber bounced
	SoftThreshold int           // soft bounces within SoftWindow that do
	SoftWindow    time.Duration // how far back soft bounces count
}

// BounceResult says what recording a bounce did.
type BounceResult struct {
	Replay bool   // the event was seen before; nothing changed
	Status string // the subscriber's status afterwards
	// Changed: the subscriber's status changed (a consent event was written).
	Changed bool
}

const (
	maxDiagnostic = 2000
	maxStatusCode = 20
)

// RecordBounce stores a bounce and applies policy in one transaction: a
// hard bounce counts against the subscriber (bounced at the threshold), a
// soft one makes them bounced after SoftThreshold within SoftWindow, a
// complaint makes them complained and suppresses the address. A status
// change writes a consent event with c. A subscriber that no longer exists
// is newsletter.ErrNotFound.
func (s *Store) RecordBounce(ctx context.Context, b Bounce, p BouncePolicy, c newsletter.Consent) (BounceResult, error) {
	var res BounceResult
	err := s.inTx(ctx, "record bounce", func(tx *sqlx.Tx) error {
		email, status, err := lockSubscriber(ctx, tx, b.SubscriberID)
		if err != nil {
			return err
		}
		res.Status = status
		var issue *int64
		if b.IssueID != 0 {
			issue = &b.IssueID
		}
		var ids []int64
		err = tx.SelectContext(ctx, &ids, `INSERT INTO bounces
			(issue_id, subscriber_id, type, channel, status_code, diagnostic, raw, event_key)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (event_key) DO NOTHING RETURNING id`,
			issue, b.SubscriberID, b.Type, b.Channel, clip(b.StatusCode, maxStatusCode),
			clip(b.Diagnostic, maxDiagnostic), b.Raw, b.EventKey)
		if err != nil {
			return wrap("insert bounce", err)
		}
		if len(ids) == 0 {
			res.Replay = true
			return nil
		}
		event, next, err := bounceEffect(ctx, tx, b, status, p)
		if err != nil || next == status {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE subscribers SET status = $2, updated_at = now() WHERE id = $1`,
			b.SubscriberID, next); err != nil {
			return wrap("update subscriber", err)
		}
		hash, err := s.hash(email)
		if err != nil {
			return err
		}
		if next == newsletter.SubscriberComplained {
			if _, err := tx.ExecContext(ctx, `INSERT INTO suppressions (email_hash, reason) VALUES ($1, 'complained')
				ON CONFLICT (email_hash) DO NOTHING`, hash); err != nil {
				return wrap("suppress", err)
			}
		}
		res.Status, res.Changed = next, true
		return logConsent(ctx, tx, b.SubscriberID, hash, event, c)
	})
	return res, err
}

// bounceEffect counts the bounce against the subscriber and gives the
// status policy asks for (the current one when nothing changes).
func bounceEffect(ctx context.Context, tx *sqlx.Tx, b Bounce, status string, p BouncePolicy) (event, next string, err error) {
	mailable := status == newsletter.SubscriberActive || status == newsletter.SubscriberPending
	switch b.Type {
	case BounceComplaint:
		// A complaint is the strongest mark: it replaces any other status.
		return newsletter.EventComplained, newsletter.SubscriberComplained, nil
	case BounceHard:
		var n int
		if err := tx.GetContext(ctx, &n, `UPDATE subscribers SET bounce_count = bounce_count + 1
			WHERE id = $1 RETURNING bounce_count`, b.SubscriberID); err != nil {
			return "", "", wrap("count hard bounce", err)
		}
		if mailable && n >= max(p.HardThreshold, 1) {
			return newsletter.EventBounced, newsletter.SubscriberBounced, nil
		}
	case BounceSoft:
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM bounces WHERE subscriber_id = $1 AND type = 'soft'
			AND created_at > now() - make_interval(secs => $2)`, b.SubscriberID, p.SoftWindow.Seconds()); err != nil {
			return "", "", wrap("count soft bounces", err)
		}
		if mailable && n >= max(p.SoftThreshold, 1) {
			return newsletter.EventBounced, newsletter.SubscriberBounced, nil
		}
	default:
		return "", "", fmt.Errorf("%w: bounce type %q", newsletter.ErrInvalid, b.Type)
	}
	return "", status, nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut at a rune start so the text stays valid UTF-8.
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// DeliveryByMessageID finds the delivery that sent the message with this
// Message-ID, given the pair the id names (mailer.MessageID): the id alone
// is not trusted, the ledger must hold that very id for the pair.
func (s *Store) DeliveryByMessageID(ctx context.Context, issueID, subscriberID int64, messageID string) error {
	var ok bool
	err := s.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM deliveries
		WHERE issue_id = $1 AND subscriber_id = $2 AND message_id = $3)`, issueID, subscriberID, messageID)
	if err != nil {
		return wrap("delivery by message id", err)
	}
	if !ok {
		return fmt.Errorf("store: delivery by message id: %w", newsletter.ErrNotFound)
	}
	return nil
}

// LatestDelivery is the issue of a subscriber's most recent sent delivery,
// for a bounce that names only its recipient. newsletter.ErrNotFound when
// nothing was sent to them.
func (s *Store) LatestDelivery(ctx context.Context, subscriberID int64) (int64, error) {
	var id int64
	err := s.db.GetContext(ctx, &id, `SELECT issue_id FROM deliveries WHERE subscriber_id = $1 AND status IN ('sent', 'failed')
		ORDER BY sent_at DESC NULLS LAST, issue_id DESC LIMIT 1`, subscriberID)
	return id, wrap("latest delivery", err)
}

// PurgeBounceReports empties the raw report of bounces older than before;
// the bounce rows stay.
func (s *Store) PurgeBounceReports(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE bounces SET raw = '' WHERE raw <> '' AND created_at < $1`, before)
	if err != nil {
		return 0, wrap("purge bounce reports", err)
	}
	return res.RowsAffected()
}

// BounceRecord is one stored bounce, for the API and tests.
type BounceRecord struct {
	ID           int64     `db:"id"`
	IssueID      *int64    `db:"issue_id"`
	SubscriberID int64     `db:"subscriber_id"`
	Type         string    `db:"type"`
	Channel      string    `db:"channel"`
	StatusCode   string    `db:"status_code"`
	Diagnostic   string    `db:"diagnostic"`
	HasRaw       bool      `db:"has_raw"`
	CreatedAt    time.Time `db:"created_at"`
}

// SubscriberBounces lists a subscriber's bounces, newest first.
func (s *Store) SubscriberBounces(ctx context.Context, subscriberID int64, limit int) ([]BounceRecord, error) {
	var out []BounceRecord
	err := s.db.SelectContext(ctx, &out, `SELECT id, issue_id, subscriber_id, type, channel, status_code, diagnostic,
		raw <> '' AS has_raw, created_at FROM bounces WHERE subscriber_id = $1 ORDER BY id DESC LIMIT $2`, subscriberID, limit)
	if err != nil {
		return nil, wrap("subscriber bounces", err)
	}
	return out, nil
}
