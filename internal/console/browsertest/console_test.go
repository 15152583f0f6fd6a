package browsertest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/enews/enews/internal/smtptest"
)

// The tests run one at a time: each starts a server and a browser, and the
// machine's cores are shared.

func TestLogInAndOut(t *testing.T) {
	s := startSite(t)
	s.user("admin@example.org", "admin")
	ctx := s.browser()

	s.do(ctx, "open a console page without a session",
		chromedp.Navigate(s.base+"/admin/subscribers"),
		chromedp.WaitVisible(chromedp.ID("email")))
	if loc := get(s, ctx, "location", chromedp.Location()); !strings.Contains(loc, "/admin/login?next=") {
		t.Fatalf("without a session the console sent the browser to %s, want the login page", loc)
	}
	s.do(ctx, "log in with a wrong password",
		chromedp.SendKeys(chromedp.ID("email"), "admin@example.org"),
		chromedp.SendKeys(chromedp.ID("password"), "not the password at all"),
		chromedp.Click(chromedp.CSS("main form button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("login-error")))
	if msg := s.text(ctx, "#login-error"); !strings.Contains(msg, "not right") {
		t.Fatalf("a wrong password says %q", msg)
	}
	s.shot(ctx, "login-failed")
	s.do(ctx, "log in with the right password",
		chromedp.SetValue(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS("main form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("form.logout")))
	if h1 := s.text(ctx, "main h1"); h1 != "Subscribers" {
		t.Fatalf("after logging in the page is %q, want the page asked for (Subscribers)", h1)
	}
	if who := s.text(ctx, "form.logout .who"); !strings.Contains(who, "admin@example.org") {
		t.Fatalf("the navigation says %q, want the user", who)
	}
	s.do(ctx, "log out",
		chromedp.Click(chromedp.CSS("form.logout button")),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.Navigate(s.base+"/admin/"),
		chromedp.WaitVisible(chromedp.ID("email")))
	if n := s.count(`SELECT count(*) FROM console_sessions`); n != 0 {
		t.Fatalf("%d sessions left after logging out", n)
	}
}

func TestFindAndEraseASubscriberAmong10000(t *testing.T) {
	s := startSite(t)
	s.exec(`INSERT INTO subscribers (email, name, status)
		SELECT 'reader' || g || '@example.org', 'Reader ' || g, 'active' FROM generate_series(1, 10000) g`)
	s.user("staff@example.org", "staff")
	ctx := s.browser()
	s.login(ctx, "staff@example.org", "/admin/subscribers")

	s.do(ctx, "search for reader7345",
		chromedp.SendKeys(chromedp.ID("q"), "Reader 7345"),
		chromedp.Click(chromedp.CSS("form[role=search] button")))
	// The list before the search has a results table too: wait for the
	// searched one.
	s.untilReloaded(ctx, "the search's results",
		`location.search.includes("q=") && document.getElementById("results") !== null`)
	if rows := js[int](s, ctx, `document.querySelectorAll("#results tbody tr").length`); rows != 1 {
		t.Fatalf("searching by name %q lists %d subscribers, want 1", "Reader 7345", rows)
	}
	s.shot(ctx, "found")
	s.do(ctx, "open the subscriber",
		chromedp.Click(chromedp.CSS(`#results a[href^="/admin/subscribers/"]`)),
		chromedp.WaitVisible(chromedp.ID("confirm")))
	if h1 := s.text(ctx, "main h1"); h1 != "reader7345@example.org" {
		t.Fatalf("the subscriber page is of %q", h1)
	}
	s.do(ctx, "erase with a wrong confirmation",
		chromedp.SendKeys(chromedp.ID("confirm"), "reader7346@example.org"),
		chromedp.Click(chromedp.CSS(".danger-zone button")),
		chromedp.WaitVisible(chromedp.ID("form-error")))
	if n := s.count(`SELECT count(*) FROM subscribers WHERE email = 'reader7345@example.org'`); n != 1 {
		t.Fatal("a wrong confirmation erased the subscriber")
	}
	s.do(ctx, "erase, typing the address",
		chromedp.SetValue(chromedp.ID("confirm"), "reader7345@example.org"),
		chromedp.Click(chromedp.CSS(".danger-zone button")),
		chromedp.WaitVisible(chromedp.CSS(".notice")))
	if n := s.count(`SELECT count(*) FROM subscribers WHERE email = 'reader7345@example.org'`); n != 0 {
		t.Fatal("the subscriber is still there after the erase")
	}
	if n := s.count(`SELECT count(*) FROM suppressions`); n != 1 {
		t.Fatalf("%d suppressions after an erase, want the address's hash", n)
	}
	if n := s.count(`SELECT count(*) FROM audit_log WHERE actor = 'user:staff@example.org' AND action = 'subscriber.erase'`); n != 1 {
		t.Fatalf("%d audit entries for the erase, want 1", n)
	}
}

func TestImportACSVWithBadLines(t *testing.T) {
	s := startSite(t)
	s.user("staff@example.org", "staff")
	csv := filepath.Join(t.TempDir(), "list.csv")
	lines := []string{
		"email,name,city",
		"anna@example.org,Anna,Bern",   // line 2
		"not an address,Bad,Basel",     // line 3: refused
		"ben@example.org,Ben,Geneva",   // line 4
		",Nobody,Lugano",               // line 5: refused
		"carla@example.org,Carla,Chur", // line 6
	}
	if err := os.WriteFile(csv, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := s.browser()
	s.login(ctx, "staff@example.org", "/admin/subscribers")
	s.do(ctx, "upload the file",
		chromedp.Click(chromedp.CSS(`a[href="/admin/subscribers/import"]`)),
		chromedp.WaitVisible(chromedp.ID("file")),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{csv}),
		chromedp.Click(chromedp.CSS("main form button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("report")))
	s.shot(ctx, "report")
	if bad := s.text(ctx, "#bad-count"); bad != "2" {
		t.Fatalf("the report counts %s refused lines, want 2", bad)
	}
	refused := js[[]string](s, ctx, `Array.from(document.querySelectorAll("#report tbody tr td:first-child")).map(td => td.textContent)`)
	if strings.Join(refused, ",") != "3,5" {
		t.Fatalf("refused lines %v, want 3 and 5", refused)
	}
	href := get(s, ctx, "report link", chromedp.AttributeValue(chromedp.CSS(`a[download="import-report.csv"]`), "href"))
	if !strings.HasPrefix(href.Value, "data:text/csv;base64,") {
		t.Fatalf("the report's download link is %.40q", href.Value)
	}
	if n := s.count(`SELECT count(*) FROM subscribers WHERE status = 'active'`); n != 3 {
		t.Fatalf("%d subscribers imported, want the 3 good lines", n)
	}
	if n := s.count(`SELECT count(*) FROM subscribers WHERE attributes->>'city' = 'Chur'`); n != 1 {
		t.Fatal("the city column did not become an attribute")
	}
}

func TestApproveSendAndWatchAnIssue(t *testing.T) {
	const readers = 40
	s := startSite(t)
	s.exec(`INSERT INTO subscribers (email, name, status)
		SELECT 'reader' || g || '@example.org', 'Reader ' || g, 'active' FROM generate_series(1, $1) g`, readers)
	s.user("ops@example.org", "ops")
	// reader7's mailbox does not exist; reader40's message is held by the
	// server until the test lets it go, so the send cannot end before the
	// page has shown it under way.
	release := make(chan struct{})
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	s.smtp.SetFaults(smtptest.Permanent(smtptest.OnRcpt, smtptest.Recipients("reader7@example.org")),
		smtptest.Fault{Stage: smtptest.OnData, Match: smtptest.Recipients("reader40@example.org"), Do: func() { <-release }})

	ctx := s.browser()
	s.login(ctx, "ops@example.org", "/admin/issues")
	s.do(ctx, "make the May 2022 issue",
		chromedp.SetValue(chromedp.ID("period"), "2022-05"),
		chromedp.Click(chromedp.CSS(`form[action="/admin/issues"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/admin/issues/2022-05/approve"]`)))
	if st := s.text(ctx, "#issue-status"); st != "draft" {
		t.Fatalf("the issue is %q, want draft", st)
	}
	frames := js[[]string](s, ctx, `Array.from(document.querySelectorAll(".preview-frames iframe")).map(f => f.className + " " + f.getAttribute("sandbox"))`)
	if len(frames) != 2 || !strings.HasPrefix(frames[0], "desktop ") || !strings.HasPrefix(frames[1], "phone ") || strings.Contains(frames[0], "allow-scripts") {
		t.Fatalf("preview frames %q: want a desktop and a phone one, sandboxed without scripts", frames)
	}
	// By script rather than chromedp.ScrollIntoView: the frames load their
	// documents meanwhile, and a DOM node id looked up a moment earlier can
	// be gone by the time the scroll is asked for.
	s.do(ctx, "scroll to the email", chromedp.Evaluate[chromedp.Void](`document.querySelector("iframe.phone").scrollIntoView()`))
	s.shot(ctx, "draft")
	s.do(ctx, "send a test copy to two addresses",
		chromedp.SendKeys(chromedp.ID("to"), "editor@example.org, chief@example.org"),
		chromedp.Click(chromedp.CSS(`form[action="/admin/issues/2022-05/test"] button`)))
	// The draft page already shows a notice (the issue was made): wait for
	// the one the test send leads to.
	s.untilReloaded(ctx, "the test copy's notice", noticeSays("Test copy sent"))
	if n := s.smtp.Count(); n != 2 {
		t.Fatalf("the SMTP server took %d test copies, want 2", n)
	}
	s.do(ctx, "approve",
		chromedp.Click(chromedp.CSS(`form[action="/admin/issues/2022-05/approve"] button`)))
	s.untilReloaded(ctx, "the approval's notice", noticeSays("approved"))
	// The page reloads itself once the issue is sending, to offer the
	// actions of that state; from then on its numbers change in place.
	s.untilReloaded(ctx, "watch the issue start sending",
		`document.getElementById("issue-status") !== null && document.getElementById("issue-status").textContent === "sending"`)
	if n := js[int](s, ctx, `document.querySelectorAll('form[action$="/pause"]').length`); n != 1 {
		t.Fatal("a sending issue's page offers no pause")
	}
	// A mark in the page: it survives as long as the page is not reloaded.
	s.do(ctx, "mark the page", chromedp.Evaluate[chromedp.Void](`window.enewsSamePage = true`))
	want := fmt.Sprint(readers - 2)
	s.do(ctx, "watch the send under way without a reload",
		until(`document.getElementById("p-sent").textContent === "`+want+`" &&
			document.getElementById("p-failed").textContent === "1" && window.enewsSamePage === true`))
	if st := s.text(ctx, "#issue-status"); st != "sending" {
		t.Fatalf("while a message is held the issue shows %q", st)
	}
	s.shot(ctx, "sending")
	close(release)
	// reader7 failed: never plainly "sent".
	s.untilReloaded(ctx, "watch it reach sent, with the one failure said",
		`document.getElementById("issue-status") !== null && document.getElementById("issue-status").textContent === "sent, 1 failed"`)
	s.shot(ctx, "sent")
	if n := s.smtp.Count(); n != 2+readers-1 {
		t.Fatalf("the SMTP server took %d messages, want 2 test copies and %d (all but the missing mailbox)", n, readers-1)
	}
	s.do(ctx, "filter the deliveries by failed",
		chromedp.SetValue(chromedp.ID("dstatus"), "failed"),
		chromedp.Click(chromedp.CSS(`form[action="/admin/issues/2022-05#deliveries"] button`)))
	// The unfiltered page has the table too: wait for the filtered one.
	s.untilReloaded(ctx, "the failed deliveries",
		`location.search.includes("status=failed") && document.getElementById("delivery-table") !== null`)
	rows := js[[]string](s, ctx, `Array.from(document.querySelectorAll("#delivery-table tbody tr")).map(tr => tr.textContent)`)
	if len(rows) != 1 || !strings.Contains(rows[0], "reader7@example.org") || !strings.Contains(rows[0], "550") {
		t.Fatalf("failed deliveries %q: want reader7 with the server's 550 reply", rows)
	}
}

// TestCrossOriginPostRefused: a page on another origin of the same host
// (same site, so the browser sends the SameSite=Lax session cookie along)
// posts the erase form; the console refuses it and erases nothing.
func TestCrossOriginPostRefused(t *testing.T) {
	s := startSite(t)
	s.exec(`INSERT INTO subscribers (email, name, status) VALUES ('victim@example.org', 'Victim', 'active')`)
	id := s.count(`SELECT id FROM subscribers WHERE email = 'victim@example.org'`)
	s.user("staff@example.org", "staff")
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html><title>Win a prize</title>
<form method="post" action="%s/admin/subscribers/%d/erase">
<input type="hidden" name="confirm" value="victim@example.org">
<button id="prize" type="submit">Claim your prize</button></form>`, s.base, id)
	}))
	t.Cleanup(hostile.Close)

	ctx := s.browser()
	s.login(ctx, "staff@example.org", "/admin/")
	s.do(ctx, "post the form from the other origin",
		chromedp.Navigate(hostile.URL),
		chromedp.Click(chromedp.ID("prize")),
		chromedp.WaitVisible(chromedp.CSS("main h1")))
	s.shot(ctx, "refused")
	if h1 := s.text(ctx, "main h1"); !strings.Contains(h1, "Refused") {
		t.Fatalf("the cross-origin post led to %q, want it refused", h1)
	}
	if n := s.count(`SELECT count(*) FROM subscribers WHERE email = 'victim@example.org'`); n != 1 {
		t.Fatal("a cross-origin post erased the subscriber")
	}
	if n := s.count(`SELECT count(*) FROM audit_log WHERE action = 'subscriber.erase'`); n != 0 {
		t.Fatal("a refused post is in the audit log as an erase")
	}
	// The same form on the console's own page works: the refusal was the
	// origin, not the session.
	s.do(ctx, "erase from the console's own page",
		chromedp.Navigate(fmt.Sprintf("%s/admin/subscribers/%d", s.base, id)),
		chromedp.SendKeys(chromedp.ID("confirm"), "victim@example.org"),
		chromedp.Click(chromedp.CSS(".danger-zone button")),
		chromedp.WaitVisible(chromedp.CSS(".notice")))
	if n := s.count(`SELECT count(*) FROM subscribers WHERE email = 'victim@example.org'`); n != 0 {
		t.Fatal("the console's own erase form did not erase")
	}
}
