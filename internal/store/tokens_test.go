package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/pgtest"
)

func TestAPITokens(t *testing.T) {
	t.Parallel()
	st, db := pgtest.NewWithSQL(t)
	ctx := context.Background()
	token, tok, err := st.CreateAPIToken(ctx, "  ci  ")
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
	if _, _, err := st.CreateAPIToken(ctx, "ci"); !errors.Is(err, newsletter.ErrConflict) {
		t.Errorf("duplicate name: %v, want ErrConflict", err)
	}
	for _, bad := range []string{"", "   ", "a\nb", strings.Repeat("n", 101)} {
		if _, _, err := st.CreateAPIToken(ctx, bad); !errors.Is(err, newsletter.ErrInvalid) {
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
