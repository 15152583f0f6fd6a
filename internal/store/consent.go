package store

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/enews/enews/internal/newsletter"
)

// consentEventRow scans one line of the consent log.
type consentEventRow struct {
	ID        int64     `db:"id"`
	Event     string    `db:"event"`
	Source    string    `db:"source"`
	IP        string    `db:"ip"`
	CreatedAt time.Time `db:"created_at"`
	importRow
}

// inet is a client's address as an inet column takes it, or NULL for the
// zero Addr.
func inet(ip netip.Addr) *string {
	if !ip.IsValid() {
		return nil
	}
	s := ip.Unmap().String()
	return &s
}

// logConsent appends one event. subscriberID 0 writes no subscriber link:
// that is how an erase is logged, with only the hash left.
func logConsent(ctx context.Context, tx *sqlx.Tx, subscriberID int64, emailHash, event string, c newsletter.Consent) error {
	var sid *int64
	if subscriberID != 0 {
		sid = &subscriberID
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO consent_events (subscriber_id, email_hash, event, source, ip)
		VALUES ($1, $2, $3, $4, CAST($5 AS inet))`, sid, emailHash, event, c.Source, inet(c.IP))
	if err != nil {
		return wrap(fmt.Sprintf("consent event %s", event), err)
	}
	return nil
}

// ConsentEvents lists a subscriber's consent log, oldest first. An address
// an import added has no event of its own for it (imports.go): its import's
// record is shown as the event "imported", at the time of the import.
func (s *Store) ConsentEvents(ctx context.Context, subscriberID int64) ([]newsletter.ConsentEvent, error) {
	var rows []consentEventRow
	err := s.db.SelectContext(ctx, &rows, `SELECT e.id, e.event, e.source, COALESCE(host(e.ip), '') AS ip, e.created_at, `+importColumns+`
		FROM consent_events e LEFT JOIN imports m ON m.id = e.import_id WHERE e.subscriber_id = $1
		UNION ALL
		SELECT 0, 'imported', m.source, '', m.created_at, `+importColumns+`
		FROM subscribers t JOIN imports m ON m.id = t.import_id WHERE t.id = $1
		ORDER BY created_at, id`, subscriberID)
	if err != nil {
		return nil, wrap("consent events", err)
	}
	out := make([]newsletter.ConsentEvent, len(rows))
	for i, r := range rows {
		out[i] = newsletter.ConsentEvent{ID: r.ID, Event: r.Event, Source: r.Source, IP: r.IP, CreatedAt: r.CreatedAt,
			Import: r.record()}
	}
	return out, nil
}

// lockSubscriber reads a subscriber's address and status for update.
func lockSubscriber(ctx context.Context, tx *sqlx.Tx, id int64) (email, status string, err error) {
	var r struct {
		Email  string `db:"email"`
		Status string `db:"status"`
	}
	if err := tx.GetContext(ctx, &r, `SELECT email, status FROM subscribers WHERE id = $1 FOR UPDATE`, id); err != nil {
		return "", "", wrap(fmt.Sprintf("subscriber %d", id), err)
	}
	return r.Email, r.Status, nil
}

// ConfirmSubscriber activates a subscriber who followed a confirmation
// link sent at sentAt: pending becomes active (confirmed), unsubscribed or
// bounced comes back (resubscribed), as newsletter.ConfirmEvent rules. A
// pending address that was erased before comes back too: its suppression
// is lifted, logged as resubscribed through the form.
// changed is false when it was active already. A complaint or a
// suppression is newsletter.ErrConflict: only staff may undo those. A link
// is good once: when a confirmation, unsubscribe, bounce or complaint was
// logged after sentAt (in a later second: links carry whole seconds), it is
// newsletter.ErrLinkSuperseded. A zero sentAt skips that check.
func (s *Store) ConfirmSubscriber(ctx context.Context, id int64, sentAt time.Time, c newsletter.Consent) (sub newsletter.Subscriber, changed bool, err error) {
	err = s.inTx(ctx, "confirm subscriber", func(tx *sqlx.Tx) error {
		email, status, err := lockSubscriber(ctx, tx, id)
		if err != nil {
			return err
		}
		event, err := newsletter.ConfirmEvent(status)
		if err != nil || event == "" {
			return err
		}
		if !sentAt.IsZero() {
			var later bool
			err := tx.GetContext(ctx, &later, `SELECT EXISTS (SELECT 1 FROM consent_events
				WHERE subscriber_id = $1 AND event = ANY($2) AND created_at >= $3)`,
				id, pq.Array(newsletter.ClosingEvents()), sentAt.Truncate(time.Second).Add(time.Second))
			if err != nil {
				return wrap("later consent events", err)
			}
			if later {
				return newsletter.ErrLinkSuperseded
			}
		}
		hash, err := s.hash(email)
		if err != nil {
			return err
		}
		switch reason, err := suppressionReason(ctx, tx, hash); {
		case err != nil:
			return err
		case reason == "erased" && status == newsletter.SubscriberPending:
			// The owner of an erased address signed up again and
			// confirmed: that is the new consent, and the way back.
			if _, err := tx.ExecContext(ctx, `DELETE FROM suppressions WHERE email_hash = $1`, hash); err != nil {
				return wrap("lift suppression", err)
			}
			event, c.Source = newsletter.EventResubscribed, newsletter.SourceForm
		case reason != "":
			return ErrSuppressed
		}
		_, err = tx.ExecContext(ctx, `UPDATE subscribers SET status = 'active', confirmed_at = now(),
			unsubscribed_at = NULL, bounce_count = 0, updated_at = now() WHERE id = $1`, id)
		if err != nil {
			return wrap("update", err)
		}
		changed = true
		return logConsent(ctx, tx, id, hash, event, c)
	})
	if err != nil {
		return newsletter.Subscriber{}, false, err
	}
	sub, err = s.GetSubscriber(ctx, id)
	return sub, changed, err
}

// UnsubscribeSubscriber takes a subscriber off the list. It is idempotent:
// changed is false when there was nothing to do (already unsubscribed, or
// complained, which stays the stronger mark).
func (s *Store) UnsubscribeSubscriber(ctx context.Context, id int64, c newsletter.Consent) (sub newsletter.Subscriber, changed bool, err error) {
	err = s.inTx(ctx, "unsubscribe", func(tx *sqlx.Tx) error {
		email, status, err := lockSubscriber(ctx, tx, id)
		if err != nil {
			return err
		}
		if !newsletter.Unsubscribes(status) {
			return nil
		}
		hash, err := s.hash(email)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE subscribers SET status = 'unsubscribed', unsubscribed_at = now(),
			updated_at = now() WHERE id = $1`, id)
		if err != nil {
			return wrap("update", err)
		}
		changed = true
		return logConsent(ctx, tx, id, hash, newsletter.EventUnsubscribed, c)
	})
	if err != nil {
		return newsletter.Subscriber{}, false, err
	}
	sub, err = s.GetSubscriber(ctx, id)
	return sub, changed, err
}

// EraseSubscriber removes a subscriber and their personal data for good
// (GDPR). What stays is the keyed hash: on the suppression list, so the
// address is never mailed or imported again by mistake, and in the consent
// log, whose earlier events lose their link to the row but keep the hash.
// Delivery history goes with the row.
func (s *Store) EraseSubscriber(ctx context.Context, id int64, c newsletter.Consent) error {
	return s.inTx(ctx, "erase subscriber", func(tx *sqlx.Tx) error {
		email, _, err := lockSubscriber(ctx, tx, id)
		if err != nil {
			return err
		}
		hash, err := s.hash(email)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO suppressions (email_hash, reason) VALUES ($1, 'erased')
			ON CONFLICT (email_hash) DO NOTHING`, hash); err != nil {
			return wrap("suppress", err)
		}
		// The import that added the address becomes an event of its own,
		// which the delete detaches like the others, so the log keeps it.
		if _, err := tx.ExecContext(ctx, `INSERT INTO consent_events (subscriber_id, email_hash, event, source, created_at, import_id)
			SELECT t.id, $2, 'imported', m.source, m.created_at, m.id
			FROM subscribers t JOIN imports m ON m.id = t.import_id WHERE t.id = $1`, id, hash); err != nil {
			return wrap("keep import event", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM subscribers WHERE id = $1`, id); err != nil {
			return wrap("delete", err)
		}
		return logConsent(ctx, tx, 0, hash, newsletter.EventErased, c)
	})
}
