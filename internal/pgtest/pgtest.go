// Package pgtest gives tests a real, freshly migrated PostgreSQL database.
//
// The server comes from ENEWS_TEST_DATABASE_URL (scripts/test.sh starts a
// throwaway cluster and sets it). The schema is migrated once into a template
// database named after a hash of the migrations; each test then gets its own
// database cloned from that template, which is much faster than migrating.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // the postgres driver

	"github.com/enews/enews/internal/signing"
	"github.com/enews/enews/internal/store"
	"github.com/enews/enews/migrations"
)

// templateLockID serialises template creation across test packages, which
// `go test ./...` runs in parallel processes.
const templateLockID = 0x656e6577735f74 // "enews_t"

// ServerURL returns the test server's URL, skipping the test when none is
// configured, or failing it under CI=true, where skipping would hide a
// broken setup.
func ServerURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("ENEWS_TEST_DATABASE_URL")
	if u == "" {
		msg := "ENEWS_TEST_DATABASE_URL is not set: run `make test`, which starts a throwaway PostgreSQL"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return u
}

// NewURL creates a fresh migrated database and returns its URL; the database
// is dropped when the test ends.
func NewURL(t testing.TB) string {
	t.Helper()
	return newURL(t, ServerURL(t))
}

func newURL(t testing.TB, server string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	admin, err := sqlx.ConnectContext(ctx, "postgres", server)
	if err != nil {
		t.Fatalf("pgtest: connect to %s: %v", redact(server), err)
	}
	defer admin.Close()

	tmpl, err := ensureTemplate(ctx, admin, server)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	name := "enews_test_" + randomHex(6)
	if _, err := admin.ExecContext(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, tmpl)); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() { dropDatabase(t, server, name) })
	return withDatabase(server, name)
}

// EmptyURL creates an empty database (no schema) and returns its URL; it is
// dropped when the test ends.
func EmptyURL(t testing.TB) string {
	t.Helper()
	server := ServerURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := sqlx.ConnectContext(ctx, "postgres", server)
	if err != nil {
		t.Fatalf("pgtest: connect to %s: %v", redact(server), err)
	}
	defer admin.Close()
	name := "enews_empty_" + randomHex(6)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() { dropDatabase(t, server, name) })
	return withDatabase(server, name)
}

// NewWithSQL is New plus a plain handle on the same database, for tests
// that set up or check rows behind the store's back.
func NewWithSQL(t testing.TB) (*store.Store, *sqlx.DB) {
	t.Helper()
	u := NewURL(t)
	st, err := store.Open(context.Background(), store.Options{URL: u, MaxOpenConns: 20, Hasher: Hasher(t)})
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st, SQL(t, u)
}

// SQL opens a plain handle on the database at url (one NewURL gave), closed
// when the test ends.
func SQL(t testing.TB, url string) *sqlx.DB {
	t.Helper()
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		t.Fatalf("pgtest: open %s: %v", redact(url), err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// Hasher is the address hasher of every Store New returns: a signer with a
// fixed test key.
func Hasher(t testing.TB) *signing.Signer {
	t.Helper()
	s, err := signing.New([]byte("pgtest address hash key, not a secret"))
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return s
}

// New returns a Store on a fresh migrated database, hashing addresses with
// Hasher, closed when the test ends.
func New(t testing.TB) *store.Store {
	t.Helper()
	st, _ := NewWithSQL(t)
	return st
}

func ensureTemplate(ctx context.Context, admin *sqlx.DB, server string) (string, error) {
	sum, err := migrationsHash()
	if err != nil {
		return "", err
	}
	name := "enews_tmpl_" + sum
	conn, err := admin.Connx(ctx)
	if err != nil {
		return "", fmt.Errorf("template: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", templateLockID); err != nil {
		return "", fmt.Errorf("template lock: %w", err)
	}
	defer conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", templateLockID) //nolint:errcheck

	var exists bool
	if err := conn.GetContext(ctx, &exists, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name); err != nil {
		return "", fmt.Errorf("template lookup: %w", err)
	}
	if exists {
		return name, nil
	}
	// Build under a temporary name and rename, so a crash half-way never
	// leaves a half-migrated template that later runs would trust.
	building := name + "_building"
	if _, err := conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)"); err != nil {
		return "", fmt.Errorf("template cleanup: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+building); err != nil {
		return "", fmt.Errorf("template create: %w", err)
	}
	st, err := store.Open(ctx, store.Options{URL: withDatabase(server, building), MaxOpenConns: 2})
	if err != nil {
		return "", fmt.Errorf("template open: %w", err)
	}
	_, err = st.Migrate(ctx, nil)
	_ = st.Close()
	if err != nil {
		return "", fmt.Errorf("template migrate: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "ALTER DATABASE "+building+" RENAME TO "+name); err != nil {
		return "", fmt.Errorf("template rename: %w", err)
	}
	return name, nil
}

func migrationsHash() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hash migrations: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

func withDatabase(server, name string) string {
	u, err := url.Parse(server)
	if err != nil {
		return server
	}
	u.Path = "/" + name
	return u.String()
}

func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func dropDatabase(t testing.TB, server, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sqlx.ConnectContext(ctx, "postgres", server)
	if err != nil {
		t.Logf("pgtest: drop %s: %v", name, err)
		return
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		t.Logf("pgtest: drop %s: %v", name, err)
	}
}

// TerminateAdvisoryLockHolders ends every session holding an advisory lock
// in db's database, as a network failure or a killed process would, and
// reports how many it ended.
func TerminateAdvisoryLockHolders(t testing.TB, db *sqlx.DB) int {
	t.Helper()
	var n int
	err := db.QueryRowContext(context.Background(), `
		SELECT count(*) FROM (
			SELECT pg_terminate_backend(pid) FROM pg_locks
			WHERE locktype = 'advisory' AND granted
			  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
		) AS t`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
