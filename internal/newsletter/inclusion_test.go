package newsletter

import (
	"strings"
	"testing"
	"time"
)

func TestSelect(t *testing.T) {
	geneva, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	item := func(id int64, url, status, published string) Item {
		return Item{ID: id, Title: "T", URL: url, Status: status, PublishedAt: at(published)}
	}
	// Newest first, as the store gives them.
	candidates := []Item{
		item(1, "https://example.org/next", ItemPublished, "2026-11-30T23:30:00Z"),   // 00:30 on 1 Dec in Geneva
		item(2, "https://example.org/a", ItemPublished, "2026-11-30T22:30:00Z"),      // 23:30 on 30 Nov
		item(3, "https://EXAMPLE.org/a/#top", ItemPublished, "2026-11-20T10:00:00Z"), // the same link as 2
		item(4, "https://example.org/b", ItemHidden, "2026-11-15T10:00:00Z"),
		item(5, "https://example.org/c", ItemDraft, "2026-11-14T10:00:00Z"),
		item(6, "https://example.org/d", ItemPublished, "2026-11-10T10:00:00Z"),
		item(7, "https://example.org/e", ItemPublished, "2026-11-05T10:00:00Z"),      // over max_items
		item(8, "https://example.org/first", ItemPublished, "2026-10-31T23:30:00Z"),  // 00:30 on 1 Nov
		item(9, "https://example.org/before", ItemPublished, "2026-10-31T22:59:59Z"), // 23:59:59 on 31 Oct
	}
	chosen, rep := Select(Period{Year: 2026, Month: time.November}, geneva, candidates, 3)
	var ids []int64
	for _, it := range chosen {
		ids = append(ids, it.ID)
	}
	if len(ids) != 3 || ids[0] != 2 || ids[1] != 6 || ids[2] != 7 {
		t.Fatalf("chosen %v, want [2 6 7]", ids)
	}
	want := map[int64]string{
		1: "outside the month: published 2026-12-01 00:30 CET, in 2026-12",
		2: "published 2026-11-30 23:30 CET, in the month",
		3: "duplicate URL: item 2 has the same link",
		4: "hidden by staff",
		5: "a draft, not published",
		6: "published 2026-11-10 11:00 CET, in the month",
		7: "published 2026-11-05 11:00 CET, in the month",
		8: "over content.max_items (3): the 3 newest are in",
		9: "outside the month: published 2026-10-31 23:59 CET, in 2026-10",
	}
	if len(rep.Items) != len(candidates) || rep.Included != 3 || rep.Zone != "Europe/Zurich" {
		t.Fatalf("report: %d items, %d in, zone %s", len(rep.Items), rep.Included, rep.Zone)
	}
	for _, d := range rep.Items {
		if d.Reason != want[d.ID] {
			t.Errorf("item %d: %q, want %q", d.ID, d.Reason, want[d.ID])
		}
		if d.In != strings.HasPrefix(d.Reason, "published") {
			t.Errorf("item %d: in=%v with reason %q", d.ID, d.In, d.Reason)
		}
	}
}

func TestQuietMonth(t *testing.T) {
	for _, tc := range []struct {
		name             string
		n, min           int
		sendQuiet, force bool
		skip             bool
		reason           string
	}{
		{"empty", 0, 1, true, true, true, "no published items"},
		{"quiet", 2, 3, false, false, true, "quiet month: 2 published items, content.min_items is 3"},
		{"quiet, sent by policy", 2, 3, true, false, false, "made anyway"},
		{"quiet, forced", 2, 3, false, true, false, "made anyway"},
		{"enough", 3, 3, false, false, false, "3 items"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			skip, reason := QuietMonth(tc.n, tc.min, tc.sendQuiet, tc.force)
			if skip != tc.skip || !strings.Contains(reason, tc.reason) {
				t.Fatalf("QuietMonth = %v %q, want %v with %q", skip, reason, tc.skip, tc.reason)
			}
		})
	}
}
