package content

import (
	"testing"
	"time"

	"github.com/enews/enews/internal/newsletter"
)

// The sample file holds the ILO cooperatives news page behind the May 2022
// issue; the digest and demo build on it, so it must keep loading whole.
func TestSampleItems(t *testing.T) {
	b := load(t, "../../configs/sample/items.json", Options{})
	if len(b.Rejected) != 0 {
		t.Errorf("rejected %+v, want none", b.Rejected)
	}
	if len(b.Items) != 10 {
		t.Fatalf("got %d items, want 10", len(b.Items))
	}
	zurich, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		t.Fatal(err)
	}
	may := newsletter.Period{Year: 2022, Month: time.May}
	inMay, ids, urls := 0, map[string]bool{}, map[string]bool{}
	kinds := map[string]int{}
	for _, it := range b.Items {
		if newsletter.PeriodOf(it.PublishedAt, zurich) == may {
			inMay++
		}
		if local := it.PublishedAt.In(zurich); local.Hour() != 10 || local.Minute() != 0 {
			t.Errorf("%q published %s, want 10:00 in Zurich", it.Title, local)
		}
		ids[it.ExternalID], urls[it.URL] = true, true
		kinds[it.Kind]++
	}
	if inMay != 8 {
		t.Errorf("%d items in May 2022, want 8", inMay)
	}
	if len(ids) != 10 || len(urls) != 10 {
		t.Errorf("%d external ids and %d urls, want 10 distinct of each", len(ids), len(urls))
	}
	if kinds["News"] != 9 || kinds["Spotlight Interview"] != 1 {
		t.Errorf("kinds = %v, want 9 News and 1 Spotlight Interview", kinds)
	}
	malaysia := b.Items[9]
	if malaysia.Title != "Malaysia launches new social entrepreneurship development framework" ||
		malaysia.ImageCredit != "© Jan Hjelmtveit 2022" || malaysia.ImageURL == "" || malaysia.ImageAlt == "" {
		t.Errorf("Malaysia item = %+v, want its title, picture, alt text and credit", malaysia)
	}
	if got := b.Items[6].Title; got != "Select References - Decent Work & Social and Solidarity Economy" {
		t.Errorf("item 7 title = %q: the ampersand must survive as text", got)
	}
	if b.Items[0].Summary != "" || b.Items[6].Summary != "" {
		t.Errorf("items 1 and 7 have no summary in the source, got %q and %q", b.Items[0].Summary, b.Items[6].Summary)
	}
}
