package content

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/enews/enews/internal/newsletter"
)

// testNow is after every fixture date, so the future-date check stays quiet.
func testNow() time.Time { return time.Date(2022, 6, 1, 9, 0, 0, 0, time.UTC) }

func load(t *testing.T, source string, opts Options) Batch {
	t.Helper()
	if opts.Now == nil {
		opts.Now = testNow
	}
	b, err := Load(context.Background(), source, opts)
	if err != nil {
		t.Fatalf("Load(%s): %v", source, err)
	}
	return b
}

func TestLoadFeedFormats(t *testing.T) {
	tests := []struct {
		file string
		want []newsletter.Item
	}{
		{"testdata/rss.xml", []newsletter.Item{{
			Kind:        "Statement",
			Title:       "Materials on “Decent Work & the SSE” now available",
			Summary:     "Research & tools for the social and solidarity economy.",
			URL:         "https://news.example.org/coop/sse-materials",
			ImageURL:    "https://news.example.org/img/sse.jpg",
			PublishedAt: time.Date(2022, 5, 26, 8, 0, 0, 0, time.UTC), // 17:00 +09:00
			ExternalID:  "urn:example:coop:1",
		}, {
			// Relative link resolved against the channel link, summary
			// from content:encoded, audio enclosure is no picture.
			Kind:        "News",
			Title:       "Spotlight interview",
			Summary:     "Only content here.",
			URL:         "https://news.example.org/coop/spotlight",
			PublishedAt: time.Date(2022, 5, 18, 8, 0, 0, 0, time.UTC),
			ExternalID:  "https://news.example.org/coop/spotlight",
		}}},
		{"testdata/atom.xml", []newsletter.Item{{
			Kind:        "News",
			Title:       "UNTFSSE held its 39th meeting",
			Summary:     "The 39th meeting was held virtually on 11 May 2022.",
			URL:         "https://news.example.org/coop/untfsse-39",
			ImageURL:    "https://news.example.org/img/untfsse.png",
			PublishedAt: time.Date(2022, 5, 17, 0, 30, 0, 0, time.UTC), // 09:30 +09:00
			ExternalID:  "tag:news.example.org,2022:untfsse-39",
		}, {
			// No published date: the updated date stands in.
			Kind:        "News",
			Title:       "Catalysing Change Week 2022",
			Summary:     "An international event.",
			URL:         "https://news.example.org/coop/ccw-2022",
			PublishedAt: time.Date(2022, 5, 10, 11, 0, 0, 0, time.UTC),
			ExternalID:  "tag:news.example.org,2022:ccw",
		}}},
		{"testdata/feed.json", []newsletter.Item{{
			Kind:        "Story",
			Title:       "Faces of Recovery: Cooperating for a better future",
			Summary:     `A story from the "Faces of Recovery" series.`,
			URL:         "https://news.example.org/coop/faces-of-recovery",
			ImageURL:    "https://news.example.org/img/haiti.jpg",
			PublishedAt: time.Date(2022, 5, 3, 8, 0, 0, 0, time.UTC),
			ExternalID:  "faces-of-recovery",
		}, {
			Kind:        "News",
			Title:       "Select References - Decent Work & SSE",
			Summary:     "One Two",
			URL:         "https://news.example.org/coop/select-references",
			PublishedAt: time.Date(2022, 5, 4, 8, 0, 0, 0, time.UTC),
			ExternalID:  "select-references",
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b := load(t, tt.file, Options{})
			if len(b.Rejected) != 0 {
				t.Errorf("rejected %+v, want none", b.Rejected)
			}
			if b.Source != tt.file {
				t.Errorf("Source = %q, want %q", b.Source, tt.file)
			}
			if len(b.Items) != len(tt.want) {
				t.Fatalf("got %d items, want %d: %+v", len(b.Items), len(tt.want), b.Items)
			}
			for i, want := range tt.want {
				want.Status = newsletter.ItemPublished
				want.Source = tt.file
				got := b.Items[i]
				if !got.PublishedAt.Equal(want.PublishedAt) {
					t.Errorf("item %d PublishedAt = %s, want %s", i, got.PublishedAt, want.PublishedAt)
				}
				got.PublishedAt, want.PublishedAt = time.Time{}, time.Time{}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("item %d\n got  %+v\n want %+v", i, got, want)
				}
			}
		})
	}
}

func TestLoadFeedRejectsBrokenEntries(t *testing.T) {
	b := load(t, "testdata/broken-entry.xml", Options{})
	var titles []string
	for _, it := range b.Items {
		titles = append(titles, it.Title)
	}
	if got := strings.Join(titles, "|"); got != "Good one|Good two" {
		t.Errorf("items = %q, want the two good ones", got)
	}
	want := []Rejection{
		{"entry 2 (guid urn:example:no-link)", "no link"},
		{"entry 3 (guid urn:example:script-link)", `link "javascript:alert(1)" is not an http(s) URL`},
		{"entry 4 (guid urn:example:bad-date)", `unparsable date "the seventeenth of May"`},
		{"entry 5 (guid urn:example:no-date)", "no date (neither published nor updated)"},
		{"entry 6 (link https://news.example.org/coop/untitled)", "no title"},
		{"entry 7 (guid urn:example:good-1)", "same external id as entry 1 (guid urn:example:good-1)"},
	}
	if len(b.Rejected) != len(want) {
		t.Fatalf("rejected %+v, want %+v", b.Rejected, want)
	}
	for i := range want {
		if b.Rejected[i] != want[i] {
			t.Errorf("rejection %d = %+v, want %+v", i, b.Rejected[i], want[i])
		}
	}
}

func TestLoadMalformedFails(t *testing.T) {
	tests := []struct {
		name, file, body, wantMsg string
	}{
		{"broken XML tag", "feed.xml", "", "XML syntax error on line 11"},
		{"truncated XML", "cut.xml", `<?xml version="1.0"?><rss version="2.0"><channel><item><title>a`, "unexpected EOF"},
		{"HTML page", "page.html", "<html><body>Not a feed</body></html>", "failed to detect feed type"},
		{"JSON Feed", "feed.json", `{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": 1,}]}`, "invalid character"},
		{"unknown text", "notes.txt", "just some words", "not an RSS, Atom or JSON feed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "testdata/malformed.xml"
			if tt.body != "" {
				path = writeTemp(t, tt.file, tt.body)
			}
			_, err := Load(context.Background(), path, Options{Now: testNow})
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, want := range []string{path, tt.wantMsg} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if !errorsIsInvalid(err) {
				t.Errorf("error %v does not wrap newsletter.ErrInvalid", err)
			}
		})
	}
}

func TestLoadHostileHTMLIsInert(t *testing.T) {
	b := load(t, "testdata/hostile.xml", Options{})
	if len(b.Items) != 1 {
		t.Fatalf("got %d items, want 1: %+v", len(b.Items), b.Items)
	}
	it := b.Items[0]
	want := map[string]string{"title": "Breaking news", "summary": "Look here click", "kind": "News"}
	got := map[string]string{"title": it.Title, "summary": it.Summary, "kind": it.Kind}
	for k := range want {
		if got[k] != want[k] {
			t.Errorf("%s = %q, want %q", k, got[k], want[k])
		}
		if strings.ContainsAny(got[k], "<>") {
			t.Errorf("%s %q still holds markup", k, got[k])
		}
	}
	if it.ImageURL != "" {
		t.Errorf("ImageURL = %q, want none: an <img> in the text is not the item's picture", it.ImageURL)
	}
	// A title that is nothing but a script has no text left to show.
	if len(b.Rejected) != 1 || b.Rejected[0].Reason != "no title" {
		t.Errorf("rejected = %+v, want the script-only title as \"no title\"", b.Rejected)
	}
}
