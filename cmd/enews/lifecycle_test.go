package main

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/enews/enews/internal/poll"
)

// bodyText decodes every text part of a raw message into one string.
func bodyText(t *testing.T, raw []byte) string {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	r := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := r.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var body io.Reader = p
		if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body = quotedprintable.NewReader(p)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		out.Write(b)
	}
	return out.String()
}

func (e *e2e) fails(args ...string) string {
	e.t.Helper()
	out, err := e.cmd(args...).CombinedOutput()
	if err == nil {
		e.t.Fatalf("enews %s succeeded; want an error\n%s", strings.Join(args, " "), out)
	}
	return string(out)
}

// preview is the text part `issue preview` renders, without the item list.
func (e *e2e) preview(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "preview.txt")
	e.ok("issue", "preview", "--period", "2022-05", "--text", "--out", out)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	// The text part wraps long lines; a title is looked for unwrapped.
	return strings.Join(strings.Fields(string(b)), " ")
}

func (e *e2e) setTitle(t *testing.T, title string) {
	t.Helper()
	if _, err := e.db.Exec(`UPDATE items SET title = $1, updated_at = now()
		WHERE id = (SELECT min(id) FROM items WHERE published_at >= '2022-05-05' AND published_at < '2022-05-31')`, title); err != nil {
		t.Fatal(err)
	}
}

// TestIssueLifecycleCommands walks one month through the lifecycle from the
// command line, as an operator would.
func TestIssueLifecycleCommands(t *testing.T) {
	t.Parallel()
	e := newE2E(t, 2)
	t.Run("test copies make no issue and say they are tests", func(t *testing.T) {
		out := e.ok("issue", "send", "--period", "2022-05", "--to", "ops@example.org, editor@example.org")
		if !strings.Contains(out, "rendered now") || e.smtp.Count() != 2 {
			t.Fatalf("test send: %d messages\n%s", e.smtp.Count(), out)
		}
		body := bodyText(t, e.smtp.Messages()[0].Data)
		for _, want := range []string{"This is a test copy", "/unsubscribe-test", "/preview/"} {
			if !strings.Contains(body, want) {
				t.Errorf("test copy lacks %q", want)
			}
		}
		if list := e.ok("issue", "list"); !strings.Contains(list, "no issues yet") {
			t.Fatalf("a test send made an issue:\n%s", list)
		}
		if out := e.fails("issue", "send", "--period", "2022-05", "--to", "ops@example.org\r\nBcc: x@example.org"); !strings.Contains(out, "want an email address") {
			t.Fatalf("hostile --to: %s", out)
		}
	})
	t.Run("a month not ended needs --force", func(t *testing.T) {
		this := time.Now().Format("2006-01")
		if out := e.fails("issue", "create", "--period", this); !strings.Contains(out, "--force") {
			t.Fatalf("create this month: %s", out)
		}
	})
	t.Run("a draft follows its items until approved, then keeps its bytes until reopened", func(t *testing.T) {
		if out := e.ok("issue", "create", "--period", "2022-05"); !strings.Contains(out, "created: draft") {
			t.Fatalf("create: %s", out)
		}
		e.setTitle(t, "Typo fixed in the draft")
		e.ok("issue", "refresh", "--period", "2022-05")
		if out := e.preview(t); !strings.Contains(out, "Typo fixed in the draft") {
			t.Fatalf("refreshed draft lacks the edit:\n%s", out)
		}
		e.ok("issue", "approve", "--period", "2022-05")
		e.setTitle(t, "Edited after approval")
		if out := e.fails("issue", "refresh", "--period", "2022-05"); !strings.Contains(out, "issue is approved") {
			t.Fatalf("refresh of an approved issue: %s", out)
		}
		if out := e.preview(t); !strings.Contains(out, "Typo fixed in the draft") ||
			strings.Contains(out, "Edited after approval") {
			t.Fatalf("approved issue changed:\n%s", out)
		}
		e.ok("issue", "reopen", "--period", "2022-05")
		if out := e.preview(t); !strings.Contains(out, "Edited after approval") {
			t.Fatalf("reopened issue lacks the edit:\n%s", out)
		}
	})
	t.Run("sent once; reopen then refused with the reason", func(t *testing.T) {
		e.ok("issue", "send", "--period", "2022-05", "--yes")
		if out := e.fails("issue", "reopen", "--period", "2022-05"); !strings.Contains(out, "issue is sent") {
			t.Fatalf("reopen of a sent issue: %s", out)
		}
		list := e.ok("issue", "list")
		if !strings.Contains(list, "2022-05") || !strings.Contains(list, "sent") || !strings.Contains(list, "retry-failed") {
			t.Fatalf("list:\n%s", list)
		}
		status := e.ok("issue", "status", "--period", "2022-05")
		for _, want := range []string{"approve", "reopen", "complete", "cli:", "sender:"} {
			if !strings.Contains(status, want) {
				t.Errorf("status history lacks %q:\n%s", want, status)
			}
		}
		if got := e.smtp.Count(); got != 2+2 {
			t.Fatalf("%d messages, want 2 test copies + 2", got)
		}
	})
}

// TestServeFollowsDraftsAndStartsApprovedIssues: with approval required, a
// running serve makes the month's draft, renders it again when an item is
// edited, and sends it soon after `issue approve`, with no restart.
func TestServeFollowsDraftsAndStartsApprovedIssues(t *testing.T) {
	e, last := serveE2E(t, 3)
	e.env = append(e.env, "ENEWS_SCHEDULE_REQUIRE_APPROVAL=true")
	e.serve(t, "serve")
	html := func() string {
		var h string
		if err := e.db.QueryRow(`SELECT html FROM issues WHERE period = CAST($1 AS date)`, last.String()+"-01").Scan(&h); err != nil {
			return ""
		}
		return h
	}
	poll.Until(t, "the condition", func() bool { return strings.Contains(html(), "News 1 of "+last.String()) })
	if _, err := e.db.Exec(`UPDATE items SET title = 'News 1, corrected', updated_at = now() WHERE title = $1`,
		"News 1 of "+last.String()); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, "the condition", func() bool { return strings.Contains(html(), "News 1, corrected") })
	if e.smtp.Count() != 0 {
		t.Fatalf("%d messages sent before approval", e.smtp.Count())
	}
	e.ok("issue", "approve", "--period", last.String())
	e.waitMessages(t, e.n)
	poll.Until(t, "the condition", func() bool { return strings.Contains(e.ok("issue", "status", "--period", last.String()), ": sent") })
	if got := e.smtp.Count(); got != e.n {
		t.Fatalf("%d messages, want %d", got, e.n)
	}
}

// TestPreviewPrintsTheInclusionReport: issue preview says why each item is
// in or out, before and after the bytes freeze.
func TestPreviewPrintsTheInclusionReport(t *testing.T) {
	e := newE2E(t, 1)
	e.ok("items", "add", "--title", "Hidden news <b>x</b>", "--url", "https://example.org/hidden", "--published", "2022-05-20", "--status", "hidden")
	e.ok("items", "add", "--title", "A June item", "--url", "https://example.org/june", "--published", "2022-06-01T00:30:00+02:00")
	out := e.ok("issue", "preview", "--period", "2022-05", "--report")
	for _, want := range []string{
		"issue 2022-05, as it would be made now: 8 of 10 items considered are in; made: 8 items",
		"month in Europe/Zurich: 2022-05-01 00:00 CEST to 2022-06-01 00:00 CEST",
		"hidden by staff", "Hidden news x",
		"outside the month: published 2022-06-01 00:30 CEST, in 2022-06",
		"published 2022-05-26 10:00 CEST, in the month",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("preview --report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "<!DOCTYPE") {
		t.Fatal("preview --report printed the email too")
	}
	e.ok("issue", "create", "--period", "2022-05")
	e.ok("issue", "approve", "--period", "2022-05")
	e.ok("items", "add", "--title", "Late news", "--url", "https://example.org/late", "--published", "2022-05-30")
	out = e.ok("issue", "preview", "--period", "2022-05", "--report")
	if !strings.Contains(out, "as kept when its bytes froze: 8 of 10") || strings.Contains(out, "Late news") {
		t.Fatalf("the frozen issue's report:\n%s", out)
	}
}
