package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/store"
)

func TestItemsPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mayItems()
	staff := e.loggedIn("staff@example.org", newsletter.RoleStaff)
	code, body := staff.get("/admin/items?period=2022-05")
	if code != http.StatusOK || strings.Count(body, "Cooperatives item") != 3 || !strings.Contains(body, `href="/admin/items?period=2022-04"`) {
		t.Fatalf("items of May 2022 (status %d) do not list the 3 items with a link to April", code)
	}
	if _, body := staff.get("/admin/items?period=2022-06"); !strings.Contains(body, "No item was published in 2022-06") {
		t.Fatal("an empty month does not say so")
	}
	form := func(title, link, published, status string) url.Values {
		return url.Values{"title": {title}, "url": {link}, "published": {published}, "status": {status}, "summary": {"<b>Bold</b> text"}, "period": {"2022-05"}}
	}
	for _, tc := range []struct {
		name string
		form url.Values
		code int
		want string
	}{
		{"bad link", form("A", "javascript:alert(1)", "2022-05-20", "published"), http.StatusUnprocessableEntity, "No item was added"},
		{"bad date", form("A", "https://example.org/a", "2022-05-40", "published"), http.StatusUnprocessableEntity, "No item was added"},
		{"bad status", form("A", "https://example.org/a", "2022-05-20", "hidden"), http.StatusUnprocessableEntity, "published or draft"},
		{"no title", form("", "https://example.org/a", "2022-05-20", "published"), http.StatusUnprocessableEntity, "No item was added"},
		{"added", form("By hand", "https://example.org/hand", "2022-05-20", "published"), http.StatusSeeOther, "Added"},
		{"same link updates", form("By hand, again", "https://example.org/hand", "2022-05-21", "draft"), http.StatusSeeOther, "Updated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body, h := staff.post("/admin/items", tc.form)
			if code == http.StatusSeeOther {
				body, _ = url.QueryUnescape(h.Get("Location"))
			}
			if code != tc.code || !strings.Contains(body, tc.want) {
				t.Fatalf("status %d, want %d with %q:\n%.300s", code, tc.code, tc.want, body)
			}
		})
	}
	items, err := e.st.ListItems(context.Background(), store.ItemFilter{Status: newsletter.ItemDraft})
	if err != nil || len(items) != 1 || items[0].Title != "By hand, again" || items[0].Source != "manual" || items[0].Summary != "Bold text" {
		t.Fatalf("the manual item: %+v, %v", items, err)
	}
	if !e.hasAudit("user:staff@example.org", "item.add") {
		t.Fatal("the item is not in the audit log")
	}
}
