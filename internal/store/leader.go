package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
)

// AdvisoryLock is a PostgreSQL session-level advisory lock. The server ties
// such a lock to the session that took it, so it lives on its own connection,
// kept out of the pool for as long as the lock is held: back in the pool, any
// query could borrow the session, and closing it would drop the lock unseen.
type AdvisoryLock struct {
	conn *sql.Conn
	key  int64
}

// TryAdvisoryLock takes the lock without waiting. It reports false, and holds
// nothing, when another session has it.
func (s *Store) TryAdvisoryLock(ctx context.Context, key int64) (*AdvisoryLock, bool, error) {
	conn, err := s.db.DB.Conn(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("store: advisory lock %d: connect: %w", key, err)
	}
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&got); err != nil {
		// The attempt's outcome is unknown (the lock may have been granted
		// before the error), so the session is closed rather than pooled.
		discard(conn)
		return nil, false, fmt.Errorf("store: advisory lock %d: %w", key, err)
	}
	if !got {
		_ = conn.Close() // holds no lock: safe to pool
		return nil, false, nil
	}
	return &AdvisoryLock{conn: conn, key: key}, true, nil
}

// Check asks the lock's session to answer. While it does, the lock is still
// held: only an unlock or the end of the session releases it.
func (l *AdvisoryLock) Check(ctx context.Context) error {
	var one int
	if err := l.conn.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("store: check advisory lock %d: %w", l.key, err)
	}
	return nil
}

// Release unlocks and then closes the session for good, whether the unlock
// worked or not: a session that might still hold the lock must never go back
// to the pool, and ending the session releases it on the server in any case.
func (l *AdvisoryLock) Release(ctx context.Context) error {
	var unlocked bool
	err := l.conn.QueryRowContext(ctx, `SELECT pg_advisory_unlock($1)`, l.key).Scan(&unlocked)
	discard(l.conn)
	if err != nil {
		return fmt.Errorf("store: release advisory lock %d: %w", l.key, err)
	}
	return nil
}

// discard closes conn's session instead of returning it to the pool:
// database/sql drops a connection whose Raw callback reports it bad, which
// also closes the *sql.Conn.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
}
