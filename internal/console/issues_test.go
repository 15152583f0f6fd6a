package console_test

import (
	"context"
	"encoding/json"
	"github.com/enews/enews/internal/compliance"
	"github.com/enews/enews/internal/store"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/enews/enews/internal/issues"
	"github.com/enews/enews/internal/newsletter"
)

func TestIssuePages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	e.subscribers(7)
	e.mayItems()
	if _, _, err := e.svc.Create(ctx, may2022(), issues.CreateOptions{Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	b := e.loggedIn("ops@example.org", newsletter.RoleOps)
	status := func() string {
		is, err := e.st.IssueByPeriod(ctx, may2022())
		if err != nil {
			t.Fatal(err)
		}
		return is.Status
	}

	code, body := b.get("/admin/issues")
	if code != http.StatusOK || !strings.Contains(body, `href="/admin/issues/2022-05"`) || !strings.Contains(body, `badge draft`) {
		t.Fatalf("issue list: status %d", code)
	}
	code, body = b.get("/admin/issues/2022-05")
	if code != http.StatusOK {
		t.Fatalf("issue page: status %d", code)
	}
	for _, want := range []string{`action="/admin/issues/2022-05/approve"`, "Cooperatives item 2", `<iframe class="phone"`, `sandbox="allow-popups`,
		"3 of 3 items considered are in; made: 3 items", "As the issue would be made now", `id="inclusion-table"`} {
		if !strings.Contains(body, want) {
			t.Errorf("draft issue page lacks %q", want)
		}
	}
	if strings.Contains(body, `action="/admin/issues/2022-05/pause"`) {
		t.Error("a draft offers pause")
	}

	t.Run("preview", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, e.url+"/admin/issues/2022-05/preview", nil)
		code, body, h := b.do(req)
		if code != http.StatusOK || !strings.Contains(body, "Cooperatives item 1") || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") ||
			h.Get("X-Frame-Options") != "SAMEORIGIN" {
			t.Fatalf("preview: status %d, CSP %q, XFO %q", code, h.Get("Content-Security-Policy"), h.Get("X-Frame-Options"))
		}
		if strings.Contains(body, "{{") {
			t.Fatal("preview shows placeholder tokens")
		}
	})
	t.Run("test send", func(t *testing.T) {
		code, body, _ := b.post("/admin/issues/2022-05/test", url.Values{"to": {"a@example.org, bad address"}})
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "No test copy was sent") || e.smtp.Count() != 0 {
			t.Fatalf("a bad address: status %d, %d messages", code, e.smtp.Count())
		}
		if code, _, _ := b.post("/admin/issues/2022-05/test", url.Values{"to": {"a@example.org, b@example.org"}}); code != http.StatusSeeOther {
			t.Fatalf("test send: status %d", code)
		}
		msgs := e.smtp.Messages()
		if len(msgs) != 2 || !strings.Contains(string(msgs[0].Data), "[TEST]") {
			t.Fatalf("%d test messages, want 2 marked [TEST]", len(msgs))
		}
		if status() != newsletter.IssueDraft {
			t.Fatal("a test send changed the issue")
		}
	})
	t.Run("lifecycle", func(t *testing.T) {
		for _, step := range []struct {
			action, want string
			code         int
		}{
			{"pause", newsletter.IssueDraft, http.StatusConflict},
			{"approve", newsletter.IssueApproved, http.StatusSeeOther},
			{"approve", newsletter.IssueApproved, http.StatusConflict},
			{"start", newsletter.IssueSending, http.StatusSeeOther},
			{"pause", newsletter.IssuePaused, http.StatusSeeOther},
			{"resume", newsletter.IssueSending, http.StatusSeeOther},
			{"reopen", newsletter.IssueSending, http.StatusConflict},
			{"cancel", newsletter.IssueCancelled, http.StatusSeeOther},
			{"explode", newsletter.IssueCancelled, http.StatusNotFound},
		} {
			code, body, _ := b.post("/admin/issues/2022-05/"+step.action, nil)
			if code != step.code || status() != step.want {
				t.Fatalf("%s: status %d, issue %s; want %d and %s\n%s", step.action, code, status(), step.code, step.want, body)
			}
		}
		var p struct {
			Status string `json:"status"`
			Total  int64  `json:"total"`
		}
		_, body := b.get("/admin/issues/2022-05/progress.json")
		if err := json.Unmarshal([]byte(body), &p); err != nil || p.Total != 7 || p.Status != newsletter.IssueCancelled {
			t.Fatalf("progress %+v, %v: want 7 deliveries, cancelled", p, err)
		}
		_, body = b.get("/admin/issues/2022-05?status=queued")
		if strings.Count(body, `<span class="badge queued">`) != 7 {
			t.Fatal("the deliveries table does not list the 7 queued deliveries")
		}
		_, body = b.get("/admin/issues/2022-05?status=sent")
		if strings.Contains(body, `<span class="badge queued">`) || !strings.Contains(body, "No delivery is sent.") {
			t.Fatal("the status filter does not filter")
		}
		records, err := e.st.IssueTransitions(ctx, 1)
		if err != nil || len(records) == 0 || records[len(records)-1].Actor != "console:ops@example.org" {
			t.Fatalf("transitions %+v, %v: want the console user as actor", records, err)
		}
		if !e.hasAudit("user:ops@example.org", "issue.approve") || !e.hasAudit("user:ops@example.org", "issue.cancel") {
			t.Fatal("issue actions are not in the audit log")
		}
	})
}

func TestDashboard(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.subscribers(5)
	e.exec(`UPDATE subscribers SET status = 'bounced' WHERE id = 1`)
	e.mayItems()
	if _, _, err := e.svc.Create(context.Background(), may2022(), issues.CreateOptions{Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	e.exec(`INSERT INTO bounces (issue_id, subscriber_id, type, channel, event_key) VALUES
		(1, 2, 'hard', 'smtp', 'a'), (1, 3, 'soft', 'smtp', 'b'), (1, 3, 'soft', 'smtp', 'c'), (1, 4, 'complaint', 'ses', 'd')`)
	b := e.loggedIn("staff@example.org", newsletter.RoleStaff)
	code, body := b.get("/admin/")
	for _, want := range []string{"Issue 2022-05 awaits approval.", `<td class="num">4</td>`, "5 addresses in all", `class="chart"`,
		// 2022-05: sent 0, failed 0, bounced 2 (two subscribers), complaints 1
		`<td class="num">0</td>
<td class="num">0</td>
<td class="num">2</td>
<td class="num hide-narrow">1</td>`} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard (status %d) lacks %q", code, want)
		}
	}
}

func TestIssueCreate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	e.mayItems()
	b := e.loggedIn("ops@example.org", newsletter.RoleOps)
	next := newsletter.PeriodOf(e.clock().In(e.loc), e.loc).String()
	for _, tc := range []struct {
		name, period string
		code         int
		want         string
	}{
		{"not a month", "2022-13", http.StatusUnprocessableEntity, "Give the month as YYYY-MM"},
		{"month not ended", next, http.StatusUnprocessableEntity, "has not ended yet"},
		{"made", "2022-05", http.StatusSeeOther, "was made as a draft"},
		{"made again", "2022-05", http.StatusSeeOther, "exists already"},
		{"quiet month", "2022-03", http.StatusSeeOther, "was skipped"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body, h := b.post("/admin/issues", url.Values{"period": {tc.period}})
			if code == http.StatusSeeOther {
				body, _ = url.QueryUnescape(h.Get("Location"))
			}
			if code != tc.code || !strings.Contains(body, tc.want) {
				t.Fatalf("status %d, want %d with %q:\n%s", code, tc.code, tc.want, body)
			}
		})
	}
	is, err := e.st.IssueByPeriod(ctx, may2022())
	if err != nil || is.Status != newsletter.IssueDraft || len(is.ItemIDs) != 3 {
		t.Fatalf("issue %+v, %v: want a draft of the 3 items", is, err)
	}
	if _, err := e.st.IssueByPeriod(ctx, newsletter.Period{Year: 2022, Month: 3}); err != nil {
		t.Fatal(err)
	}
	if !e.hasAudit("user:ops@example.org", "issue.create") {
		t.Fatal("the create is not in the audit log")
	}
}

// An issue sent with failed deliveries is never shown as plainly sent: the
// dashboard, the issue list and the issue page say how many failed.
func TestSentIssueWithFailuresSaysSo(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.subscribers(5)
	e.mayItems()
	if _, _, err := e.svc.Create(context.Background(), may2022(), issues.CreateOptions{Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	e.exec(`UPDATE issues SET status = 'sent', approved_at = now(), started_at = now(), sent_at = now()`)
	e.exec(`INSERT INTO deliveries (issue_id, subscriber_id, status, sent_at)
		SELECT 1, id, CASE WHEN id <= 2 THEN 'failed' ELSE 'sent' END, now() FROM subscribers`)
	b := e.loggedIn("staff@example.org", newsletter.RoleStaff)
	for _, page := range []string{"/admin/", "/admin/issues", "/admin/issues/2022-05"} {
		code, body := b.get(page)
		// The issue's badge, not the deliveries' (which are plainly sent).
		plain := strings.Contains(body, `data-status="sent">sent<`) ||
			strings.Contains(body, "<span class=\"badge sent\">sent</span></td>\n<td class=\"hide-narrow\">")
		if code != http.StatusOK || !strings.Contains(body, ">sent, 2 failed</span>") || plain {
			t.Errorf("%s (status %d) does not say the issue was sent with 2 failed deliveries:\n%s", page, code, body)
		}
	}
}

// TestIssuePageShowsTheReceipt: the issue page shows the newest compliance
// receipt, each rule with its result, its text as data.
func TestIssuePageShowsTheReceipt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	e.mayItems()
	is, _, err := e.svc.Create(ctx, may2022(), issues.CreateOptions{Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	b := e.loggedIn("ops@example.org", newsletter.RoleOps)
	if _, body := b.get("/admin/issues/2022-05"); !strings.Contains(body, "Not checked yet") {
		t.Fatal("an unchecked issue's page does not say so")
	}
	rec := compliance.Receipt{Period: "2022-05", IssueID: is.ID, At: time.Now(), Actor: "cli:ops", Items: []compliance.Item{
		{Name: "List-Unsubscribe one-click", OK: true, Blocking: true, Detail: "https link and List-Unsubscribe-Post"},
		{Name: "DMARC", OK: false, Blocking: true, Detail: `no record at _dmarc.example.org <script>alert(1)</script>`},
	}}
	raw, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.SaveIssueCheck(ctx, store.IssueCheck{IssueID: is.ID, Passed: false, Actor: rec.Actor, Receipt: raw}); err != nil {
		t.Fatal(err)
	}
	_, body := b.get("/admin/issues/2022-05")
	for _, want := range []string{`id="receipt-verdict"`, "the send is held until it passes", "DMARC", `<span class="badge error">fail</span>`,
		"&lt;script&gt;alert(1)&lt;/script&gt;", `<span class="badge ok">ok</span>`} {
		if !strings.Contains(body, want) {
			t.Errorf("issue page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>alert(1)") {
		t.Error("the receipt's text reached the page as markup")
	}
}
