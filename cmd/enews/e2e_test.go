package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/enews/enews/internal/pgtest"
	"github.com/enews/enews/internal/smtptest"
	"github.com/enews/enews/internal/store"
	"github.com/jmoiron/sqlx"
)

// These tests run the real binary as a subprocess against a real database and
// a real SMTP server, so crashes and signals are the real thing.

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "enews")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type e2e struct {
	t    *testing.T
	bin  string
	env  []string
	url  string // the database's
	st   *store.Store
	db   *sqlx.DB // plain SQL behind the store's back
	smtp *smtptest.Server
	n    int
}

func newE2E(t *testing.T, subscribers int) *e2e {
	t.Helper()
	return newE2EAt(t, pgtest.NewURL(t), subscribers)
}

// newE2EAt is newE2E on the migrated database at url.
func newE2EAt(t *testing.T, url string, subscribers int) *e2e {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	srv := smtptest.Start(t)
	e := &e2e{t: t, bin: buildBinary(t), url: url, st: st, db: pgtest.SQL(t, url), smtp: srv, n: subscribers, env: append(os.Environ(),
		"ENEWS_DATABASE_URL="+url,
		"ENEWS_SMTP_HOST="+srv.Host(), fmt.Sprintf("ENEWS_SMTP_PORT=%d", srv.Port()),
		"ENEWS_WEB_SECRET_KEY="+strings.Repeat("k", 40),
		"ENEWS_SENDING_CONNECTIONS=4", "ENEWS_SENDING_BATCH_SIZE=50", "ENEWS_SENDING_LEASE=3s",
		"ENEWS_SENDING_RETRY_BASE=10ms", "ENEWS_SENDING_RETRY_MAX=100ms", "ENEWS_LOG_LEVEL=warn",
		// No https or DNS records here; compliance_test.go runs the receipt.
		"ENEWS_COMPLIANCE_BEFORE_SEND=off",
	)}
	e.ok("items", "import", "../../configs/sample/items.json")
	_, err = e.db.Exec(`INSERT INTO subscribers (email, name, status)
		SELECT 'reader' || g || '@example.org', 'Reader ' || g, 'active' FROM generate_series(1, $1) g`, subscribers)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *e2e) cmd(args ...string) *exec.Cmd {
	c := exec.Command(e.bin, args...)
	c.Env = e.env
	return c
}

func (e *e2e) ok(args ...string) string {
	e.t.Helper()
	out, err := e.cmd(args...).CombinedOutput()
	if err != nil {
		e.t.Fatalf("enews %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// startSend starts a foreground send and returns once the SMTP server has
// accepted at least `after` messages.
func (e *e2e) startSend(after int) *exec.Cmd {
	e.t.Helper()
	c := e.cmd("issue", "send", "--period", "2022-05", "--yes")
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	if err := c.Start(); err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := e.smtp.WaitFor(ctx, after); err != nil {
		_ = c.Process.Kill()
		e.t.Fatalf("waiting for %d messages: %v\n%s", after, err, out.String())
	}
	return c
}

// assertNobodySkipped checks every subscriber received the issue and at most
// maxDups copies were duplicates (the bound after a crash is
// sending.connections); it returns the number of duplicates.
func (e *e2e) assertNobodySkipped(t *testing.T, maxDups int) int {
	t.Helper()
	got := e.perRecipient()
	dups := 0
	for i := 1; i <= e.n; i++ {
		n := got[fmt.Sprintf("reader%d@example.org", i)]
		if n == 0 {
			t.Errorf("reader%d skipped", i)
		}
		dups += max(n-1, 0)
	}
	if dups > maxDups {
		t.Fatalf("%d duplicates, want at most %d (sending.connections)", dups, maxDups)
	}
	return dups
}

func (e *e2e) perRecipient() map[string]int {
	got := map[string]int{}
	for _, m := range e.smtp.Messages() {
		for _, r := range m.To {
			got[r]++
		}
	}
	return got
}

// The two tests that stop a send mid-way run alone in this package (not
// t.Parallel): they time a signal against a running send, which the other
// tests' load on a small machine would blur.
func TestKill9MidSendSkipsNobodyAndBoundsDuplicates(t *testing.T) {
	e := newE2E(t, 1500)
	c := e.startSend(300)
	if err := c.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = c.Wait()
	before := e.smtp.Count()
	if before >= e.n {
		t.Fatalf("all %d sent before the kill; the test proves nothing", before)
	}
	out := e.ok("issue", "send", "--period", "2022-05", "--yes")
	if !strings.Contains(out, "issue 2022-05 is sent") {
		t.Fatalf("resume did not finish:\n%s", out)
	}
	dups := e.assertNobodySkipped(t, 4)
	status := e.ok("issue", "status", "--period", "2022-05")
	if !strings.Contains(status, "in doubt after a crash (possible duplicates): ") || !strings.Contains(status, ": sent") {
		t.Fatalf("status does not report the doubt:\n%s", status)
	}
	t.Logf("killed after %d messages; %d duplicates; status:\n%s", before, dups, status)
}

func TestSIGTERMDrainsWithoutDuplicates(t *testing.T) {
	e := newE2E(t, 1500)
	c := e.startSend(300)
	if err := c.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := c.Wait(); err != nil {
		t.Fatalf("SIGTERM: exit %v, want 0", err)
	}
	if e.smtp.Count() >= e.n {
		t.Fatalf("all sent before SIGTERM; the test proves nothing")
	}
	e.ok("issue", "send", "--period", "2022-05", "--yes")
	got := e.perRecipient()
	for i := 1; i <= e.n; i++ {
		if n := got[fmt.Sprintf("reader%d@example.org", i)]; n != 1 {
			t.Errorf("reader%d received %d times, want 1", i, n)
		}
	}
	status := e.ok("issue", "status", "--period", "2022-05")
	if !strings.Contains(status, "possible duplicates): 0") {
		t.Fatalf("status after a clean stop reports doubt:\n%s", status)
	}
}

func TestIssueCommands(t *testing.T) {
	t.Parallel()
	e := newE2E(t, 3)
	t.Run("preview names the items and fills tokens", func(t *testing.T) {
		out := e.ok("issue", "preview", "--period", "2022-05", "--text")
		if !strings.Contains(out, "8 of 8 items considered are in") || strings.Contains(out, "ENEWS_") {
			t.Fatalf("preview:\n%s", out)
		}
	})
	t.Run("create twice makes one issue", func(t *testing.T) {
		first := e.ok("issue", "create", "--period", "2022-05")
		second := e.ok("issue", "create", "--period", "2022-05")
		if !strings.Contains(first, "created") || !strings.Contains(second, "exists") {
			t.Fatalf("create: %q then %q", first, second)
		}
	})
	t.Run("test send goes to one address outside the ledger", func(t *testing.T) {
		e.ok("issue", "send", "--period", "2022-05", "--to", "ops@example.org")
		if e.smtp.Count() != 1 || e.smtp.Messages()[0].To[0] != "ops@example.org" {
			t.Fatalf("test send: %d messages", e.smtp.Count())
		}
		var n int
		if err := e.db.QueryRow(`SELECT count(*) FROM deliveries`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("ledger has %d rows after a test send, want 0 (%v)", n, err)
		}
	})
	t.Run("bad period is a clear error", func(t *testing.T) {
		out, err := e.cmd("issue", "create", "--period", "May").CombinedOutput()
		if err == nil || !strings.Contains(string(out), "YYYY-MM") {
			t.Fatalf("err %v, out %s", err, out)
		}
	})
	t.Run("send, then a second send sends nothing", func(t *testing.T) {
		e.ok("issue", "send", "--period", "2022-05", "--yes")
		e.ok("issue", "send", "--period", "2022-05", "--yes")
		if got := e.smtp.Count(); got != 1+3 {
			t.Fatalf("%d messages, want 1 test + 3", got)
		}
	})
}

func TestItemsImportTwiceAddsNothing(t *testing.T) {
	t.Parallel()
	e := newE2E(t, 0) // newE2E imported the sample items once already
	out := e.ok("items", "import", "../../configs/sample/items.json")
	if !strings.Contains(out, "0 new, 0 updated, 10 unchanged, 0 rejected") {
		t.Fatalf("second import: %s", out)
	}
	list := e.ok("items", "list", "--period", "2022-05")
	if n := strings.Count(list, "\n") - 1; n != 8 {
		t.Fatalf("items list --period 2022-05 shows %d items, want 8:\n%s", n, list)
	}
	bad := filepath.Join(t.TempDir(), "bad.xml")
	if err := os.WriteFile(bad, []byte("<rss><channel><item><title>x</title>"), 0o600); err != nil {
		t.Fatal(err)
	}
	out2, err := e.cmd("items", "import", bad).CombinedOutput()
	if err == nil || !strings.Contains(string(out2), "bad.xml") {
		t.Fatalf("malformed feed: err %v, output %s", err, out2)
	}
}
