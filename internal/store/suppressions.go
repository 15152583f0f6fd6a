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
var ErrSuppressed = fmt.Errorf("%w: address is on the suppression list", newsletter.ErrConflict)

// Suppression reasons, as the suppressions table spells them.
const (
	SuppressErased     = "erased"
	SuppressComplained = "complained"
	SuppressManual     = "manual"
)

// IsSuppressed reports whether the address hash is on the suppression list.
func (s *Store) IsSuppressed(ctx context.Context, emailHash string) (bool, error) {
	var ok bool
	err := s.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM suppressions WHERE email_hash = $1)`, emailHash)
	if err != nil {
		return false, wrap("is suppressed", err)
	}
	return ok, nil
}

// Suppress puts an address on the suppression list (reason manual or
// complained) without touching any subscriber row; a later add or import of
// the address is refused. Suppressing twice keeps the first entry.
func (s *Store) Suppress(ctx context.Context, h Hasher, email, reason string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO suppressions (email_hash, reason) VALUES ($1, $2)
		ON CONFLICT (email_hash) DO NOTHING`, h.HashAddress(email), reason)
	return wrap("suppress", err)
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
