package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/pgtest"
	"github.com/enews/enews/internal/store"
)

// The two-role setup: the owner migrates, the app role serves. Even with
// every privilege granted by default, the app role cannot empty or rewrite
// the consent log, and the log survives the attempts.
func TestConsentLogSurvivesTheAppRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.EmptyURL(t)
	owner := pgtest.SQL(t, url)
	app := fmt.Sprintf("enews_app_%x", rand.Uint64())
	for _, q := range []string{
		"CREATE ROLE " + app + " NOLOGIN",
		"GRANT USAGE ON SCHEMA public TO " + app,
		// An operator who grants too much before migrating.
		"ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO " + app,
		"ALTER DEFAULT PRIVILEGES GRANT ALL ON SEQUENCES TO " + app,
	} {
		if _, err := owner.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() {
		_, _ = owner.ExecContext(ctx, "DROP OWNED BY "+app)
		_, _ = owner.ExecContext(ctx, "DROP ROLE "+app)
	})
	st, err := store.Open(ctx, store.Options{URL: url, Hasher: pgtest.Hasher(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddSubscriber(ctx, newsletter.Subscriber{Email: "kept@example.org", Status: newsletter.SubscriberActive},
		newsletter.Consent{Source: newsletter.SourceCLI}); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		var n int
		if err := owner.GetContext(ctx, &n, `SELECT count(*) FROM consent_events`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	if before == 0 {
		t.Fatal("no consent event to protect")
	}

	asApp := func(t *testing.T, stmts ...string) error {
		t.Helper()
		conn, err := owner.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		defer func() { _, _ = conn.ExecContext(ctx, "RESET ROLE; RESET session_replication_role") }()
		if _, err := conn.ExecContext(ctx, "SET ROLE "+app); err != nil {
			t.Fatal(err)
		}
		for _, q := range stmts {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	}
	if err := asApp(t, `INSERT INTO consent_events (email_hash, event, source) VALUES ('h', 'subscribed', 'cli')`); err != nil {
		t.Fatalf("the app role cannot append to the log: %v", err)
	}
	before++
	for _, tt := range []struct {
		name, grant string
		stmts       []string
		want        string
	}{
		{"truncate, privilege revoked", "", []string{"TRUNCATE consent_events"}, "permission denied"},
		{"delete, privilege revoked", "", []string{"DELETE FROM consent_events"}, "permission denied"},
		{"update, privilege revoked", "", []string{"UPDATE consent_events SET event = 'confirmed'"}, "permission denied"},
		{"replica role to skip triggers", "", []string{"SET session_replication_role = replica"}, "permission denied"},
		{"truncate, privilege granted again", "GRANT TRUNCATE ON consent_events TO " + app, []string{"TRUNCATE consent_events"}, "append-only"},
		{"truncate cascade", "GRANT TRUNCATE ON consent_events, subscribers TO " + app, []string{"TRUNCATE subscribers CASCADE"}, "append-only"},
		{"delete, privilege granted again", "GRANT DELETE ON consent_events TO " + app, []string{"DELETE FROM consent_events"}, "append-only"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.grant != "" {
				if _, err := owner.ExecContext(ctx, tt.grant); err != nil {
					t.Fatal(err)
				}
			}
			err := asApp(t, tt.stmts...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("%v: %v, want an error with %q", tt.stmts, err, tt.want)
			}
			if n := count(); n != before {
				t.Fatalf("consent log has %d events, had %d", n, before)
			}
		})
	}
	// The import records are guarded the same way: the app role appends
	// and changes nothing.
	if err := asApp(t, `INSERT INTO imports (source, status, rows, added) VALUES ('cli', 'active', 1, 1)`); err != nil {
		t.Fatalf("the app role cannot record an import: %v", err)
	}
	for _, q := range []string{"UPDATE imports SET operator = 'x'", "DELETE FROM imports", "TRUNCATE imports"} {
		if err := asApp(t, q); err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("%s as the app role: %v, want permission denied", q, err)
		}
	}
	// Even the owner, skipping ordinary triggers, cannot truncate it.
	conn, err := owner.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = conn.ExecContext(ctx, "SET session_replication_role = replica; TRUNCATE consent_events CASCADE")
	if err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("truncate in replica mode: %v", err)
	}
	_, _ = conn.ExecContext(ctx, "RESET session_replication_role")
	if n := count(); n != before {
		t.Fatalf("consent log has %d events, had %d", n, before)
	}
}
