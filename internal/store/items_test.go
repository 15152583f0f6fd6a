package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/pgtest"
	"github.com/enews/enews/internal/store"
)

func item(id string, at time.Time) newsletter.Item {
	return newsletter.Item{Kind: "News", Title: "Title " + id, Summary: "Summary " + id, URL: "https://example.org/" + id,
		PublishedAt: at, Status: newsletter.ItemPublished, Source: "test", ExternalID: id}
}

func TestUpsertItems(t *testing.T) {
	t.Parallel()
	st := pgtest.New(t)
	ctx := context.Background()
	at := time.Date(2022, 5, 17, 8, 0, 0, 0, time.UTC)
	batch := []newsletter.Item{item("a", at), item("b", at)}

	res, err := st.UpsertItems(ctx, batch)
	if err != nil || res != (store.UpsertResult{New: 2}) {
		t.Fatalf("first import: %+v, %v", res, err)
	}
	res, err = st.UpsertItems(ctx, batch)
	if err != nil || res != (store.UpsertResult{Unchanged: 2}) {
		t.Fatalf("second import: %+v, %v", res, err)
	}
	batch[1].Title = "Changed"
	res, err = st.UpsertItems(ctx, batch)
	if err != nil || res != (store.UpsertResult{Updated: 1, Unchanged: 1}) {
		t.Fatalf("changed import: %+v, %v", res, err)
	}
	items, err := st.ListItems(ctx, store.ItemFilter{})
	if err != nil || len(items) != 2 {
		t.Fatalf("list: %d items, %v", len(items), err)
	}

	t.Run("a bad item stores nothing of its batch", func(t *testing.T) {
		bad := item("c", at)
		bad.URL = "javascript:alert(1)"
		_, err := st.UpsertItems(ctx, []newsletter.Item{item("d", at), bad})
		if !errors.Is(err, newsletter.ErrInvalid) {
			t.Fatalf("err = %v, want ErrInvalid", err)
		}
		items, _ := st.ListItems(ctx, store.ItemFilter{})
		if len(items) != 2 {
			t.Fatalf("%d items after failed batch, want 2", len(items))
		}
	})
}

func TestSelectGenevaBoundaries(t *testing.T) {
	t.Parallel()
	st := pgtest.New(t)
	ctx := context.Background()
	geneva, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		t.Fatal(err)
	}
	hidden := item("hidden", time.Date(2022, 5, 10, 12, 0, 0, 0, time.UTC))
	hidden.Status = newsletter.ItemHidden
	batch := []newsletter.Item{
		item("apr30-2330utc", time.Date(2022, 4, 30, 23, 30, 0, 0, time.UTC)), // 01:30 on 1 May in Geneva
		item("apr30-2130utc", time.Date(2022, 4, 30, 21, 30, 0, 0, time.UTC)), // 23:30 on 30 April in Geneva
		item("may31-2130utc", time.Date(2022, 5, 31, 21, 30, 0, 0, time.UTC)), // 23:30 on 31 May in Geneva
		item("may31-2330utc", time.Date(2022, 5, 31, 23, 30, 0, 0, time.UTC)), // 01:30 on 1 June in Geneva
		item("may-midnight", time.Date(2022, 5, 1, 0, 0, 0, 0, geneva)),       // inclusive start
		item("june-midnight", time.Date(2022, 6, 1, 0, 0, 0, 0, geneva)),      // exclusive end
		hidden,
	}
	if _, err := st.UpsertItems(ctx, batch); err != nil {
		t.Fatal(err)
	}
	may := newsletter.Period{Year: 2022, Month: time.May}
	start, end := may.Bounds(geneva)
	candidates, err := st.ItemsPublishedBetween(ctx, start.Add(-newsletter.CandidateWindow), end.Add(newsletter.CandidateWindow))
	if err != nil {
		t.Fatal(err)
	}
	got, report := newsletter.Select(may, geneva, candidates, 0)
	var ids []string
	for _, it := range got {
		ids = append(ids, it.ExternalID)
	}
	want := []string{"may31-2130utc", "apr30-2330utc", "may-midnight"} // newest first
	if strings.Join(ids, " ") != strings.Join(want, " ") {
		t.Fatalf("May in Geneva = %v, want %v", ids, want)
	}
	// The report names every candidate, the near misses with their local time.
	reasons := map[string]string{}
	for _, d := range report.Items {
		reasons[d.Title] = fmt.Sprint(d.In, " ", d.Reason)
	}
	for title, reason := range map[string]string{
		"Title apr30-2130utc": "false outside the month: published 2022-04-30 23:30 CEST, in 2022-04",
		"Title may31-2330utc": "false outside the month: published 2022-06-01 01:30 CEST, in 2022-06",
		"Title june-midnight": "false outside the month: published 2022-06-01 00:00 CEST, in 2022-06",
		"Title may-midnight":  "true published 2022-05-01 00:00 CEST, in the month",
		"Title apr30-2330utc": "true published 2022-05-01 01:30 CEST, in the month",
		"Title hidden":        "false hidden by staff",
	} {
		if reasons[title] != reason {
			t.Errorf("%s: %q, want %q", title, reasons[title], reason)
		}
	}
	if len(report.Items) != len(batch) || report.Included != 3 {
		t.Fatalf("report on %d items with %d in, want all %d considered and 3 in", len(report.Items), report.Included, len(batch))
	}
}

// TestStaffOverridesSurviveImports: a staff edit or hide stays through later
// imports of the same entry; what the source says is kept aside; fields
// staff did not touch still follow the source.
func TestStaffOverridesSurviveImports(t *testing.T) {
	t.Parallel()
	st := pgtest.New(t)
	ctx := context.Background()
	feed := item("entry-1", time.Date(2022, 5, 10, 12, 0, 0, 0, time.UTC))
	feed.Source = "https://example.org/feed.xml"
	if _, err := st.UpsertItems(ctx, []newsletter.Item{feed}); err != nil {
		t.Fatal(err)
	}
	list, err := st.ListItems(ctx, store.ItemFilter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("items: %v %v", list, err)
	}
	id := list[0].ID
	edited, err := st.EditItem(ctx, id, newsletter.Item{Title: "Staff title"}, []string{"title"})
	if err != nil || edited.Title != "Staff title" || edited.SourceValues["title"] != "Title entry-1" {
		t.Fatalf("edit: %+v %v", edited, err)
	}
	if _, err := st.EditItem(ctx, id, newsletter.Item{Status: newsletter.ItemHidden}, []string{"status"}); err != nil {
		t.Fatal(err)
	}

	// The source changes the title and the summary, and still says published.
	feed.Title, feed.Summary = "Feed title v2", "Summary v2"
	res, err := st.UpsertItems(ctx, []newsletter.Item{feed})
	if err != nil || res.Updated != 1 {
		t.Fatalf("re-import: %+v %v", res, err)
	}
	got, err := st.ItemByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "Staff title" || got.Status != newsletter.ItemHidden || got.Summary != "Summary v2" ||
		got.SourceValues["title"] != "Feed title v2" || got.SourceValues["status"] != newsletter.ItemPublished ||
		strings.Join(got.Overridden, ",") != "title,status" {
		t.Fatalf("after the re-import: %+v", got)
	}
	// The same import again changes nothing.
	if res, err := st.UpsertItems(ctx, []newsletter.Item{feed}); err != nil || res.Unchanged != 1 {
		t.Fatalf("the same import again: %+v %v", res, err)
	}
	// Unhide: published, and still the staff's say.
	if got, err = st.EditItem(ctx, id, newsletter.Item{Status: newsletter.ItemPublished}, []string{"status"}); err != nil || got.Status != newsletter.ItemPublished {
		t.Fatalf("unhide: %+v %v", got, err)
	}
	if _, err := st.EditItem(ctx, id, newsletter.Item{}, []string{"source"}); !errors.Is(err, newsletter.ErrInvalid) {
		t.Fatalf("an edit of a field that is not one: %v", err)
	}
	if _, err := st.ItemByID(ctx, id+1000); !errors.Is(err, newsletter.ErrNotFound) {
		t.Fatalf("an unknown item: %v", err)
	}
}
