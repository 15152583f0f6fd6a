package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/lib/pq"

	"github.com/enews/enews/internal/newsletter"
)

// APIToken is an admin API bearer token as stored: never the token itself.
type APIToken struct {
	ID         int64          `db:"id"`
	Name       string         `db:"name"`
	Scopes     pq.StringArray `db:"scopes"`
	CreatedAt  time.Time      `db:"created_at"`
	CreatedBy  string         `db:"created_by"`
	ExpiresAt  *time.Time     `db:"expires_at"`
	LastUsedAt *time.Time     `db:"last_used_at"`
	RevokedAt  *time.Time     `db:"revoked_at"`
}

// Has tells whether the token holds the scope.
func (t APIToken) Has(s newsletter.Scope) bool { return slices.Contains(t.Scopes, string(s)) }

// Expired tells whether the token's expiry has passed at now.
func (t APIToken) Expired(now time.Time) bool { return t.ExpiresAt != nil && !now.Before(*t.ExpiresAt) }

// TokenSpec is what a new token is made with.
type TokenSpec struct {
	Name      string
	Scopes    []newsletter.Scope // at least one
	ExpiresAt *time.Time         // nil: never
	CreatedBy string             // who made it, for the list
}

// tokenColumns are the columns APIToken scans.
const tokenColumns = `id, name, scopes, created_at, created_by, expires_at, last_used_at, revoked_at`

// tokenPrefix marks enews tokens, so a leaked one is recognisable in logs
// and by secret scanners.
const tokenPrefix = "enews_"

// maxTokenName bounds a token's name; it is a label, not a document.
const maxTokenName = 100

// hashToken is what api_tokens.token_hash holds: SHA-256 in hex. A plain
// hash is enough here, unlike for passwords: the token is 256 random bits,
// so there is nothing to guess.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateAPIToken makes a new token as spec says and returns it. Only its
// hash is stored, so this is the one time anyone sees it.
func (s *Store) CreateAPIToken(ctx context.Context, spec TokenSpec) (string, APIToken, error) {
	name := strings.TrimSpace(spec.Name)
	if name == "" || len(name) > maxTokenName || strings.ContainsFunc(name, unicode.IsControl) {
		return "", APIToken{}, fmt.Errorf("store: create token: %w: name must be 1 to %d characters, one line", newsletter.ErrInvalid, maxTokenName)
	}
	scopes := make([]string, 0, len(spec.Scopes))
	for _, sc := range spec.Scopes {
		scopes = append(scopes, string(sc))
	}
	if _, err := newsletter.ParseScopes(scopes); err != nil {
		return "", APIToken{}, fmt.Errorf("store: create token: %w", err)
	}
	if spec.ExpiresAt != nil && !spec.ExpiresAt.After(time.Now()) {
		return "", APIToken{}, fmt.Errorf("store: create token: %w: the expiry %s has passed already", newsletter.ErrInvalid,
			spec.ExpiresAt.Format("2006-01-02 15:04 MST"))
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", APIToken{}, fmt.Errorf("store: create token: random: %w", err)
	}
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	var t APIToken
	err := s.db.GetContext(ctx, &t, `INSERT INTO api_tokens (name, token_hash, scopes, expires_at, created_by)
		VALUES ($1, $2, $3, $4, $5) RETURNING `+tokenColumns, name, hashToken(token), pq.StringArray(scopes), spec.ExpiresAt, spec.CreatedBy)
	if err = wrap("create token "+name, err); errors.Is(err, newsletter.ErrConflict) {
		return "", APIToken{}, newsletter.Problemf(newsletter.ErrConflict,
			"a live token is already named %q: revoke it first or choose another name", name)
	}
	if err != nil {
		return "", APIToken{}, err
	}
	return token, t, nil
}

// ListAPITokens lists every token, revoked ones too, oldest first.
func (s *Store) ListAPITokens(ctx context.Context) ([]APIToken, error) {
	var out []APIToken
	err := s.db.SelectContext(ctx, &out, `SELECT `+tokenColumns+` FROM api_tokens ORDER BY id`)
	if err != nil {
		return nil, wrap("list tokens", err)
	}
	return out, nil
}

// RevokeAPIToken revokes the live token named name (or, when none is live,
// touches nothing and returns the newest revoked one of that name): revoking
// twice is not an error. An unknown name is newsletter.ErrNotFound.
func (s *Store) RevokeAPIToken(ctx context.Context, name string) (APIToken, error) {
	var t APIToken
	err := s.db.GetContext(ctx, &t, `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, now())
		WHERE id = (SELECT id FROM api_tokens WHERE name = $1 ORDER BY revoked_at IS NULL DESC, id DESC LIMIT 1)
		RETURNING `+tokenColumns, strings.TrimSpace(name))
	if err != nil {
		return APIToken{}, wrap("revoke token "+name, err)
	}
	return t, nil
}

// AuthenticateAPIToken finds the live token matching token and notes its
// use. An unknown, malformed, revoked or expired token is
// newsletter.ErrNotFound.
func (s *Store) AuthenticateAPIToken(ctx context.Context, token string) (APIToken, error) {
	if !strings.HasPrefix(token, tokenPrefix) || len(token) > 200 {
		return APIToken{}, fmt.Errorf("store: authenticate token: %w", newsletter.ErrNotFound)
	}
	var t APIToken
	err := s.db.GetContext(ctx, &t, `UPDATE api_tokens SET last_used_at = now()
		WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
		RETURNING `+tokenColumns, hashToken(token))
	if err != nil {
		return APIToken{}, wrap("authenticate token", err)
	}
	return t, nil
}
