package store

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/enews/enews/internal/newsletter"
)

// Addresses reaching these methods are already normalised (see
// subscribers.NormaliseAddress); uniqueness and look-ups ignore case through
// the lower(email) index.

// attrMap is subscribers.attributes: a JSON object of strings.
type attrMap map[string]string

func (m *attrMap) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case []byte:
		b = v
	case string:
		b = []byte(v)
	case nil:
		*m = nil
		return nil
	default:
		return fmt.Errorf("attributes: cannot scan %T", src)
	}
	return json.Unmarshal(b, (*map[string]string)(m))
}

func (m attrMap) Value() (driver.Value, error) {
	if m == nil {
		return "{}", nil
	}
	b, err := json.Marshal(map[string]string(m))
	return string(b), err
}

type subscriberRow struct {
	ID         int64     `db:"id"`
	Email      string    `db:"email"`
	Name       string    `db:"name"`
	Status     string    `db:"status"`
	Attributes attrMap   `db:"attributes"`
	CreatedAt  time.Time `db:"created_at"`
	UpdatedAt  time.Time `db:"updated_at"`
}

func (r subscriberRow) subscriber() newsletter.Subscriber {
	return newsletter.Subscriber{ID: r.ID, Email: r.Email, Name: r.Name, Status: r.Status,
		Attributes: map[string]string(r.Attributes), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

const subscriberColumns = `id, email, name, status, attributes, created_at, updated_at`

// AddSubscriber puts a new address on the list with status pending or
// active (staff vouch for the consent). An address already on the list is
// newsletter.ErrConflict; a suppressed one is ErrSuppressed.
func (s *Store) AddSubscriber(ctx context.Context, sub newsletter.Subscriber, c newsletter.Consent) (newsletter.Subscriber, error) {
	status, err := newsletter.CheckNewStatus(sub.Status)
	if err != nil {
		return newsletter.Subscriber{}, fmt.Errorf("store: add subscriber: %w", err)
	}
	sub.Status = status
	hash, err := s.hash(sub.Email)
	if err != nil {
		return newsletter.Subscriber{}, err
	}
	var out newsletter.Subscriber
	err = s.inTx(ctx, "add subscriber", func(tx *sqlx.Tx) error {
		if err := refuseSuppressed(ctx, tx, hash); err != nil {
			return err
		}
		var rows []subscriberRow
		err := tx.SelectContext(ctx, &rows, `INSERT INTO subscribers (email, name, status, attributes, confirmed_at)
			VALUES ($1, $2, $3, $4, CASE WHEN $3 = 'active' THEN now() END)
			ON CONFLICT (lower(email)) DO NOTHING RETURNING `+subscriberColumns,
			sub.Email, sub.Name, sub.Status, attrMap(sub.Attributes))
		if err != nil {
			return wrap("insert", err)
		}
		if len(rows) == 0 {
			return newsletter.Problemf(newsletter.ErrConflict, "%s is already on the list", sub.Email)
		}
		out = rows[0].subscriber()
		return logConsent(ctx, tx, out.ID, hash, newsletter.EventSubscribed, c)
	})
	return out, err
}

// SubscribeResult is what a sign-up through the form did. The page shown is
// the same whatever it says, so nobody learns whether an address is known.
type SubscribeResult struct {
	ID          int64
	SendConfirm bool // a confirmation email should go to the address
}

// Subscribe records a sign-up from the public form. A new address becomes
// pending, an erased one too (its suppression stays until the address
// confirms); an unsubscribed or bounced one asks again. Either way a
// confirmation is due. An existing row is never changed here (not even its
// name): anyone can type anyone's address into the form.
func (s *Store) Subscribe(ctx context.Context, email, name string, c newsletter.Consent) (SubscribeResult, error) {
	hash, err := s.hash(email)
	if err != nil {
		return SubscribeResult{}, err
	}
	var res SubscribeResult
	err = s.inTx(ctx, "subscribe", func(tx *sqlx.Tx) error {
		// An erased address may come back through the form: its owner's
		// confirmation will be the new consent, and lifts the suppression.
		// A complaint or a block stays: nothing is stored or sent, and
		// the form answers as for any other address.
		switch reason, err := suppressionReason(ctx, tx, hash); {
		case err != nil:
			return err
		case reason != "" && reason != "erased":
			return nil
		}
		// The no-op update returns the existing row, locked, so a
		// concurrent sign-up for the same address waits here.
		var r struct {
			ID       int64  `db:"id"`
			Status   string `db:"status"`
			Inserted bool   `db:"inserted"`
		}
		err := tx.GetContext(ctx, &r, `INSERT INTO subscribers (email, name, status) VALUES ($1, $2, 'pending')
			ON CONFLICT (lower(email)) DO UPDATE SET updated_at = subscribers.updated_at
			RETURNING id, status, (xmax = 0) AS inserted`, email, name)
		if err != nil {
			return wrap("insert", err)
		}
		res.ID = r.ID
		logEvent := true
		if !r.Inserted {
			res.SendConfirm, logEvent = newsletter.SignUpConfirms(r.Status)
		} else {
			res.SendConfirm = true
		}
		if !logEvent {
			return nil
		}
		return logConsent(ctx, tx, r.ID, hash, newsletter.EventSubscribed, c)
	})
	return res, err
}

// GetSubscriber returns one subscriber or newsletter.ErrNotFound.
func (s *Store) GetSubscriber(ctx context.Context, id int64) (newsletter.Subscriber, error) {
	var r subscriberRow
	if err := s.db.GetContext(ctx, &r, `SELECT `+subscriberColumns+` FROM subscribers WHERE id = $1`, id); err != nil {
		return newsletter.Subscriber{}, wrap(fmt.Sprintf("subscriber %d", id), err)
	}
	return r.subscriber(), nil
}

// SubscriberByEmail finds an address ignoring case, or newsletter.ErrNotFound.
func (s *Store) SubscriberByEmail(ctx context.Context, email string) (newsletter.Subscriber, error) {
	var r subscriberRow
	err := s.db.GetContext(ctx, &r, `SELECT `+subscriberColumns+` FROM subscribers WHERE lower(email) = lower($1)`, email)
	if err != nil {
		return newsletter.Subscriber{}, wrap("subscriber by email", err)
	}
	return r.subscriber(), nil
}

// SubscriberFilter narrows ListSubscribers.
type SubscriberFilter struct {
	Query  string // part of the address or name, any case
	Email  string // this exact address, any case
	Status string // empty: any
	After  int64  // cursor: only ids above this
	Limit  int    // default 50, at most 1000
}

// SubscriberPage is one page of a list; Next is the cursor of the following
// page, 0 at the end.
type SubscriberPage struct {
	Subscribers []newsletter.Subscriber
	Next        int64
}

// ListSubscribers pages through the list by id. Keyset paging keeps every
// page equally fast however deep, and rows added meanwhile never shift it.
func (s *Store) ListSubscribers(ctx context.Context, f SubscriberFilter) (SubscriberPage, error) {
	if err := newsletter.CheckStatusFilter(f.Status); err != nil {
		return SubscriberPage{}, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 1000)
	like := ""
	if q := strings.TrimSpace(f.Query); q != "" {
		like = "%" + escapeLike(strings.ToLower(q)) + "%"
	}
	var rows []subscriberRow
	err := s.db.SelectContext(ctx, &rows, `SELECT `+subscriberColumns+` FROM subscribers
		WHERE id > $1 AND ($2 = '' OR status = $2)
		  AND ($3 = '' OR lower(email) LIKE $3 OR lower(name) LIKE $3)
		  AND ($4 = '' OR lower(email) = lower($4))
		ORDER BY id LIMIT $5`, f.After, f.Status, like, f.Email, limit+1)
	if err != nil {
		return SubscriberPage{}, wrap("list subscribers", err)
	}
	return pageOf(rows, limit), nil
}

// pageOf makes a page of at most limit rows from limit+1 fetched: the
// extra row only tells that there is a next page.
func pageOf(rows []subscriberRow, limit int) SubscriberPage {
	var page SubscriberPage
	if len(rows) > limit {
		rows = rows[:limit]
		page.Next = rows[limit-1].ID
	}
	page.Subscribers = make([]newsletter.Subscriber, len(rows))
	for i, r := range rows {
		page.Subscribers[i] = r.subscriber()
	}
	return page
}

// escapeLike makes user text match literally in LIKE (default escape \).
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// UpdateSubscriber changes a subscriber's name and, when attrs is not nil,
// replaces the attributes. Status changes go through Confirm, Unsubscribe
// and Erase, which log consent.
func (s *Store) UpdateSubscriber(ctx context.Context, id int64, name *string, attrs map[string]string) (newsletter.Subscriber, error) {
	var r subscriberRow
	err := s.db.GetContext(ctx, &r, `UPDATE subscribers SET
			name = COALESCE($2, name),
			attributes = CASE WHEN $3 THEN CAST($4 AS jsonb) ELSE attributes END,
			updated_at = now()
		WHERE id = $1 RETURNING `+subscriberColumns, id, name, attrs != nil, attrMap(attrs))
	if err != nil {
		return newsletter.Subscriber{}, wrap(fmt.Sprintf("update subscriber %d", id), err)
	}
	return r.subscriber(), nil
}

// DeliveryRecord is one issue's delivery to a subscriber, for `show`.
type DeliveryRecord struct {
	Period    string     `db:"period"`
	Status    string     `db:"status"`
	Attempts  int        `db:"attempts"`
	LastReply string     `db:"last_reply"`
	SentAt    *time.Time `db:"sent_at"`
	UpdatedAt time.Time  `db:"updated_at"`
}

// SubscriberDeliveries lists a subscriber's deliveries, newest issue first.
func (s *Store) SubscriberDeliveries(ctx context.Context, id int64, limit int) ([]DeliveryRecord, error) {
	var out []DeliveryRecord
	err := s.db.SelectContext(ctx, &out, `SELECT to_char(i.period, 'YYYY-MM') AS period, d.status, d.attempts,
			d.last_reply, d.sent_at, d.updated_at
		FROM deliveries d JOIN issues i ON i.id = d.issue_id
		WHERE d.subscriber_id = $1 ORDER BY i.period DESC LIMIT $2`, id, limit)
	if err != nil {
		return nil, wrap("subscriber deliveries", err)
	}
	return out, nil
}
