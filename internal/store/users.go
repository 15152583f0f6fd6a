package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/enews/enews/internal/newsletter"
)

// Console users: email unique ignoring case, a role, an argon2id hash the
// console package makes and checks. Disabling a user or changing the
// password ends the user's sessions in the same transaction.

type userRow struct {
	ID          int64      `db:"id"`
	Email       string     `db:"email"`
	Name        string     `db:"name"`
	Role        string     `db:"role"`
	CreatedAt   time.Time  `db:"created_at"`
	LastLoginAt *time.Time `db:"last_login_at"`
	DisabledAt  *time.Time `db:"disabled_at"`
}

func (r userRow) user() newsletter.User {
	return newsletter.User{ID: r.ID, Email: r.Email, Name: r.Name, Role: newsletter.Role(r.Role),
		CreatedAt: r.CreatedAt, LastLoginAt: r.LastLoginAt, DisabledAt: r.DisabledAt}
}

const userColumns = `id, email, name, role, created_at, last_login_at, disabled_at`

// CreateUser adds a console user. An address already used is
// newsletter.ErrConflict.
func (s *Store) CreateUser(ctx context.Context, u newsletter.User, passwordHash string) (newsletter.User, error) {
	var r userRow
	err := s.db.GetContext(ctx, &r, `INSERT INTO console_users (email, name, role, password_hash)
		VALUES ($1, $2, $3, $4) RETURNING `+userColumns, strings.TrimSpace(u.Email), strings.TrimSpace(u.Name), string(u.Role), passwordHash)
	if err != nil {
		return newsletter.User{}, wrap("create user", err)
	}
	return r.user(), nil
}

// ListUsers lists every console user, disabled ones too, by address.
func (s *Store) ListUsers(ctx context.Context) ([]newsletter.User, error) {
	var rows []userRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+userColumns+` FROM console_users ORDER BY lower(email)`); err != nil {
		return nil, wrap("list users", err)
	}
	out := make([]newsletter.User, len(rows))
	for i, r := range rows {
		out[i] = r.user()
	}
	return out, nil
}

// UserByEmail finds a user ignoring case, or newsletter.ErrNotFound.
func (s *Store) UserByEmail(ctx context.Context, email string) (newsletter.User, error) {
	u, _, err := s.UserCredentials(ctx, email)
	return u, err
}

// UserCredentials is the user and password hash for a login, disabled
// users included: the caller decides what a disabled user gets.
func (s *Store) UserCredentials(ctx context.Context, email string) (newsletter.User, string, error) {
	var r struct {
		userRow
		Hash string `db:"password_hash"`
	}
	err := s.db.GetContext(ctx, &r, `SELECT `+userColumns+`, password_hash FROM console_users
		WHERE lower(email) = lower($1)`, strings.TrimSpace(email))
	if err != nil {
		return newsletter.User{}, "", wrap("user "+email, err)
	}
	return r.user(), r.Hash, nil
}

// SetUserDisabled disables or enables the user with this address. Disabling
// ends every session of the user at once. The last enabled admin cannot be
// disabled: nobody could manage users any more.
func (s *Store) SetUserDisabled(ctx context.Context, email string, disabled bool) (newsletter.User, error) {
	var out newsletter.User
	err := s.inTx(ctx, "set user disabled", func(tx *sqlx.Tx) error {
		u, err := lockUser(ctx, tx, email)
		if err != nil {
			return err
		}
		if disabled && u.Role == newsletter.RoleAdmin {
			if err := keepAnAdmin(ctx, tx, u.ID); err != nil {
				return err
			}
		}
		var r userRow
		err = tx.GetContext(ctx, &r, `UPDATE console_users SET
				disabled_at = CASE WHEN $2 THEN COALESCE(disabled_at, now()) END, updated_at = now()
			WHERE id = $1 RETURNING `+userColumns, u.ID, disabled)
		if err != nil {
			return wrap("update", err)
		}
		out = r.user()
		if disabled {
			return endSessions(ctx, tx, u.ID)
		}
		return nil
	})
	return out, err
}

// SetUserPassword replaces the user's password hash and ends every session
// of the user, so a stolen session dies with the old password.
func (s *Store) SetUserPassword(ctx context.Context, email, passwordHash string) (newsletter.User, error) {
	var out newsletter.User
	err := s.inTx(ctx, "set user password", func(tx *sqlx.Tx) error {
		u, err := lockUser(ctx, tx, email)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE console_users SET password_hash = $2, updated_at = now() WHERE id = $1`,
			u.ID, passwordHash); err != nil {
			return wrap("update", err)
		}
		out = u
		return endSessions(ctx, tx, u.ID)
	})
	return out, err
}

// SetUserRole changes the user's role; it takes effect on the next request
// of every open session. The last enabled admin keeps the role.
func (s *Store) SetUserRole(ctx context.Context, email string, role newsletter.Role) (newsletter.User, error) {
	var out newsletter.User
	err := s.inTx(ctx, "set user role", func(tx *sqlx.Tx) error {
		u, err := lockUser(ctx, tx, email)
		if err != nil {
			return err
		}
		if u.Role == newsletter.RoleAdmin && role != newsletter.RoleAdmin && !u.Disabled() {
			if err := keepAnAdmin(ctx, tx, u.ID); err != nil {
				return err
			}
		}
		var r userRow
		err = tx.GetContext(ctx, &r, `UPDATE console_users SET role = $2, updated_at = now()
			WHERE id = $1 RETURNING `+userColumns, u.ID, string(role))
		if err != nil {
			return wrap("update", err)
		}
		out = r.user()
		return nil
	})
	return out, err
}

func lockUser(ctx context.Context, tx *sqlx.Tx, email string) (newsletter.User, error) {
	var r userRow
	err := tx.GetContext(ctx, &r, `SELECT `+userColumns+` FROM console_users WHERE lower(email) = lower($1) FOR UPDATE`,
		strings.TrimSpace(email))
	if err != nil {
		return newsletter.User{}, wrap("user "+email, err)
	}
	return r.user(), nil
}

// keepAnAdmin refuses a change that would leave no enabled admin but id.
// The admins are locked, so two admins disabling each other at once cannot
// both succeed.
func keepAnAdmin(ctx context.Context, tx *sqlx.Tx, id int64) error {
	var others []int64
	err := tx.SelectContext(ctx, &others, `SELECT id FROM console_users
		WHERE role = 'admin' AND disabled_at IS NULL AND id <> $1 FOR UPDATE`, id)
	if err != nil {
		return wrap("count admins", err)
	}
	if len(others) == 0 {
		return fmt.Errorf("%w: this is the last enabled admin; make another admin first", newsletter.ErrConflict)
	}
	return nil
}

func endSessions(ctx context.Context, tx *sqlx.Tx, userID int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM console_sessions WHERE user_id = $1`, userID); err != nil {
		return wrap("end sessions", err)
	}
	return nil
}
