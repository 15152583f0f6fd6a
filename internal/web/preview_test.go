package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/enews/enews/internal/newsletter"
)

// TestPreviewOfADraft: a test copy's signed "view in browser" link shows
// the draft before it is sent; an altered or expired link shows nothing.
func TestPreviewOfADraft(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	may := newsletter.Period{Year: 2022, Month: time.May}
	storeIssue(t, e, may, newsletter.IssueDraft, "Draft news")
	link := e.links.Preview(may, e.clock())
	code, body := e.get(link)
	if code != http.StatusOK || !strings.Contains(body, "Draft news") || !strings.Contains(body, "Preview of a draft") ||
		!strings.Contains(body, `<meta name="robots" content="noindex, nofollow">`) {
		t.Fatalf("preview: %d\n%s", code, body)
	}
	if code, _ := e.get("/archive/2022-05"); code != http.StatusNotFound {
		t.Fatalf("the draft is in the public archive: %d", code)
	}
	for name, bad := range map[string]string{
		"altered":    link[:len(link)-2] + "xx",
		"lengthened": strings.Replace(link, "/preview/", "/preview/A", 1),
	} {
		if code, _ := e.get(bad); code != http.StatusBadRequest {
			t.Errorf("%s link: %d, want 400", name, code)
		}
	}
	e.advance(31 * 24 * time.Hour)
	if code, _ := e.get(link); code != http.StatusBadRequest {
		t.Errorf("expired link: %d, want 400", code)
	}
	if code, body := e.get(e.links.Preview(newsletter.Period{Year: 2021, Month: time.March}, e.clock())); code != http.StatusNotFound ||
		!strings.Contains(body, "Nothing to preview") {
		t.Errorf("empty month: %d", code)
	}
}

// TestTestUnsubscribeChangesNothing: a test copy's unsubscribe link, page
// or one-click, only says it was a test.
func TestTestUnsubscribeChangesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	code, body := e.get(e.links.TestUnsubscribe())
	if code != http.StatusOK || !strings.Contains(body, "This was a test copy") || !strings.Contains(body, "no subscription was changed") {
		t.Fatalf("page: %d\n%s", code, body)
	}
	code, _, _ = e.do(http.MethodPost, e.links.TestUnsubscribe(), strings.NewReader("List-Unsubscribe=One-Click"),
		"Content-Type", "application/x-www-form-urlencoded")
	if code != http.StatusOK {
		t.Fatalf("one-click: %d", code)
	}
}
