package main

import (
	"strings"
	"testing"

	"github.com/enews/enews/internal/dnstest"
	"github.com/enews/enews/internal/poll"
)

// TestSendBlockedByTheReceipt: with an http base URL and no DKIM, the
// receipt made before the send fails and stops it; --force sends and the
// receipt says it was forced; issue status shows it.
func TestSendBlockedByTheReceipt(t *testing.T) {
	t.Parallel()
	e := newE2E(t, 5)
	resolver := dnstest.Start(t, map[string][]string{
		"example.org":        {"v=spf1 include:spf.relay.example -all"},
		"_dmarc.example.org": {"v=DMARC1; p=quarantine"},
	})
	e.env = append(e.env, "ENEWS_COMPLIANCE_BEFORE_SEND=block", "ENEWS_COMPLIANCE_RESOLVER="+resolver,
		"ENEWS_SMTP_FROM=eNewsUpdate <news@example.org>", "ENEWS_NEWSLETTER_LIST_ID=enewsupdate.example.org")

	out := e.fails("issue", "send", "--period", "2022-05", "--yes")
	for _, want := range []string{"FAIL  https base URL", "FAIL  DKIM configured", "ok    SPF record of the return path",
		"ok    DMARC record", "ok    List-Id set", "ok    unsubscribe link in both parts", "compliance checks failed", "--force"} {
		if !strings.Contains(out, want) {
			t.Errorf("refused send does not say %q:\n%s", want, out)
		}
	}
	if n := e.smtp.Count(); n != 0 {
		t.Fatalf("%d messages sent by a refused send", n)
	}
	var queued int
	if err := e.db.Get(&queued, `SELECT count(*) FROM deliveries`); err != nil || queued != 0 {
		t.Fatalf("deliveries after a refused send: %d (%v), want 0", queued, err)
	}

	out = e.fails("issue", "check", "--period", "2022-05")
	if !strings.Contains(out, "FAIL  https base URL") {
		t.Errorf("issue check:\n%s", out)
	}

	e.ok("issue", "send", "--period", "2022-05", "--yes", "--force")
	if n := e.smtp.Count(); n != 5 {
		t.Fatalf("forced send sent %d, want 5", n)
	}
	var forced []bool
	if err := e.db.Select(&forced, `SELECT forced FROM issue_checks ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if len(forced) != 3 || forced[0] || forced[1] || !forced[2] {
		t.Fatalf("receipts forced = %v, want three, the last one forced", forced)
	}
	if out := e.ok("issue", "status", "--period", "2022-05"); !strings.Contains(out, "FAILED, sent anyway (--force)") {
		t.Errorf("issue status does not show the forced receipt:\n%s", out)
	}
}

// TestServeHoldsAnIssueWhoseReceiptFails: the senders of serve start an
// approved issue only with a passing receipt; a failing one holds it, said
// in the log, until a send forced past it.
func TestServeHoldsAnIssueWhoseReceiptFails(t *testing.T) {
	t.Parallel()
	e := newE2E(t, 3)
	resolver := dnstest.Start(t, map[string][]string{})
	e.env = append(e.env, "ENEWS_COMPLIANCE_BEFORE_SEND=block", "ENEWS_COMPLIANCE_RESOLVER="+resolver, "ENEWS_LOG_LEVEL=info")
	e.ok("issue", "create", "--period", "2022-05")
	e.ok("issue", "approve", "--period", "2022-05")
	r := e.serve(t, "serve")
	poll.Until(t, "the condition", func() bool { return strings.Contains(r.out.String(), "approved issue not started") })
	if out := e.ok("issue", "status", "--period", "2022-05"); !strings.Contains(out, ": approved") || !strings.Contains(out, "FAIL  https base URL") {
		t.Fatalf("held issue:\n%s", out)
	}
	if n := e.smtp.Count(); n != 0 {
		t.Fatalf("%d messages sent for a held issue", n)
	}
	e.ok("issue", "send", "--period", "2022-05", "--yes", "--force")
	e.waitMessages(t, 3)
	if got := e.perRecipient(); len(got) != 3 {
		t.Fatalf("recipients %v, want 3 each once", got)
	}
	for addr, n := range e.perRecipient() {
		if n != 1 {
			t.Errorf("%s received %d", addr, n)
		}
	}
}
