package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
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

// TestHideAndPublishAnItem: staff hide a feed item and publish it again
// from the items page; ops, who only read items, cannot.
func TestHideAndPublishAnItem(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	e.mayItems()
	items, err := e.st.ListItems(ctx, store.ItemFilter{})
	if err != nil || len(items) == 0 {
		t.Fatalf("items: %v %v", items, err)
	}
	id := items[0].ID
	path := "/admin/items/" + strconv.FormatInt(id, 10)
	ops := e.loggedIn("ops@example.org", newsletter.RoleOps)
	if code, _, _ := ops.post(path+"/hide", nil); code != http.StatusForbidden {
		t.Fatalf("ops hiding an item: %d, want 403", code)
	}
	staff := e.loggedIn("staff@example.org", newsletter.RoleStaff)
	if _, body := staff.get("/admin/items?period=2022-05"); !strings.Contains(body, `action="`+path+`/hide"`) {
		t.Fatal("the items page offers staff no hide button")
	}
	code, _, h := staff.post(path+"/hide", nil)
	if code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "period=2022-05") {
		t.Fatalf("hide: %d %s", code, h.Get("Location"))
	}
	it, err := e.st.ItemByID(ctx, id)
	if err != nil || it.Status != newsletter.ItemHidden || len(it.Overridden) != 1 {
		t.Fatalf("after hiding: %+v %v", it, err)
	}
	if _, body := staff.get("/admin/items?period=2022-05"); !strings.Contains(body, `action="`+path+`/unhide"`) || !strings.Contains(body, "(by staff)") {
		t.Fatal("a hidden item's row offers no way back or does not say staff set it")
	}
	if code, _, _ := staff.post(path+"/unhide", nil); code != http.StatusSeeOther {
		t.Fatalf("unhide: %d", code)
	}
	if it, _ := e.st.ItemByID(ctx, id); it.Status != newsletter.ItemPublished || !e.hasAudit("user:staff@example.org", "item.unhide") {
		t.Fatalf("after publishing again: %+v", it)
	}
	if code, _, _ := staff.post("/admin/items/999999/hide", nil); code != http.StatusNotFound {
		t.Fatalf("an unknown item: %d, want 404", code)
	}
}

// TestEditAnItem: staff edit an item's fields on its page; the change is
// cleaned, recorded as theirs, and a bad value changes nothing.
func TestEditAnItem(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	e.mayItems()
	items, err := e.st.ListItems(ctx, store.ItemFilter{})
	if err != nil || len(items) == 0 {
		t.Fatalf("items: %v %v", items, err)
	}
	cur := items[0]
	path := "/admin/items/" + strconv.FormatInt(cur.ID, 10)
	form := func(title, link string) url.Values {
		return url.Values{"title": {title}, "url": {link}, "summary": {cur.Summary}, "kind": {cur.Kind},
			"published": {cur.PublishedAt.In(e.loc).Format("2006-01-02")}, "image_url": {cur.ImageURL},
			"image_alt": {cur.ImageAlt}, "image_credit": {cur.ImageCredit}}
	}
	ops := e.loggedIn("ops@example.org", newsletter.RoleOps)
	if code, body := ops.get(path); code != http.StatusOK || strings.Contains(body, `action="`+path+`"`) {
		t.Fatalf("ops see the item (%d) but get no form", code)
	}
	if code, _, _ := ops.post(path, form("By ops", cur.URL)); code != http.StatusForbidden {
		t.Fatalf("ops editing: %d, want 403", code)
	}
	staff := e.loggedIn("staff@example.org", newsletter.RoleStaff)
	code, body, _ := staff.post(path, form("Edited <b>by</b> staff", "javascript:alert(1)"))
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "Nothing was changed") {
		t.Fatalf("a bad link: %d", code)
	}
	if it, _ := e.st.ItemByID(ctx, cur.ID); it.Title != cur.Title {
		t.Fatal("a refused edit changed the title")
	}
	code, _, h := staff.post(path, form("Edited <b>by</b> staff", cur.URL))
	if loc, _ := url.QueryUnescape(h.Get("Location")); code != http.StatusSeeOther || !strings.Contains(loc, "Saved: title") {
		t.Fatalf("edit: %d %s", code, loc)
	}
	it, err := e.st.ItemByID(ctx, cur.ID)
	if err != nil || it.Title != "Edited by staff" || strings.Join(it.Overridden, ",") != "title" {
		t.Fatalf("after the edit: %+v %v", it, err)
	}
	if _, body := staff.get(path); !strings.Contains(body, "The source now says title: “"+cur.Title+"”") {
		t.Fatal("the page does not say what the source says of the title")
	}
	if !e.hasAudit("user:staff@example.org", "item.edit") {
		t.Fatal("the edit is not in the audit log")
	}
}
