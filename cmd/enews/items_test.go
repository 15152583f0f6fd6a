package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStaffEditsSurviveReimports: items edit, hide and show with the real
// binary; a re-import of a changed feed keeps the staff's title and says
// what the source now says; the draft shows the edit and not the hidden item.
func TestStaffEditsSurviveReimports(t *testing.T) {
	e := newE2E(t, 1)
	id := func(title string) string {
		var n int64
		if err := e.db.QueryRow(`SELECT id FROM items WHERE title = $1`, title).Scan(&n); err != nil {
			t.Fatalf("item %q: %v", title, err)
		}
		return fmt.Sprint(n)
	}
	faces := id("Faces of Recovery: Cooperating for a better future")
	refs := id("Select References - Decent Work & Social and Solidarity Economy")

	out := e.ok("items", "edit", faces, "--title", "Faces of Recovery, edited <i>by staff</i>")
	if !strings.Contains(out, "title:         Faces of Recovery, edited by staff") || !strings.Contains(out, "staff overrides: title") {
		t.Fatalf("items edit said:\n%s", out)
	}
	if out := e.fails("items", "edit", faces, "--url", "javascript:alert(1)"); !strings.Contains(out, "not changed") {
		t.Fatalf("a bad URL said:\n%s", out)
	}
	if out := e.fails("items", "edit", "99999", "--title", "x"); !strings.Contains(out, "item 99999") {
		t.Fatalf("an unknown item said:\n%s", out)
	}
	if out := e.fails("items", "edit", faces); !strings.Contains(out, "at least one field") {
		t.Fatalf("an edit of nothing said:\n%s", out)
	}
	e.ok("items", "hide", refs)

	// The feed changes the edited entry's title; the import keeps the staff's.
	raw, err := os.ReadFile("../../configs/sample/items.json")
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(raw), "Faces of Recovery: Cooperating for a better future", "Faces of Recovery (feed update)", 1)
	file := filepath.Join(t.TempDir(), "items.json")
	if err := os.WriteFile(file, []byte(changed), 0o600); err != nil {
		t.Fatal(err)
	}
	e.ok("items", "import", "../../configs/sample/items.json")
	show := e.ok("items", "show", faces)
	if !strings.Contains(show, "Faces of Recovery, edited by staff") ||
		!strings.Contains(show, "the source says title: Faces of Recovery: Cooperating for a better future (not applied)") {
		t.Fatalf("after re-importing the same file:\n%s", show)
	}
	// The changed file stands for the same feed: its entries are the same.
	if _, err := e.db.Exec(`UPDATE items SET source = $1 WHERE source = $2`, filepath.Clean(file), filepath.Clean("../../configs/sample/items.json")); err != nil {
		t.Fatal(err)
	}
	if out := e.ok("items", "import", file); !strings.Contains(out, "1 updated") {
		t.Fatalf("the changed feed's import said:\n%s", out)
	}
	show = e.ok("items", "show", faces)
	if !strings.Contains(show, "title:         Faces of Recovery, edited by staff") ||
		!strings.Contains(show, "the source says title: Faces of Recovery (feed update) (not applied)") {
		t.Fatalf("after the feed changed the title:\n%s", show)
	}
	e.ok("issue", "create", "--period", "2022-05")
	preview := e.preview(t)
	if !strings.Contains(preview, "Faces of Recovery, edited by staff") || strings.Contains(preview, "Select References") {
		t.Fatalf("the draft does not show the edit, or shows the hidden item:\n%s", preview)
	}
	if status := e.ok("items", "show", refs); !strings.Contains(status, "status:        hidden") {
		t.Fatalf("the hidden item:\n%s", status)
	}
}
