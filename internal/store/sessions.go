package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/netip"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/enews/enews/internal/newsletter"
)

// Console sessions. The cookie holds 256 random bits; the table holds their
// SHA-256 (hashToken), as for API tokens. Times come from the caller, so
// the idle and absolute timeouts follow one clock the tests can move.

// SessionTimes bound a session: it ends Idle after its last request, and
// Lifetime after it began, whichever comes first.
type SessionTimes struct {
	Idle     time.Duration
	Lifetime time.Duration
}

// touchEvery is how stale last_seen_at may get before a request writes it:
// idle timeouts are minutes long, so one write a minute is exact enough and
// spares a write per request.
const touchEvery = time.Minute

// CreateSession opens a session for the user, notes the login and returns
// the cookie value. Long-expired sessions of anyone are swept here, where
// the index makes it cheap and logins are rare.
func (s *Store) CreateSession(ctx context.Context, userID int64, ip netip.Addr, now time.Time, t SessionTimes) (string, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("store: create session: random: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw[:])
	err := s.inTx(ctx, "create session", func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM console_sessions WHERE expires_at < $1`, now.Add(-time.Hour)); err != nil {
			return wrap("sweep sessions", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO console_sessions (token_hash, user_id, created_at, last_seen_at, expires_at, ip)
			VALUES ($1, $2, $3, $3, $4, CAST($5 AS inet))`, hashToken(token), userID, now, now.Add(t.Lifetime), inet(ip)); err != nil {
			return wrap("insert", err)
		}
		_, err := tx.ExecContext(ctx, `UPDATE console_users SET last_login_at = $2 WHERE id = $1`, userID, now)
		return wrap("note login", err)
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// SessionUser is the enabled user whose live session token is; an unknown,
// idle, expired or disabled one is newsletter.ErrNotFound.
func (s *Store) SessionUser(ctx context.Context, token string, now time.Time, t SessionTimes) (newsletter.User, error) {
	if token == "" || len(token) > 100 {
		return newsletter.User{}, fmt.Errorf("store: session: %w", newsletter.ErrNotFound)
	}
	var r struct {
		userRow
		LastSeen time.Time `db:"last_seen_at"`
	}
	err := s.db.GetContext(ctx, &r, `SELECT u.id, u.email, u.name, u.role, u.created_at, u.last_login_at, u.disabled_at,
			s.last_seen_at
		FROM console_sessions s JOIN console_users u ON u.id = s.user_id
		WHERE s.token_hash = $1 AND u.disabled_at IS NULL AND s.expires_at > $2 AND s.last_seen_at > $3`,
		hashToken(token), now, now.Add(-t.Idle))
	if err != nil {
		return newsletter.User{}, wrap("session", err)
	}
	if now.Sub(r.LastSeen) >= touchEvery {
		if _, err := s.db.ExecContext(ctx, `UPDATE console_sessions SET last_seen_at = $2 WHERE token_hash = $1`,
			hashToken(token), now); err != nil {
			return newsletter.User{}, wrap("session touch", err)
		}
	}
	return r.user(), nil
}

// DeleteSession ends one session (logout). An unknown token is no error:
// logging out twice is fine.
func (s *Store) DeleteSession(ctx context.Context, token string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM console_sessions WHERE token_hash = $1`, hashToken(token))
	return wrap("delete session", err)
}

// CountSessions counts the user's open sessions (live or not yet swept).
func (s *Store) CountSessions(ctx context.Context, userID int64) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM console_sessions WHERE user_id = $1`, userID)
	return n, wrap("count sessions", err)
}
