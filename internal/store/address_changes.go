package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/enews/enews/internal/newsletter"
)

// AddressChange is a new address a subscriber asked for on their page,
// waiting for a confirmation from that address.
type AddressChange struct {
	NewEmail    string    `db:"new_email"`
	RequestedAt time.Time `db:"requested_at"`
}

// ErrAddressTaken refuses a new address that another subscriber holds or
// that is on the suppression list; the page does not say which.
var ErrAddressTaken error = &newsletter.Problem{Kind: newsletter.ErrConflict,
	Msg: "this address cannot be used for the list"}

// RequestAddressChange records that subscriber id asks to move to newEmail
// (already normalised), asked at at. It replaces an earlier request; the
// subscriber's address stays as it is until ConfirmAddressChange. It
// returns the request as stored, its time cut to whole seconds as the
// confirmation link carries it.
func (s *Store) RequestAddressChange(ctx context.Context, id int64, newEmail string, at time.Time) (AddressChange, error) {
	var out AddressChange
	err := s.inTx(ctx, "request address change", func(tx *sqlx.Tx) error {
		email, _, err := lockSubscriber(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := refuseTaken(ctx, tx, s, id, email, newEmail); err != nil {
			return err
		}
		return tx.GetContext(ctx, &out, `INSERT INTO address_changes (subscriber_id, new_email, requested_at)
			VALUES ($1, $2, date_trunc('second', CAST($3 AS timestamptz)))
			ON CONFLICT (subscriber_id) DO UPDATE SET new_email = EXCLUDED.new_email, requested_at = EXCLUDED.requested_at
			RETURNING new_email, requested_at`, id, newEmail, at)
	})
	return out, err
}

// refuseTaken is ErrAddressTaken when newEmail is another subscriber's or
// suppressed, and newsletter.ErrInvalid when it is the current address.
func refuseTaken(ctx context.Context, tx *sqlx.Tx, s *Store, id int64, current, newEmail string) error {
	var other bool
	if err := tx.GetContext(ctx, &other, `SELECT EXISTS (SELECT 1 FROM subscribers
		WHERE lower(email) = lower($1) AND id <> $2)`, newEmail, id); err != nil {
		return wrap("address taken", err)
	}
	if other {
		return ErrAddressTaken
	}
	if strings.EqualFold(current, newEmail) {
		return &newsletter.Problem{Kind: newsletter.ErrInvalid, Msg: "this is already the address on the list"}
	}
	hash, err := s.hash(newEmail)
	if err != nil {
		return err
	}
	if err := refuseSuppressed(ctx, tx, hash); errors.Is(err, ErrSuppressed) {
		return ErrAddressTaken
	} else if err != nil {
		return err
	}
	return nil
}

// PendingAddressChange is the change subscriber id waits to confirm, or
// newsletter.ErrNotFound.
func (s *Store) PendingAddressChange(ctx context.Context, id int64) (AddressChange, error) {
	var out AddressChange
	err := s.db.GetContext(ctx, &out, `SELECT new_email, requested_at FROM address_changes WHERE subscriber_id = $1`, id)
	return out, wrap(fmt.Sprintf("address change of subscriber %d", id), err)
}

// ConfirmAddressChange moves subscriber id to the address asked for at
// requestedAt (from the confirmation link). A link to a request that was
// replaced, or already confirmed, is newsletter.ErrLinkSuperseded. The
// consent log gets the old address unsubscribed and the new one
// confirmed, both with c's source, in the same transaction.
func (s *Store) ConfirmAddressChange(ctx context.Context, id int64, requestedAt time.Time, c newsletter.Consent) (newsletter.Subscriber, error) {
	err := s.inTx(ctx, "confirm address change", func(tx *sqlx.Tx) error {
		email, _, err := lockSubscriber(ctx, tx, id)
		if err != nil {
			return err
		}
		var ch AddressChange
		err = tx.GetContext(ctx, &ch, `DELETE FROM address_changes WHERE subscriber_id = $1
			AND requested_at = date_trunc('second', CAST($2 AS timestamptz)) RETURNING new_email, requested_at`, id, requestedAt)
		if errors.Is(err, sql.ErrNoRows) {
			return newsletter.ErrLinkSuperseded
		}
		if err != nil {
			return wrap("pending change", err)
		}
		// Taken or suppressed since it was asked for: refused now too.
		if err := refuseTaken(ctx, tx, s, id, email, ch.NewEmail); err != nil {
			return err
		}
		oldHash, err := s.hash(email)
		if err != nil {
			return err
		}
		newHash, err := s.hash(ch.NewEmail)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE subscribers SET email = $2, updated_at = now() WHERE id = $1`, id, ch.NewEmail); err != nil {
			return wrap("update address", err)
		}
		if err := logConsent(ctx, tx, id, oldHash, newsletter.EventUnsubscribed, c); err != nil {
			return err
		}
		return logConsent(ctx, tx, id, newHash, newsletter.EventConfirmed, c)
	})
	if err != nil {
		return newsletter.Subscriber{}, err
	}
	return s.GetSubscriber(ctx, id)
}
