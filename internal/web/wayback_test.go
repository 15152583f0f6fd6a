package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/enews/enews/internal/newsletter"
)

// TestErasedAddressComesBackThroughDoubleOptIn: an erased address signs up
// on the form again; its confirmation is the new consent, lifts the
// suppression and is logged as resubscribed through the form.
func TestErasedAddressComesBackThroughDoubleOptIn(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	gone := e.add("back@example.org", newsletter.SubscriberActive)
	if err := e.st.EraseSubscriber(ctx, gone.ID, newsletter.Consent{Source: newsletter.SourceCLI}); err != nil {
		t.Fatal(err)
	}
	if code, _ := e.postForm("/subscribe", url.Values{"email": {"back@example.org"}, "name": {"Back Again"}}); code != http.StatusOK {
		t.Fatalf("subscribe: %d", code)
	}
	e.settle()
	if e.smtp.Count() != 1 {
		t.Fatalf("%d emails, want the confirmation", e.smtp.Count())
	}
	var suppressed int
	if err := e.db.QueryRow(`SELECT count(*) FROM suppressions`).Scan(&suppressed); err != nil || suppressed != 1 {
		t.Fatalf("before the confirmation the suppression must stay: %d %v", suppressed, err)
	}
	link := regexp.MustCompile(regexp.QuoteMeta(e.url) + `/confirm/[A-Za-z0-9_-]+`).FindString(string(e.smtp.Messages()[0].Data))
	if code, body := e.postForm(link, nil); code != http.StatusOK || !strings.Contains(body, "You are subscribed") {
		t.Fatalf("confirm: %d\n%s", code, body)
	}
	sub, err := e.st.SubscriberByEmail(ctx, "back@example.org")
	if err != nil || sub.Status != newsletter.SubscriberActive {
		t.Fatalf("after confirming: %+v %v", sub, err)
	}
	if err := e.db.QueryRow(`SELECT count(*) FROM suppressions`).Scan(&suppressed); err != nil || suppressed != 0 {
		t.Fatalf("the confirmation did not lift the suppression: %d %v", suppressed, err)
	}
	if trail := strings.Join(e.consentTrail(sub.ID), " "); trail != "subscribed/form resubscribed/form" {
		t.Fatalf("consent %s", trail)
	}
}

// TestUnsubscribePageAndTheWayBack: the page names the address (masked)
// and the newsletter; after unsubscribing it says so and offers to come
// back, which one POST does.
func TestUnsubscribePageAndTheWayBack(t *testing.T) {
	e := newEnv(t)
	sub := e.add("anna.smith@example.org", newsletter.SubscriberActive)
	page := strings.TrimPrefix(e.links.Unsubscribe(sub.ID), e.url)
	code, body := e.get(page)
	if code != http.StatusOK || !strings.Contains(body, "a•••••••••@e••••••.org") || !strings.Contains(body, "eNewsUpdate") ||
		strings.Contains(body, "anna.smith@") || strings.Contains(body, "/resubscribe") {
		t.Fatalf("the page before unsubscribing: %d\n%s", code, body)
	}
	code, body = e.postForm(page, nil)
	if code != http.StatusOK || !strings.Contains(body, "You are unsubscribed") || !strings.Contains(body, `action="`+page+`/resubscribe"`) {
		t.Fatalf("after unsubscribing: %d\n%s", code, body)
	}
	if _, body := e.get(page); !strings.Contains(body, "You are not subscribed") || strings.Contains(body, "Press the button to stop") {
		t.Fatalf("the page of an unsubscribed address:\n%s", body)
	}
	code, body = e.postForm(page+"/resubscribe", nil)
	if code != http.StatusOK || !strings.Contains(body, "Welcome back") {
		t.Fatalf("resubscribe: %d\n%s", code, body)
	}
	if got := e.status("anna.smith@example.org"); got != newsletter.SubscriberActive {
		t.Fatalf("status %s after resubscribing", got)
	}
	if trail := strings.Join(e.consentTrail(sub.ID), " "); !strings.HasSuffix(trail, "unsubscribed/link resubscribed/link") {
		t.Fatalf("consent %s", trail)
	}
	// A complaint stays.
	if _, err := e.db.Exec(`UPDATE subscribers SET status = 'complained' WHERE id = $1`, sub.ID); err != nil {
		t.Fatal(err)
	}
	if code, _ := e.postForm(page+"/resubscribe", nil); code != http.StatusConflict {
		t.Fatalf("resubscribe after a complaint: %d, want 409", code)
	}
	// One-click still answers a bare 200.
	sub2 := e.add("other@example.org", newsletter.SubscriberActive)
	code, body, _ = e.do(http.MethodPost, strings.TrimPrefix(e.links.Unsubscribe(sub2.ID), e.url),
		strings.NewReader("List-Unsubscribe=One-Click"), "Content-Type", "application/x-www-form-urlencoded")
	if code != http.StatusOK || body != "" {
		t.Fatalf("one-click: %d %q", code, body)
	}
}
