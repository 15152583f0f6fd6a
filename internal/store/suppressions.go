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
