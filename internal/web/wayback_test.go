package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/web"
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

// TestUnsubscribePageWayBackRefused: the resubscribe button is for a
// mistaken unsubscribe only. A bounced address goes through the form, a
// complaint stays, an erased subscriber is gone, a cross-site post is
// refused; none of them changes anything.
func TestUnsubscribePageWayBackRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name     string
		status   string // the subscriber's status before
		erase    bool
		header   []string
		wantPage string // on the GET page
		wantCode int    // of the resubscribe POST
		wantBody string
	}{
		{name: "bounced", status: newsletter.SubscriberBounced, wantPage: "returned as undeliverable",
			wantCode: http.StatusConflict, wantBody: "subscribe through the form"},
		{name: "complained", status: newsletter.SubscriberComplained, wantPage: "reported as unwanted",
			wantCode: http.StatusConflict, wantBody: "cannot be subscribed here"},
		{name: "erased", status: newsletter.SubscriberUnsubscribed, erase: true, wantPage: "not on the list",
			wantCode: http.StatusNotFound, wantBody: "no longer on the list"},
		{name: "cross-site post", status: newsletter.SubscriberUnsubscribed, header: []string{"Sec-Fetch-Site", "cross-site"},
			wantPage: "Want it again?", wantCode: http.StatusForbidden},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := "refused" + string(rune('a'+i)) + "@example.org"
			sub := e.add(addr, newsletter.SubscriberActive)
			if _, err := e.db.Exec(`UPDATE subscribers SET status = $1 WHERE id = $2`, tt.status, sub.ID); err != nil {
				t.Fatal(err)
			}
			if tt.erase {
				if err := e.st.EraseSubscriber(context.Background(), sub.ID, newsletter.Consent{Source: newsletter.SourceCLI}); err != nil {
					t.Fatal(err)
				}
			}
			before := e.consentTrail(sub.ID)
			page := strings.TrimPrefix(e.links.Unsubscribe(sub.ID), e.url)
			_, body := e.get(page)
			if !strings.Contains(body, tt.wantPage) || strings.Contains(body, "Press the button to stop") ||
				strings.Contains(body, "/resubscribe") != (tt.status == newsletter.SubscriberUnsubscribed && !tt.erase) {
				t.Fatalf("the page:\n%s", body)
			}
			code, body := e.postForm(page+"/resubscribe", nil, tt.header...)
			if code != tt.wantCode || !strings.Contains(body, tt.wantBody) {
				t.Fatalf("resubscribe: %d, want %d with %q\n%s", code, tt.wantCode, tt.wantBody, body)
			}
			want := tt.status
			if tt.erase {
				want = "absent"
			}
			if got := e.status(addr); got != want {
				t.Fatalf("status %s after a refused resubscribe, want %s", got, want)
			}
			if after := e.consentTrail(sub.ID); strings.Join(after, " ") != strings.Join(before, " ") {
				t.Fatalf("consent log changed: %v, was %v", after, before)
			}
		})
	}
}

// TestResubscribeWhileSubscribed: pressing the button of an old page
// again says so and logs nothing.
func TestResubscribeWhileSubscribed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sub := e.add("still@example.org", newsletter.SubscriberActive)
	page := strings.TrimPrefix(e.links.Unsubscribe(sub.ID), e.url)
	code, body := e.postForm(page+"/resubscribe", nil)
	if code != http.StatusOK || !strings.Contains(body, "subscribed already") {
		t.Fatalf("resubscribe while active: %d\n%s", code, body)
	}
	if trail := strings.Join(e.consentTrail(sub.ID), " "); trail != "subscribed/cli" {
		t.Fatalf("consent %s", trail)
	}
}

// TestConfirmationGreeting: the email greets by the name typed on the
// form, escaped in the HTML part; a name that reads like a link, or runs
// long, gets the plain greeting; a line break is refused by the form.
func TestConfirmationGreeting(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(d *web.Deps) { d.Limits.SubscribeIPBurst = 20 })
	tests := []struct {
		name, typed, text, html string
	}{
		{"plain", "Anna", "Hello Anna,", "Hello Anna,"},
		{"markup", `Anna <b>& "Bo"`, `Hello Anna <b>& "Bo",`, "Hello Anna &lt;b&gt;&amp; &#34;Bo&#34;,"},
		{"a domain", "Win at prizes.example now", "Hello,", "Hello,"},
		{"a link", "Anna http:x", "Hello,", "Hello,"},
		{"too long", strings.Repeat("Anna ", 13), "Hello,", "Hello,"},
		{"initials", "Anna M. Smith", "Hello Anna M. Smith,", "Hello Anna M. Smith,"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := "greet" + string(rune('a'+i)) + "@example.org"
			if code, _ := e.postForm("/subscribe", url.Values{"email": {addr}, "name": {tt.typed}}); code != http.StatusOK {
				t.Fatalf("subscribe: %d", code)
			}
			e.settle()
			var raw []byte
			for _, m := range e.smtp.Messages() {
				if m.To[0] == addr {
					raw = m.Data
				}
			}
			ps := parts(t, raw)
			if !strings.Contains(ps[0].body, tt.text) || !strings.Contains(ps[1].body, tt.html) {
				t.Fatalf("greeting, want %q and %q:\n%s\n%s", tt.text, tt.html, ps[0].body, ps[1].body)
			}
			if strings.Contains(ps[1].body, "<b>&") {
				t.Fatal("markup from the form reached the HTML part unescaped")
			}
		})
	}
	code, _ := e.postForm("/subscribe", url.Values{"email": {"crlf@example.org"}, "name": {"Anna\r\nBcc: x@example.org"}})
	if code != http.StatusUnprocessableEntity || e.status("crlf@example.org") != "absent" {
		t.Fatalf("a name with a line break: %d, %s", code, e.status("crlf@example.org"))
	}
}

// TestBouncedStaysBouncedThroughOneClick: a one-click unsubscribe of a
// bounced address keeps it bounced, so its link cannot then bring it back.
func TestBouncedStaysBouncedThroughOneClick(t *testing.T) {
	e := newEnv(t)
	sub := e.add("bounced-away@example.org", newsletter.SubscriberActive)
	if _, err := e.db.Exec(`UPDATE subscribers SET status = 'bounced' WHERE id = $1`, sub.ID); err != nil {
		t.Fatal(err)
	}
	page := strings.TrimPrefix(e.links.Unsubscribe(sub.ID), e.url)
	if code, _, _ := e.do(http.MethodPost, page, strings.NewReader("List-Unsubscribe=One-Click"),
		"Content-Type", "application/x-www-form-urlencoded"); code != http.StatusOK {
		t.Fatalf("one-click: %d", code)
	}
	if got := e.status("bounced-away@example.org"); got != newsletter.SubscriberBounced {
		t.Fatalf("one-click made a bounced address %s", got)
	}
	if code, _ := e.postForm(page+"/resubscribe", nil); code != http.StatusConflict {
		t.Fatalf("resubscribe after the one-click: %d, want 409", code)
	}
}
