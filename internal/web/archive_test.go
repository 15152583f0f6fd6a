package web_test

import (
	"context"
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/enews/enews/internal/issues"
	"github.com/enews/enews/internal/newsletter"
)

// storeIssue publishes one item titled title in p and takes p's issue to
// status through the lifecycle service, as the CLI would.
func storeIssue(t *testing.T, e *env, p newsletter.Period, status, title string) newsletter.Issue {
	t.Helper()
	ctx := context.Background()
	item := newsletter.Item{Kind: "News", Title: title, URL: "https://example.org/" + p.String(),
		Summary: "Summary.", PublishedAt: time.Date(p.Year, p.Month, 10, 9, 0, 0, 0, time.UTC),
		Status: newsletter.ItemPublished, Source: "test", ExternalID: p.String(),
		ImageURL: "https://example.org/" + p.String() + ".png", ImageCredit: "Photo: ILO"}
	if _, err := e.st.UpsertItems(ctx, []newsletter.Item{item}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.issues.Create(ctx, p, issues.CreateOptions{Actor: "test", Force: true}); err != nil {
		t.Fatal(err)
	}
	var steps []func(context.Context, newsletter.Period, string) (issues.Result, error)
	switch status {
	case newsletter.IssueSent, newsletter.IssueSending:
		steps = append(steps, e.issues.Approve, e.issues.Start)
	case newsletter.IssueApproved:
		steps = append(steps, e.issues.Approve)
	}
	for _, step := range steps {
		if _, err := step(ctx, p, "test"); err != nil {
			t.Fatal(err)
		}
	}
	is, err := e.st.IssueByPeriod(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if status == newsletter.IssueSent {
		// No subscriber in these tests: nothing is left to send.
		if ok, err := e.issues.Complete(ctx, is.ID, p, "test"); !ok || err != nil {
			t.Fatalf("complete: %v %v", ok, err)
		}
		is.Status = newsletter.IssueSent
	}
	return is
}

func TestArchive(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	april := newsletter.Period{Year: 2022, Month: time.April}
	may := newsletter.Period{Year: 2022, Month: time.May}
	june := newsletter.Period{Year: 2022, Month: time.June}
	storeIssue(t, e, april, newsletter.IssueSent, "April news")
	storeIssue(t, e, may, newsletter.IssueSent, `Cooperatives <script>alert("x")</script> & the SSE`)
	storeIssue(t, e, june, newsletter.IssueDraft, "Not yet")

	code, list := e.get("/archive/")
	if code != http.StatusOK || !strings.Contains(list, `href="`+e.links.Archive(may)+`"`) || !strings.Contains(list, "May 2022") {
		t.Fatalf("archive list: %d\n%s", code, list)
	}
	if strings.Contains(list, "2022-06") {
		t.Error("a draft is listed")
	}
	code, body, h := e.do(http.MethodGet, "/archive/2022-05", nil)
	if code != http.StatusOK {
		t.Fatalf("issue: %d", code)
	}
	for _, want := range []string{
		`<link rel="stylesheet" href="` + e.url + `/assets/enews.css">`, // inside the site's layout
		`<link rel="alternate" type="application/atom+xml"`,
		`rel="prev" href="` + e.links.Archive(april) + `"`,
		`href="` + e.url + `/subscribe"`,
		"Cooperatives &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; the SSE",
		`<img src="https://example.org/2022-05.png"`, "Photo: ILO",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("issue page lacks %q", want)
		}
	}
	for _, unwanted := range []string{"Hello", `href="` + e.links.Archive(may) + `"`, "/unsubscribe", "You subscribed.",
		"ENEWS_", "<script>", `rel="next"`} {
		if strings.Contains(body, unwanted) {
			t.Errorf("issue page holds %q", unwanted)
		}
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script") {
		t.Errorf("CSP %q", csp)
	}
	if _, april := e.get("/archive/2022-04"); !strings.Contains(april, `rel="next" href="`+e.links.Archive(may)+`"`) {
		t.Error("April does not link to May")
	}
	for _, path := range []string{"/archive/2022-06", "/archive/2021-01", "/archive/2022-5", "/archive/..%2f"} {
		if code, _ := e.get(path); code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, code)
		}
	}
	if code, _, h := e.do(http.MethodGet, "/archive", nil); code != http.StatusSeeOther || h.Get("Location") != e.url+"/archive/" {
		t.Errorf("/archive: %d to %q", code, h.Get("Location"))
	}
	if code, _, h := e.do(http.MethodGet, "/assets/enews.css", nil); code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet: %d %q", code, h.Get("Content-Type"))
	}
}

// TestArchiveKeepsTheFrozenBytes: an item edited after the issue froze
// leaves the archive page as it was sent.
func TestArchiveKeepsTheFrozenBytes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	may := newsletter.Period{Year: 2022, Month: time.May}
	storeIssue(t, e, may, newsletter.IssueSending, "As sent")
	if _, err := e.db.Exec(`UPDATE items SET title = 'Edited later', updated_at = now()`); err != nil {
		t.Fatal(err)
	}
	if _, body := e.get("/archive/2022-05"); !strings.Contains(body, "As sent") || strings.Contains(body, "Edited later") {
		t.Fatal("the archive drifted from the frozen issue")
	}
}

func TestArchiveFeed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	april := newsletter.Period{Year: 2022, Month: time.April}
	may := newsletter.Period{Year: 2022, Month: time.May}
	storeIssue(t, e, april, newsletter.IssueSent, "April news")
	storeIssue(t, e, may, newsletter.IssueSent, `Cooperatives <b>&</b> the SSE`)
	storeIssue(t, e, newsletter.Period{Year: 2022, Month: time.June}, newsletter.IssueSending, "Still sending")

	code, body, h := e.do(http.MethodGet, "/archive/feed.xml", nil)
	if code != http.StatusOK || h.Get("Content-Type") != "application/atom+xml; charset=utf-8" {
		t.Fatalf("feed: %d %q", code, h.Get("Content-Type"))
	}
	// Well-formed XML in the Atom namespace, with what RFC 4287 requires
	// of a feed (id, title, updated, author) and of each entry.
	var raw struct {
		XMLName xml.Name
		ID      string `xml:"id"`
		Updated string `xml:"updated"`
		Entries []struct {
			ID      string `xml:"id"`
			Title   string `xml:"title"`
			Updated string `xml:"updated"`
			Content struct {
				Type string `xml:"type,attr"`
			} `xml:"content"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal([]byte(body), &raw); err != nil {
		t.Fatalf("feed is not XML: %v\n%s", err, body)
	}
	if raw.XMLName.Space != "http://www.w3.org/2005/Atom" || raw.XMLName.Local != "feed" || raw.ID == "" {
		t.Fatalf("feed root %+v", raw.XMLName)
	}
	if _, err := time.Parse(time.RFC3339, raw.Updated); err != nil {
		t.Errorf("feed updated %q: %v", raw.Updated, err)
	}
	for _, en := range raw.Entries {
		if _, err := time.Parse(time.RFC3339, en.Updated); err != nil || en.ID == "" || en.Content.Type != "html" {
			t.Errorf("entry %+v: %v", en, err)
		}
	}

	f, err := gofeed.NewParser().ParseString(body)
	if err != nil {
		t.Fatalf("parse feed: %v", err)
	}
	if f.FeedType != "atom" || len(f.Items) != 2 || len(f.Authors) != 1 || f.Authors[0].Name != "ILO COOP" {
		t.Fatalf("feed %s with %d items, authors %v", f.FeedType, len(f.Items), f.Authors)
	}
	newest := f.Items[0]
	if newest.Link != e.links.Archive(may) || !strings.Contains(newest.Content, "Cooperatives &lt;b&gt;&amp;&lt;/b&gt; the SSE") ||
		strings.Contains(newest.Content, "Hello") {
		t.Fatalf("newest entry: %s %q", newest.Link, newest.Content)
	}
	if f.Items[1].Link != e.links.Archive(april) {
		t.Errorf("second entry %s", f.Items[1].Link)
	}
	if _, page := e.get("/archive/"); !strings.Contains(page, `href="`+e.links.Feed()+`"`) {
		t.Error("the archive does not link to its feed")
	}
}
