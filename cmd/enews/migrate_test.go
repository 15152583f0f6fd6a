package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/enews/enews/internal/pgtest"
)

func TestMigrateAndServeRefusesPendingMigrations(t *testing.T) {
	t.Parallel()
	url := pgtest.EmptyURL(t)
	bin := buildBinary(t)
	run := func(args ...string) (string, error) {
		c := exec.Command(bin, args...)
		c.Env = append(os.Environ(), "ENEWS_DATABASE_URL="+url, "ENEWS_WEB_SECRET_KEY="+strings.Repeat("k", 40))
		out, err := c.CombinedOutput()
		return string(out), err
	}
	out, err := run("serve")
	if err == nil || !strings.Contains(out, "enews migrate") {
		t.Fatalf("serve on an empty database: err %v, output %q; want a refusal naming `enews migrate`", err, out)
	}
	if out, err := run("migrate"); err != nil || !strings.Contains(out, "applied") {
		t.Fatalf("first migrate: %v\n%s", err, out)
	}
	if out, err := run("migrate"); err != nil || !strings.Contains(out, "up to date") {
		t.Fatalf("second migrate: %v\n%s", err, out)
	}
	if out, err := run("migrate", "status"); err != nil || !strings.Contains(out, "applied") || strings.Contains(out, "pending") {
		t.Fatalf("migrate status: %v\n%s", err, out)
	}
	out, err = run("--config", "/nonexistent.yaml", "migrate")
	if err == nil || !strings.Contains(out, "nonexistent.yaml") {
		t.Fatalf("missing config file: err %v, output %q", err, out)
	}
	c := exec.Command(bin, "migrate")
	c.Env = append(os.Environ(), "ENEWS_DATABASE_URL=mysql://x@y/z")
	b, err := c.CombinedOutput()
	if err == nil || !strings.Contains(string(b), "database.url") {
		t.Fatalf("bad database url: err %v, output %q", err, b)
	}
}
