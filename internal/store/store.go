// Package store holds every SQL statement enews runs, one file per table, over
// sqlx and lib/pq. Methods take ctx first, wrap errors with the operation and
// return newsletter.ErrNotFound for a missing row.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/enews/enews/internal/newsletter"
)

// Options are the connection pool settings.
type Options struct {
	URL             string
	MaxOpenConns    int
	MaxIdleConns    int
	ConnMaxLifetime time.Duration
	// Hasher keys the address hashes kept in the consent log and on the
	// suppression list. Without it, methods that change a subscriber's
	// status fail; migrations and items need none.
	Hasher Hasher
}

// Store is the database handle shared by all of enews.
type Store struct {
	db     *sqlx.DB
	hasher Hasher

	recordMu sync.Mutex // guards record, prepared on first use
	record   *sql.Stmt
}

// Open connects and pings, so a wrong URL fails at start, not at first use.
func Open(ctx context.Context, opts Options) (*Store, error) {
	db, err := sqlx.Open("postgres", opts.URL)
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	if opts.MaxOpenConns > 0 {
		db.SetMaxOpenConns(opts.MaxOpenConns)
	}
	if opts.MaxIdleConns > 0 {
		db.SetMaxIdleConns(opts.MaxIdleConns)
	}
	if opts.ConnMaxLifetime > 0 {
		db.SetConnMaxLifetime(opts.ConnMaxLifetime)
	}
	s := &Store{db: db, hasher: opts.Hasher}
	if err := s.Ping(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

// Close releases the pool.
func (s *Store) Close() error {
	if s.record != nil {
		_ = s.record.Close()
	}
	return s.db.Close()
}

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// inTx runs fn in a transaction, committing when fn returns nil and rolling
// back otherwise (also on panic).
func (s *Store) inTx(ctx context.Context, op string, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return wrap(op+": begin", err)
	}
	return runTx(op, tx, fn)
}

// inConnTx is inTx on a connection of its own, for fn to reach the
// driver's connection (sqlx.Conn.Raw) between statements of the
// transaction.
func (s *Store) inConnTx(ctx context.Context, op string, fn func(conn *sqlx.Conn, tx *sqlx.Tx) error) error {
	conn, err := s.db.Connx(ctx)
	if err != nil {
		return wrap(op+": connection", err)
	}
	defer conn.Close()
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		return wrap(op+": begin", err)
	}
	return runTx(op, tx, func(tx *sqlx.Tx) error { return fn(conn, tx) })
}

// runTx runs fn in tx and commits, or rolls back when fn fails or panics.
func runTx(op string, tx *sqlx.Tx, fn func(tx *sqlx.Tx) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err := fn(tx); err != nil {
		if !errors.Is(err, newsletter.ErrUnavailable) && transient(err) {
			return fmt.Errorf("store: %s: %w: %w", op, newsletter.ErrUnavailable, err)
		}
		return fmt.Errorf("store: %s: %w", op, err)
	}
	if err := tx.Commit(); err != nil {
		return wrap(op+": commit", err)
	}
	return nil
}

// wrap names the operation and maps a missing row, constraint violations
// and transient failures (transient.go) to the domain's sentinel errors.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: %s: %w", op, newsletter.ErrNotFound)
	}
	if errors.Is(err, newsletter.ErrUnavailable) {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	if transient(err) {
		return fmt.Errorf("store: %s: %w: %w", op, newsletter.ErrUnavailable, err)
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch pqErr.Code {
		case "23505": // unique_violation
			return fmt.Errorf("store: %s: %w: %s", op, newsletter.ErrConflict, pqErr.Message)
		case "23514", "23502", "22P02", "22001", "23503": // check, not null, bad text repr, too long, foreign key
			return fmt.Errorf("store: %s: %w: %s", op, newsletter.ErrInvalid, pqErr.Message)
		}
	}
	return fmt.Errorf("store: %s: %w", op, err)
}
