package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/enews/enews/internal/pgtest"
)

// cliEnv runs enews commands in process against a fresh database.
type cliEnv struct {
	t   *testing.T
	env []string
}

func newCLI(t *testing.T) *cliEnv {
	return &cliEnv{t: t, env: []string{
		"ENEWS_DATABASE_URL=" + pgtest.NewURL(t),
		"ENEWS_WEB_SECRET_KEY=" + strings.Repeat("s", 40),
		"ENEWS_LOG_LEVEL=warn",
	}}
}

func (c *cliEnv) run(stdin string, args ...string) (stdout, stderr string, err error) {
	c.t.Helper()
	var out, errb bytes.Buffer
	err = Run(context.Background(), args, c.env, &out, &errb, strings.NewReader(stdin))
	return out.String(), errb.String(), err
}

func (c *cliEnv) ok(args ...string) string {
	c.t.Helper()
	out, errOut, err := c.run("", args...)
	if err != nil {
		c.t.Fatalf("enews %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "list.csv")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSubscribersImportCommand(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	file := writeFile(t, "email,name,city\n"+
		"anna@example.org,Anna,Bern\n"+
		"no-at-sign,Bad,X\n"+
		"ben@example.org,Ben\n"+
		"\"carl@example.org\",\"Carl\r\nBcc: x@y.org\",Z\n"+
		"dora@example.org,Dora,Zug\n"+
		"ANNA@example.org,Again,Bern\n")
	out, errOut, err := c.run("", "subscribers", "import", file)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, errOut)
	}
	for _, want := range []string{"line 3: email: missing @", "line 4: wrong column count", "line 5: line break"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if !strings.Contains(out, "3 rows, 3 bad lines, 1 repeated in the file, 0 suppressed, 2 added") {
		t.Errorf("summary %q", out)
	}
	if strings.Contains(out, "\r") {
		t.Error("a progress bar was drawn though stdout is not a terminal")
	}

	c.ok("subscribers", "unsubscribe", "anna@example.org")
	c.ok("subscribers", "erase", "Dora@Example.org", "--yes")
	out = c.ok("subscribers", "import", "--activate-pending", file)
	if !strings.Contains(out, "1 suppressed, 0 added, 1 already on the list") {
		t.Errorf("re-import summary %q", out)
	}
	show := c.ok("subscribers", "show", "anna@example.org")
	if !strings.Contains(show, "unsubscribed") || !strings.Contains(show, "imported") || !strings.Contains(show, "attribute city") {
		t.Errorf("show:\n%s", show)
	}
	// The imported event names the import: its number, the file and the
	// start of the file's SHA-256.
	content, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	if want := fmt.Sprintf("#1 %q by cli", file); !strings.Contains(show, want) ||
		!strings.Contains(show, "sha256:"+hex.EncodeToString(sum[:])[:12]) {
		t.Errorf("show lacks the import (%s, sha256):\n%s", want, show)
	}
	if _, _, err := c.run("", "subscribers", "add", "dora@example.org"); err == nil || !strings.Contains(err.Error(), "suppression") {
		t.Errorf("adding an erased address: %v", err)
	}
	if _, _, err := c.run("", "subscribers", "erase", "anna@example.org"); err == nil {
		t.Error("erase without --yes went ahead")
	}

	c.ok("subscribers", "add", "eve@example.org", "--name", "Eve", "--attr", "plan=pro", "--pending")
	list := c.ok("subscribers", "list", "--status", "pending")
	if !strings.Contains(list, "eve@example.org") || strings.Contains(list, "anna@") {
		t.Errorf("list:\n%s", list)
	}
	out, errOut, err = c.run("", "subscribers", "export", "--status", "pending")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if err != nil || len(lines) != 2 || lines[0] != "email,name,status,created_at,plan" ||
		!strings.HasPrefix(lines[1], "eve@example.org,Eve,pending,") || !strings.HasSuffix(lines[1], ",pro") ||
		!strings.Contains(errOut, "exported 1") {
		t.Errorf("export: %v\n%s%s", err, out, errOut)
	}
	out, _, err = c.run("email\nfrom-stdin@example.org\n", "subscribers", "import", "-")
	if err != nil || !strings.Contains(out, "1 added") {
		t.Errorf("import from stdin: %v %s", err, out)
	}
}

func TestTokenCommands(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	out, errOut, err := c.run("", "token", "create", "--name", "crm")
	token := strings.TrimSpace(out)
	if err != nil || !strings.HasPrefix(token, "enews_") || strings.Contains(token, "\n") || !strings.Contains(errOut, "cannot be shown again") {
		t.Fatalf("create: %v %q %q", err, out, errOut)
	}
	if list := c.ok("token", "list"); !strings.Contains(list, "crm") || strings.Contains(list, token) {
		t.Errorf("list:\n%s", list)
	}
	c.ok("token", "revoke", "crm")
	if _, _, err := c.run("", "token", "revoke", "nope"); err == nil {
		t.Error("revoking an unknown token succeeded")
	}
	if _, _, err := c.run("", "token", "create"); err == nil {
		t.Error("create without --name succeeded")
	}
}

func TestProgressBarKeepsReportsOnTheirOwnLine(t *testing.T) {
	var m meter
	if _, err := io.Copy(io.Discard, m.reader(strings.NewReader(strings.Repeat("x", 50)))); err != nil {
		t.Fatal(err)
	}
	var term bytes.Buffer
	p := &progress{meter: &m, size: 100, w: &term, done: make(chan struct{})}
	p.draw()
	p.println(&term, "line 3: email: missing @")
	p.draw()
	p.stop()
	want := "\r\033[K[===============>              ]  50%  0.0 of 0.0 MB" +
		"\r\033[Kline 3: email: missing @\n" +
		"\r\033[K[===============>              ]  50%  0.0 of 0.0 MB" +
		"\r\033[K"
	if got := term.String(); got != want {
		t.Errorf("terminal got\n%q\nwant\n%q", got, want)
	}
}

func TestSubscribersUnsuppressCommand(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.ok("migrate")
	c.ok("subscribers", "add", "gone@example.org")
	c.ok("subscribers", "erase", "gone@example.org", "--yes")
	if _, _, err := c.run("", "subscribers", "unsuppress", "--email", "gone@example.org", "--reason", " "); err == nil || !strings.Contains(err.Error(), "--reason") {
		t.Fatalf("without a reason: %v", err)
	}
	out := c.ok("subscribers", "unsuppress", "--email", "Gone@Example.org", "--reason", "asked by phone, ticket 42")
	if !strings.Contains(out, "Gone@example.org is off the suppression list (it was erased)") {
		t.Fatalf("unsuppress said: %s", out)
	}
	if _, _, err := c.run("", "subscribers", "unsuppress", "--email", "gone@example.org", "--reason", "again"); err == nil || !strings.Contains(err.Error(), "not on the suppression list") {
		t.Fatalf("a second unsuppress: %v", err)
	}
	c.ok("subscribers", "add", "gone@example.org") // staff may add it again now

	// A complaint: lifted only with a reason, which the audit log keeps
	// beside who lifted it; the subscriber becomes unsubscribed.
	c.ok("subscribers", "add", "oops@example.org")
	db := pgtest.SQL(t, lookupEnv(c.env, "ENEWS_DATABASE_URL"))
	if _, err := db.Exec(`UPDATE subscribers SET status = 'complained' WHERE email = 'oops@example.org'`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO suppressions (email_hash, reason)
		SELECT email_hash, 'complained' FROM consent_events ORDER BY id DESC LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.run("", "subscribers", "unsuppress", "--email", "oops@example.org"); err == nil || !strings.Contains(err.Error(), "reason") {
		t.Fatalf("without --reason: %v", err)
	}
	out = c.ok("subscribers", "unsuppress", "--email", "oops@example.org", "--reason", "clicked spam by mistake")
	if !strings.Contains(out, "(it was complained)") || !strings.Contains(out, "now unsubscribed") {
		t.Fatalf("unsuppress said: %s", out)
	}
	var detail []string
	if err := db.Select(&detail, `SELECT target || ': ' || detail FROM audit_log WHERE action = 'subscriber.unsuppress' ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	want := "Gone@example.org: was erased; asked by phone, ticket 42|oops@example.org: was complained; clicked spam by mistake"
	if got := strings.Join(detail, "|"); got != want {
		t.Fatalf("audit log %q, want %q", got, want)
	}
	if out := c.ok("subscribers", "list", "--status", "unsubscribed"); !strings.Contains(out, "oops@example.org") {
		t.Fatalf("the complained subscriber is not unsubscribed now:\n%s", out)
	}
}
