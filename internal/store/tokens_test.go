package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/pgtest"
	"github.com/enews/enews/internal/store"
)

func TestAPITokens(t *testing.T) {
	t.Parallel()
	st, db := pgtest.NewWithSQL(t)
	ctx := context.Background()
	token, tok, err := st.CreateAPIToken(ctx, store.TokenSpec{Name: "  ci  ", Scopes: newsletter.Scopes()})
	if err != nil || tok.Name != "ci" || !strings.HasPrefix(token, "enews_") || len(token) < 40 {
		t.Fatalf("create: %q %+v %v", token, tok, err)
	}
	var stored string
	if err := db.QueryRowContext(ctx, `SELECT token_hash FROM api_tokens`).Scan(&stored); err != nil || strings.Contains(stored, token) || len(stored) != 64 {
		t.Fatalf("stored %q, %v: want a SHA-256 hex hash, not the token", stored, err)
	}
	got, err := st.AuthenticateAPIToken(ctx, token)
	if err != nil || got.ID != tok.ID || got.LastUsedAt == nil {
		t.Fatalf("authenticate: %+v, %v", got, err)
	}
	for _, bad := range []string{"", "enews_", token + "x", strings.TrimPrefix(token, "enews_"), "enews_' OR '1'='1"} {
		if _, err := st.AuthenticateAPIToken(ctx, bad); !errors.Is(err, newsletter.ErrNotFound) {
			t.Errorf("authenticate %q: %v, want ErrNotFound", bad, err)
		}
	}
	if _, _, err := st.CreateAPIToken(ctx, store.TokenSpec{Name: "ci", Scopes: newsletter.Scopes()}); !errors.Is(err, newsletter.ErrConflict) {
		t.Errorf("duplicate name: %v, want ErrConflict", err)
	}
	for _, bad := range []string{"", "   ", "a\nb", strings.Repeat("n", 101)} {
		if _, _, err := st.CreateAPIToken(ctx, store.TokenSpec{Name: bad, Scopes: newsletter.Scopes()}); !errors.Is(err, newsletter.ErrInvalid) {
			t.Errorf("name %q: %v, want ErrInvalid", bad, err)
		}
	}
	if _, err := st.RevokeAPIToken(ctx, "ci"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AuthenticateAPIToken(ctx, token); !errors.Is(err, newsletter.ErrNotFound) {
		t.Fatalf("revoked token: %v, want ErrNotFound", err)
	}
	if _, err := st.RevokeAPIToken(ctx, "nope"); !errors.Is(err, newsletter.ErrNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}
	list, err := st.ListAPITokens(ctx)
	if err != nil || len(list) != 1 || list[0].RevokedAt == nil {
		t.Fatalf("list: %+v, %v", list, err)
	}
}

func TestAPITokenScopesAndExpiry(t *testing.T) {
	t.Parallel()
	st, db := pgtest.NewWithSQL(t)
	ctx := context.Background()
	soon := time.Now().Add(time.Hour)
	token, tok, err := st.CreateAPIToken(ctx, store.TokenSpec{Name: "crm", Scopes: []newsletter.Scope{newsletter.ScopeRead, newsletter.ScopeSubscribers},
		ExpiresAt: &soon, CreatedBy: "user:admin@example.org"})
	if err != nil || !tok.Has(newsletter.ScopeSubscribers) || tok.Has(newsletter.ScopeIssues) || tok.ExpiresAt == nil || tok.CreatedBy != "user:admin@example.org" {
		t.Fatalf("create: %+v, %v", tok, err)
	}
	if got, err := st.AuthenticateAPIToken(ctx, token); err != nil || !got.Has(newsletter.ScopeRead) || got.Has(newsletter.ScopeIssues) {
		t.Fatalf("authenticate: %+v, %v", got, err)
	}
	past := time.Now().Add(-time.Minute)
	for name, spec := range map[string]store.TokenSpec{
		"no scope":      {Name: "a"},
		"unknown scope": {Name: "b", Scopes: []newsletter.Scope{"admin"}},
		"expired":       {Name: "c", Scopes: newsletter.Scopes(), ExpiresAt: &past},
	} {
		if _, _, err := st.CreateAPIToken(ctx, spec); !errors.Is(err, newsletter.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	// The expiry passes: the token stops working.
	if _, err := db.ExecContext(ctx, `UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AuthenticateAPIToken(ctx, token); !errors.Is(err, newsletter.ErrNotFound) {
		t.Fatalf("expired token: %v, want ErrNotFound", err)
	}
	// A token that was made before scopes existed keeps every scope.
	if _, err := db.ExecContext(ctx, `INSERT INTO api_tokens (name, token_hash) VALUES ('old', 'x')`); err != nil {
		t.Fatal(err)
	}
	list, err := st.ListAPITokens(ctx)
	if err != nil || len(list) != 2 || len(list[1].Scopes) != 3 {
		t.Fatalf("list %+v, %v: want the old token with every scope", list, err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE api_tokens SET scopes = '{}' WHERE name = 'old'`); err == nil {
		t.Fatal("the database took a token without scopes")
	}
}
