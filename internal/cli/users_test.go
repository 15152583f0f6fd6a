package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/enews/enews/internal/console"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/pgtest"
	"github.com/enews/enews/internal/store"
)

func TestUsersCommands(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.ok("migrate")
	const pw = "a long enough passphrase"
	if out, _, err := c.run(pw+"\n", "users", "add", "--email", "Admin@Example.org", "--role", "admin", "--name", "Ada"); err != nil || !strings.Contains(out, "added as admin") {
		t.Fatalf("users add: %v\n%s", err, out)
	}
	pwFile := writeFile(t, pw+"\r\nsecond line ignored\n")
	c.ok("users", "add", "--email", "ops@example.org", "--role", "ops", "--password-file", pwFile)

	for _, tc := range []struct {
		name, stdin string
		args        []string
		want        string
	}{
		{"no password", "", []string{"users", "add", "--email", "x@example.org", "--role", "staff"}, "no password given"},
		{"short password", "short\n", []string{"users", "add", "--email", "x@example.org", "--role", "staff"}, "at least 12 characters"},
		{"bad role", pw, []string{"users", "add", "--email", "x@example.org", "--role", "root"}, `role "root"`},
		{"bad email", pw, []string{"users", "add", "--email", "nope", "--role", "staff"}, "--email"},
		{"taken email", pw, []string{"users", "add", "--email", "ADMIN@example.org", "--role", "staff"}, "conflict"},
		{"unknown user", "", []string{"users", "disable", "--email", "who@example.org"}, "not found"},
		{"last admin", "", []string{"users", "disable", "--email", "admin@example.org"}, "last enabled admin"},
		{"last admin role", "", []string{"users", "set-role", "--email", "admin@example.org", "--role", "ops"}, "last enabled admin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := c.run(tc.stdin, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want one containing %q", err, tc.want)
			}
		})
	}

	c.ok("users", "set-role", "--email", "ops@example.org", "--role", "admin")
	c.ok("users", "disable", "--email", "admin@example.org")
	out := c.ok("users", "list")
	if !strings.Contains(out, "Admin@example.org") || !strings.Contains(out, "ops@example.org") || strings.Count(out, "\n") != 3 {
		t.Fatalf("users list:\n%s", out)
	}
	// The demo of make run asks whether any admin exists.
	if out := c.ok("users", "list", "--role", "staff"); strings.Count(out, "\n") != 1 {
		t.Fatalf("users list --role staff lists someone:\n%s", out)
	}
	if out := c.ok("users", "list", "--role", "admin"); strings.Count(out, "\n") != 3 {
		t.Fatalf("users list --role admin:\n%s", out)
	}
	c.ok("users", "enable", "--email", "admin@example.org")
	if _, _, err := c.run("another long passphrase\n", "users", "set-password", "--email", "admin@example.org"); err != nil {
		t.Fatal(err)
	}

	st, err := store.Open(context.Background(), store.Options{URL: lookupEnv(c.env, "ENEWS_DATABASE_URL")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, hash, err := st.UserCredentials(context.Background(), "admin@example.org")
	if err != nil || u.Role != newsletter.RoleAdmin || u.Name != "Ada" || u.Disabled() {
		t.Fatalf("user %+v, %v", u, err)
	}
	if ok, err := console.VerifyPassword("another long passphrase", hash); !ok || err != nil {
		t.Fatalf("set-password did not take: %v %v", ok, err)
	}
	_, hash, _ = st.UserCredentials(context.Background(), "ops@example.org")
	if ok, _ := console.VerifyPassword(pw, hash); !ok {
		t.Fatal("--password-file: the password is not its first line")
	}
	entries, err := st.ListAudit(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	want := "user.set-password user.enable user.disable user.set-role user.add user.add"
	if got := strings.Join(actions, " "); got != want {
		t.Fatalf("audit actions %q, want %q", got, want)
	}
	if _, err := pgtest.SQL(t, lookupEnv(c.env, "ENEWS_DATABASE_URL")).Exec(`DELETE FROM audit_log`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("deleting the audit log: %v, want refused", err)
	}
}
