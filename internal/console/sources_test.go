package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/enews/enews/internal/newsletter"
)

func TestSourcesPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff := e.loggedIn("staff@example.org", newsletter.RoleStaff)
	for _, tc := range []struct {
		name string
		form url.Values
		code int
		want string
	}{
		{"no name", url.Values{"url": {"https://example.org/a.xml"}}, http.StatusUnprocessableEntity, "the source name must be"},
		{"not a URL", url.Values{"name": {"A"}, "url": {"ftp://example.org/a.xml"}}, http.StatusUnprocessableEntity, "http or https URL"},
		{"added", url.Values{"name": {"ILO news"}, "url": {"https://www.ilo.org/feed.xml"}, "kind": {"News"}}, http.StatusSeeOther, ""},
		{"taken", url.Values{"name": {"ILO news"}, "url": {"https://www.ilo.org/feed.xml"}}, http.StatusConflict, "exists already"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body, _ := staff.post("/admin/sources", tc.form)
			if code != tc.code || !strings.Contains(body, tc.want) {
				t.Fatalf("status %d, want %d with %q", code, tc.code, tc.want)
			}
		})
	}
	// The poller fetched it three times: once fine, then twice failing.
	e.exec(`INSERT INTO source_fetches (source_id, http_status, outcome, new_items, error) VALUES
		(1, 200, 'fetched', 7, ''), (1, 503, 'failed', 0, 'HTTP 503'), (1, 0, 'failed', 0, 'dial tcp: <refused>')`)
	e.exec(`UPDATE sources SET failures = 2, last_error = 'dial tcp: <refused>', failing_since = now(), last_success_at = now() WHERE id = 1`)
	code, body := staff.get("/admin/sources/1")
	if code != http.StatusOK || strings.Count(body, `<span class="badge error">failed</span>`) != 2 || !strings.Contains(body, "dial tcp: &lt;refused&gt;") ||
		!strings.Contains(body, `<td class="num">7</td>`) {
		t.Fatalf("source page (status %d) does not show its fetch history", code)
	}
	_, body = staff.get("/admin/")
	if !strings.Contains(body, "Source ILO news is failing (2 fetches in a row)") || !strings.Contains(body, "1 failing") {
		t.Fatal("the dashboard does not say the source is failing")
	}
	if code, _, _ := staff.post("/admin/sources/1/disable", nil); code != http.StatusSeeOther {
		t.Fatalf("disable: %d", code)
	}
	_, body = staff.get("/admin/sources")
	if !strings.Contains(body, `<span class="badge disabled">disabled</span>`) {
		t.Fatal("the source is not shown disabled")
	}
	if code, _, _ := staff.post("/admin/sources/1/explode", nil); code != http.StatusNotFound {
		t.Fatalf("unknown action: %d", code)
	}
	if code, _ := staff.get("/admin/sources/99"); code != http.StatusNotFound {
		t.Fatalf("unknown source: %d", code)
	}
	if !e.hasAudit("user:staff@example.org", "source.add") || !e.hasAudit("user:staff@example.org", "source.disable") {
		t.Fatal("source changes are not in the audit log")
	}
}
