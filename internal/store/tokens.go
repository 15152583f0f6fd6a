package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/enews/enews/internal/newsletter"
)

// APIToken is an admin API bearer token as stored: never the token itself.
type APIToken struct {
	ID         int64      `db:"id"`
	Name       string     `db:"name"`
	CreatedAt  time.Time  `db:"created_at"`
	LastUsedAt *time.Time `db:"last_used_at"`
	RevokedAt  *time.Time `db:"revoked_at"`
}

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

// CreateAPIToken makes a new token named name and returns it. Only its hash
// is stored, so this is the one time anyone sees it.
func (s *Store) CreateAPIToken(ctx context.Context, name string) (string, APIToken, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > maxTokenName || strings.ContainsFunc(name, unicode.IsControl) {
		return "", APIToken{}, fmt.Errorf("store: create token: %w: name must be 1 to %d characters, one line", newsletter.ErrInvalid, maxTokenName)
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", APIToken{}, fmt.Errorf("store: create token: random: %w", err)
	}
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	var t APIToken
	err := s.db.GetContext(ctx, &t, `INSERT INTO api_tokens (name, token_hash) VALUES ($1, $2)
		RETURNING id, name, created_at, last_used_at, revoked_at`, name, hashToken(token))
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
	err := s.db.SelectContext(ctx, &out, `SELECT id, name, created_at, last_used_at, revoked_at
		FROM api_tokens ORDER BY id`)
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
		RETURNING id, name, created_at, last_used_at, revoked_at`, strings.TrimSpace(name))
	if err != nil {
		return APIToken{}, wrap("revoke token "+name, err)
	}
	return t, nil
}

// AuthenticateAPIToken finds the live token matching token and notes its
// use. An unknown, malformed or revoked token is newsletter.ErrNotFound.
func (s *Store) AuthenticateAPIToken(ctx context.Context, token string) (APIToken, error) {
	if !strings.HasPrefix(token, tokenPrefix) || len(token) > 200 {
		return APIToken{}, fmt.Errorf("store: authenticate token: %w", newsletter.ErrNotFound)
	}
	var t APIToken
	err := s.db.GetContext(ctx, &t, `UPDATE api_tokens SET last_used_at = now()
		WHERE token_hash = $1 AND revoked_at IS NULL
		RETURNING id, name, created_at, last_used_at, revoked_at`, hashToken(token))
	if err != nil {
		return APIToken{}, wrap("authenticate token", err)
	}
	return t, nil
}
