package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/enews/enews/internal/newsletter"
)

// Hasher gives the keyed hash of an address (signing.Signer.HashAddress).
// The consent log and the suppression list keep it instead of the address.
type Hasher interface {
	HashAddress(email string) string
}

// ErrSuppressed refuses an address on the suppression list: it was erased
// (or blocked) and must not come back by mistake. It matches
// newsletter.ErrConflict too.
var ErrSuppressed error = &newsletter.Problem{Kind: newsletter.ErrConflict,
	Msg: "address is on the suppression list (it was erased, or its owner complained): it cannot be added again"}

// errNoHasher is what a method that hashes addresses returns on a Store
// opened without Options.Hasher.
var errNoHasher = fmt.Errorf("store: no address hasher: web.secret_key (ENEWS_WEB_SECRET_KEY) is needed for subscriber changes")

// hash is the keyed hash of an address, for the consent log and the
// suppression list.
func (s *Store) hash(email string) (string, error) {
	if s.hasher == nil {
		return "", errNoHasher
	}
	return s.hasher.HashAddress(email), nil
}

// IsSuppressed reports whether an address is on the suppression list:
// erased, or complained about.
func (s *Store) IsSuppressed(ctx context.Context, email string) (bool, error) {
	hash, err := s.hash(email)
	if err != nil {
		return false, err
	}
	var ok bool
	if err := s.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM suppressions WHERE email_hash = $1)`, hash); err != nil {
		return false, wrap("is suppressed", err)
	}
	return ok, nil
}

// refuseSuppressed is ErrSuppressed when the hash is on the suppression
// list, checked inside the transaction that is about to add the address.
func refuseSuppressed(ctx context.Context, tx *sqlx.Tx, emailHash string) error {
	var ok bool
	err := tx.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM suppressions WHERE email_hash = $1)`, emailHash)
	if err != nil {
		return wrap("is suppressed", err)
	}
	if ok {
		return ErrSuppressed
	}
	return nil
}

// suppressionReason is why the hash is suppressed ("erased", "complained",
// "manual"), or "" when it is not.
func suppressionReason(ctx context.Context, tx *sqlx.Tx, emailHash string) (string, error) {
	var reasons []string
	if err := tx.SelectContext(ctx, &reasons, `SELECT reason FROM suppressions WHERE email_hash = $1 FOR UPDATE`, emailHash); err != nil {
		return "", wrap("suppression", err)
	}
	if len(reasons) == 0 {
		return "", nil
	}
	return reasons[0], nil
}

// Unsuppressed is what lifting a suppression did.
type Unsuppressed struct {
	Reason       string // why the address was suppressed
	SubscriberID int64  // a complained subscriber moved to unsubscribed; 0 if none
}

// LiftSuppression takes an address off the suppression list, by staff and
// for a reason the caller logs. A subscriber who complained becomes
// unsubscribed (consent event with c), so a new double opt-in through the
// form can bring them back. An address not on the list is
// newsletter.ErrNotFound.
func (s *Store) LiftSuppression(ctx context.Context, email string, c newsletter.Consent) (Unsuppressed, error) {
	hash, err := s.hash(email)
	if err != nil {
		return Unsuppressed{}, err
	}
	var out Unsuppressed
	err = s.inTx(ctx, "lift suppression", func(tx *sqlx.Tx) error {
		if out.Reason, err = suppressionReason(ctx, tx, hash); err != nil {
			return err
		}
		if out.Reason == "" {
			return newsletter.Problemf(newsletter.ErrNotFound, "%s is not on the suppression list", email)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM suppressions WHERE email_hash = $1`, hash); err != nil {
			return wrap("delete suppression", err)
		}
		var ids []int64
		if err := tx.SelectContext(ctx, &ids, `UPDATE subscribers SET status = 'unsubscribed', unsubscribed_at = now(),
				updated_at = now() WHERE lower(email) = lower($1) AND status = 'complained' RETURNING id`, email); err != nil {
			return wrap("complained subscriber", err)
		}
		if len(ids) == 0 {
			return nil
		}
		out.SubscriberID = ids[0]
		return logConsent(ctx, tx, ids[0], hash, newsletter.EventUnsubscribed, c)
	})
	return out, err
}
