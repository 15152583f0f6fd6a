package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/enews/enews/internal/digest"
	"github.com/enews/enews/internal/newsletter"
)

// storeIssue renders and stores an issue for period p with status.
func storeIssue(t *testing.T, e *env, p newsletter.Period, status, title string) newsletter.Issue {
	t.Helper()
	r, err := digest.NewRenderer(digest.Config{ProductName: "ILO COOP", ProductURL: "https://www.ilo.org/coop",
		OrgAddress: "Route des Morillons 4", Reason: "You subscribed."}, nil)
	if err != nil {
		t.Fatal(err)
	}
	item := newsletter.Item{Kind: "News", Title: title, URL: "https://example.org/" + p.String(),
		Summary: "Summary.", PublishedAt: time.Date(p.Year, p.Month, 10, 9, 0, 0, 0, time.UTC),
		Status: newsletter.ItemPublished, Source: "test", ExternalID: p.String()}
	ctx := context.Background()
	if _, err := e.st.UpsertItems(ctx, []newsletter.Item{item}); err != nil {
		t.Fatal(err)
	}
	out, err := r.Render(p, []newsletter.Item{item})
	if err != nil {
		t.Fatal(err)
	}
	is, _, err := e.st.CreateIssue(ctx, newsletter.Issue{Period: p, Status: status, Subject: out.Subject,
		Preheader: out.Preheader, HTML: out.HTML, Text: out.Text}, newsletter.ActionCreate, "test")
	if err != nil {
		t.Fatal(err)
	}
	return is
}

func TestArchive(t *testing.T) {
	e := newEnv(t)
	may := newsletter.Period{Year: 2022, Month: time.May}
	storeIssue(t, e, may, newsletter.IssueSent, `Cooperatives <script>alert("x")</script> & the SSE`)
	storeIssue(t, e, newsletter.Period{Year: 2022, Month: time.June}, newsletter.IssueDraft, "Not yet")

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
	for _, want := range []string{"Hello there,", `href="` + e.links.Archive(may) + `"`, `href="` + e.url + `/unsubscribe/"`,
		"Cooperatives &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; the SSE"} {
		if !strings.Contains(body, want) {
			t.Errorf("issue page lacks %q", want)
		}
	}
	if strings.Contains(body, "ENEWS_") || strings.Contains(body, "<script>") {
		t.Error("tokens left in, or hostile text unescaped")
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script") {
		t.Errorf("CSP %q", csp)
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
