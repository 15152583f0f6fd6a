package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/enews/enews/internal/pgtest"
)

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	st := pgtest.New(t)
	ctx := context.Background()
	res, err := st.Migrate(ctx, nil)
	if err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if len(res) != 0 {
		t.Fatalf("second migrate applied %d migrations, want 0", len(res))
	}
	if err := st.CheckMigrated(ctx); err != nil {
		t.Fatalf("CheckMigrated: %v", err)
	}
	states, err := st.MigrationStatus(ctx)
	if err != nil || len(states) == 0 {
		t.Fatalf("MigrationStatus = %v, %v", states, err)
	}
	for _, s := range states {
		if !s.Applied {
			t.Errorf("migration %d %s not applied", s.Version, s.Name)
		}
	}
}

func TestSchemaConstraints(t *testing.T) {
	t.Parallel()
	_, db := pgtest.NewWithSQL(t)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `INSERT INTO subscribers (email, status) VALUES ('Alice@Example.org', 'active')`); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, sql, wantErr string
	}{
		{"email uniqueness ignores case", `INSERT INTO subscribers (email) VALUES ('alice@example.org')`, "subscribers_email_lower_key"},
		{"bad subscriber status", `INSERT INTO subscribers (email, status) VALUES ('bob@example.org', 'sleeping')`, "subscribers_status_check"},
		{"bad item status", `INSERT INTO items (title, url, published_at, status, source, external_id) VALUES ('t', 'https://x.org', now(), 'live', 's', 'e')`, "items_status_check"},
		{"item url must be http", `INSERT INTO items (title, url, published_at, source, external_id) VALUES ('t', 'javascript:alert(1)', now(), 's', 'e')`, "items_url_check"},
		{"issue period is a month start", `INSERT INTO issues (period) VALUES ('2022-05-02')`, "issues_period_check"},
		{"bad issue status", `INSERT INTO issues (period, status) VALUES ('2022-05-01', 'done')`, "issues_status_check"},
		{"delivery needs an issue", `INSERT INTO deliveries (issue_id, subscriber_id) VALUES (999, 999)`, "deliveries_issue_id_fkey"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := db.ExecContext(ctx, tc.sql)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want one naming %s", err, tc.wantErr)
			}
		})
	}
	t.Run("consent events are append-only", func(t *testing.T) {
		if _, err := db.ExecContext(ctx, `INSERT INTO consent_events (email_hash, event, source) VALUES ('h', 'subscribed', 'form')`); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{`UPDATE consent_events SET event = 'confirmed'`, `DELETE FROM consent_events`} {
			if _, err := db.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: err = %v, want append-only", q, err)
			}
		}
	})
}

// A database that applied later migrations meets an earlier number added
// afterwards (migrations are numbered in blocks per area): Migrate applies it
// instead of refusing to start.
func TestMigrateAppliesAnEarlierNumberAddedLater(t *testing.T) {
	t.Parallel()
	st, db := pgtest.NewWithSQL(t)
	ctx := context.Background()
	// Undo 00003 by hand, as if it had not existed when the database was made.
	for _, q := range []string{
		`DROP INDEX api_tokens_live_name_key`,
		`ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_name_key UNIQUE (name)`,
		`DELETE FROM goose_db_version WHERE version_id = 3`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	res, err := st.Migrate(ctx, nil)
	if err != nil {
		t.Fatalf("migrate with 00003 missing: %v", err)
	}
	if len(res) != 1 || res[0].Version != 3 {
		t.Fatalf("applied %+v, want only version 3", res)
	}
	if err := st.CheckMigrated(ctx); err != nil {
		t.Fatalf("CheckMigrated: %v", err)
	}
}
