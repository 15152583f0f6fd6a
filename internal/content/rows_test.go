package content

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/enews/enews/internal/newsletter"
)

func TestLoadCSV(t *testing.T) {
	// Columns in a free order, a byte order mark and spreadsheet-style
	// header cells, as exported by common spreadsheet programs.
	path := writeTemp(t, "items.csv", "\ufeffPublished_At,Title,URL,status,kind,summary,image_url\n"+
		`2022-05-17T10:00:00+09:00,"Exchanges on the ILO’s Recommendation",https://news.example.org/a,,Statement,"Line one,`+"\n"+`line two",https://news.example.org/a.jpg`+"\n"+
		"2022-05-18T10:00:00+02:00,No link,,published,,,\n"+
		"2022-05-18T10:00:00+02:00,Bad status,https://news.example.org/b,archived,,,\n"+
		"18 May 2022,Bad date,https://news.example.org/c,,,,\n"+
		"2022-05-18T10:00:00+02:00,Script URL,javascript:alert(1),,,,\n"+
		"2022-05-18T10:00:00+02:00,Short row\n"+
		"2022-05-19T10:00:00+02:00,Draft,https://news.example.org/d,Draft,,,\n")
	b := load(t, path, Options{DefaultKind: "Story"})
	if len(b.Items) != 2 {
		t.Fatalf("items = %+v, want 2", b.Items)
	}
	first := b.Items[0]
	want := newsletter.Item{
		Kind: "Statement", Title: "Exchanges on the ILO’s Recommendation", Summary: "Line one, line two",
		URL: "https://news.example.org/a", ImageURL: "https://news.example.org/a.jpg",
		Status: newsletter.ItemPublished, Source: path, ExternalID: "https://news.example.org/a",
	}
	if !first.PublishedAt.Equal(time.Date(2022, 5, 17, 1, 0, 0, 0, time.UTC)) {
		t.Errorf("PublishedAt = %s, want 01:00 UTC (10:00 +09:00)", first.PublishedAt)
	}
	first.PublishedAt = time.Time{}
	if !reflect.DeepEqual(first, want) {
		t.Errorf("first item\n got  %+v\n want %+v", first, want)
	}
	if d := b.Items[1]; d.Status != newsletter.ItemDraft || d.Kind != "Story" {
		t.Errorf("second item status %q kind %q, want draft and the default kind", d.Status, d.Kind)
	}
	wantRejected := []Rejection{
		{"line 4", "no url"},
		{"line 5", `status "archived" is not draft, published or hidden`},
		{"line 6", `published_at "18 May 2022" is not an RFC 3339 time like 2022-05-26T10:00:00+02:00`},
		{"line 7", `url "javascript:alert(1)" is not an http(s) URL`},
		{"line 8", "has 2 fields, the header has 7"},
	}
	if len(b.Rejected) != len(wantRejected) {
		t.Fatalf("rejected %+v, want %+v", b.Rejected, wantRejected)
	}
	for i := range wantRejected {
		if b.Rejected[i] != wantRejected[i] {
			t.Errorf("rejection %d = %+v, want %+v", i, b.Rejected[i], wantRejected[i])
		}
	}
}

func TestLoadOwnFormatFails(t *testing.T) {
	tests := []struct{ name, file, body, want string }{
		{"unknown column", "a.csv", "title,url,publised_at\n", `unknown column "publised_at"`},
		{"missing column", "a.csv", "title,url\n", "lacks required column(s) published_at"},
		{"repeated column", "a.csv", "title,url,published_at,Title\n", `column "title" appears twice`},
		{"broken quoting", "a.csv", "title,url,published_at\n\"unterminated,x,y\n", "extraneous or missing \" in quoted-field"},
		{"not UTF-8", "a.csv", "title,url,published_at\nCaf\xe9,https://x.example/,2022-05-01T10:00:00Z\n", "not UTF-8 text (first bad byte on line 2)"},
		{"empty file", "a.csv", "\ufeff\n", "the source is empty"},
		{"JSON syntax", "a.json", "[\n  {\"title\": \"A\"},\n  {\"title\": }\n]", "line 3: invalid character '}'"},
		{"JSON object without items", "a.json", `{"entries": []}`, `no "items" array`},
		{"JSON items not an array", "a.json", `{"items": {"title": "A"}}`, "cannot unmarshal object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTemp(t, tt.file, tt.body)
			_, err := Load(context.Background(), path, Options{Now: testNow})
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, want := range []string{path, tt.want} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

func TestLoadJSONItems(t *testing.T) {
	const item = `{"title": "A", "url": "https://news.example.org/a", "published_at": "2022-05-02T10:00:00+02:00", "external_id": "a"}`
	tests := []struct {
		name, body   string
		wantItems    int
		wantRejected []Rejection
	}{
		{"array", "[" + item + "]", 1, nil},
		{"object", `{"items": [` + item + `]}`, 1, nil},
		{"bad entries", `[` + item + `,
			{"title": "B", "url": "https://news.example.org/b", "publised_at": "2022-05-02T10:00:00Z", "external_id": "b"},
			{"title": "C", "url": "https://news.example.org/c", "published_at": 20220502},
			"just a string",
			{"title": "<b></b>", "url": "https://news.example.org/d", "published_at": "2022-05-02T10:00:00Z"},
			{"title": "A again", "url": "https://news.example.org/a2", "published_at": "2022-05-02T10:00:00Z", "external_id": "a"},
			{"title": "E", "url": "https://news.example.org/e", "published_at": "2022-05-02T10:00:00Z", "image_url": "data:image/png;base64,AAAA"}
		]`, 1, []Rejection{
			{"item 2 (external_id b)", `unknown field "publised_at"`},
			{"item 3", "cannot unmarshal number into Go struct field row.published_at of type string"},
			{"item 4", "not an object"},
			{"item 5", "no title"},
			{"item 6 (external_id a)", "same external id as item 1 (external_id a)"},
			{"item 7", `image_url "data:image/png;base64,AAAA" is not an http(s) URL`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := load(t, writeTemp(t, "items.json", tt.body), Options{})
			if len(b.Items) != tt.wantItems {
				t.Errorf("got %d items, want %d: %+v", len(b.Items), tt.wantItems, b.Items)
			}
			if len(b.Rejected) != len(tt.wantRejected) {
				t.Fatalf("rejected %+v, want %+v", b.Rejected, tt.wantRejected)
			}
			for i := range tt.wantRejected {
				if b.Rejected[i] != tt.wantRejected[i] {
					t.Errorf("rejection %d = %+v, want %+v", i, b.Rejected[i], tt.wantRejected[i])
				}
			}
		})
	}
}
