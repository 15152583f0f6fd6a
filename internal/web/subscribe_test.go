package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/web"
)

func TestSubscribeConfirmEndToEnd(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	code, page := e.get("/subscribe")
	for _, want := range []string{`<label for="email">`, `<label for="name">`, `name="viewport"`, `aria-hidden="true"`} {
		if code != http.StatusOK || !strings.Contains(page, want) {
			t.Fatalf("subscribe page %d lacks %q", code, want)
		}
	}
	if strings.Contains(page, "<script") {
		t.Error("the page has a script; it must work without")
	}
	code, body := e.postForm("/subscribe", url.Values{"email": {" Reader@Example.ORG "}, "name": {"Rea Der"}})
	if code != http.StatusOK || !strings.Contains(body, "Check your inbox") {
		t.Fatalf("subscribe: %d\n%s", code, body)
	}
	if got := e.status("reader@example.org"); got != newsletter.SubscriberPending {
		t.Fatalf("after the form the address is %s, want pending", got)
	}

	ctx := context.Background()
	e.settle()
	if e.smtp.Count() != 1 {
		t.Fatalf("%d confirmation emails sent, want 1", e.smtp.Count())
	}
	msg := e.smtp.Messages()[0]
	if len(msg.To) != 1 || msg.To[0] != "Reader@example.org" {
		t.Fatalf("sent to %q", msg.To)
	}
	ps := parts(t, msg.Data)
	if len(ps) != 2 || ps[0].typ != "text/plain" || ps[1].typ != "text/html" {
		t.Fatalf("parts %+v", ps)
	}
	linkRE := regexp.MustCompile(regexp.QuoteMeta(e.url) + `/confirm/[A-Za-z0-9_-]+`)
	link := linkRE.FindString(ps[0].body)
	if link == "" || !strings.Contains(ps[1].body, `href="`+link+`"`) || !strings.Contains(ps[1].body, "#1e3a5f") {
		t.Fatalf("no confirm link in both parts, or not in the eNewsUpdate look:\n%s\n%s", ps[0].body, ps[1].body)
	}
	if !strings.Contains(ps[0].body, "Hello Rea Der,") || !strings.Contains(ps[1].body, "Hello Rea Der,") {
		t.Error("the email does not greet by the name given on the form")
	}

	// A link scanner fetching the link changes nothing.
	code, page = e.get(link)
	if code != http.StatusOK || !strings.Contains(page, "Confirm my subscription") || !strings.Contains(page, `<form method="post">`) {
		t.Fatalf("confirm page: %d\n%s", code, page)
	}
	if got := e.status("reader@example.org"); got != newsletter.SubscriberPending {
		t.Fatalf("GET confirmed: status %s", got)
	}
	code, body = e.postForm(link, nil)
	if code != http.StatusOK || !strings.Contains(body, "You are subscribed") {
		t.Fatalf("confirm: %d\n%s", code, body)
	}
	if got := e.status("reader@example.org"); got != newsletter.SubscriberActive {
		t.Fatalf("after confirming: %s", got)
	}
	sub, _ := e.st.SubscriberByEmail(ctx, "reader@example.org")
	evs, _ := e.st.ConsentEvents(ctx, sub.ID)
	if len(evs) != 2 || evs[0].Event != "subscribed" || evs[0].Source != "form" || evs[0].IP != "127.0.0.1" ||
		evs[1].Event != "confirmed" || evs[1].Source != "link" {
		t.Errorf("consent events %+v", evs)
	}
	if sub.Name != "Rea Der" {
		t.Errorf("name %q", sub.Name)
	}
	t.Run("the link expires", func(t *testing.T) {
		e.advance(73 * time.Hour)
		code, body := e.get(link)
		if code != http.StatusBadRequest || !strings.Contains(body, "expired") {
			t.Fatalf("expired link: %d\n%s", code, body)
		}
	})
}

func TestSubscribeGivesOneAnswerForEveryAddress(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.add("active@example.org", newsletter.SubscriberActive)
	e.add("pending@example.org", newsletter.SubscriberPending)
	for _, addr := range []string{"erased@example.org", "complained@example.org"} {
		gone := e.add(addr, newsletter.SubscriberActive)
		if err := e.st.EraseSubscriber(context.Background(), gone.ID, newsletter.Consent{Source: newsletter.SourceCLI}); err != nil {
			t.Fatal(err)
		}
	}
	// The second suppression stands for a complaint (the hash is the
	// store's to make; the newest row is the complained address's).
	if _, err := e.db.Exec(`UPDATE suppressions SET reason = 'complained' WHERE created_at = (SELECT max(created_at) FROM suppressions)`); err != nil {
		t.Fatal(err)
	}
	var first string
	for _, addr := range []string{"new@example.org", "active@example.org", "pending@example.org", "erased@example.org", "complained@example.org"} {
		code, body := e.postForm("/subscribe", url.Values{"email": {addr}})
		if first == "" {
			first = body
		}
		if code != http.StatusOK || body != first {
			t.Errorf("%s: %d, and the page differs from a new address's", addr, code)
		}
	}
	e.settle()
	var to []string
	for _, m := range e.smtp.Messages() {
		to = append(to, m.To...)
	}
	if strings.Join(to, " ") != "new@example.org pending@example.org erased@example.org" {
		t.Errorf("confirmations went to %q; want the new, the pending and the erased address, not the complained one", to)
	}
	if got := e.status("erased@example.org"); got != newsletter.SubscriberPending {
		t.Errorf("the erased address is %s after signing up again, want pending until it confirms", got)
	}
	if got := e.status("complained@example.org"); got != "absent" {
		t.Errorf("the form brought back a complained address: %s", got)
	}
}

func TestSubscribeAbuse(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(d *web.Deps) {
		d.Limits = web.Limits{SubscribePerIP: rate.Every(time.Hour), SubscribeIPBurst: 4,
			ConfirmPerAddress: rate.Every(time.Hour), ConfirmAddressBurst: 2}
	})
	t.Run("honeypot", func(t *testing.T) {
		code, body := e.postForm("/subscribe", url.Values{"email": {"bot@example.org"}, "website": {"http://spam.example"}})
		if code != http.StatusOK || !strings.Contains(body, "Check your inbox") || e.status("bot@example.org") != "absent" {
			t.Fatalf("honeypot: %d, status %s", code, e.status("bot@example.org"))
		}
	})
	t.Run("hostile input is refused and shown escaped", func(t *testing.T) {
		code, body := e.postForm("/subscribe", url.Values{"email": {`"><script>alert(1)</script>@x.org`}})
		if code != http.StatusUnprocessableEntity || strings.Contains(body, "<script>alert") || !strings.Contains(body, "&lt;script&gt;") {
			t.Fatalf("hostile address: %d\n%s", code, body)
		}
	})
	t.Run("per address", func(t *testing.T) {
		code, _ := e.postForm("/subscribe", url.Values{"email": {"victim@example.org"}})
		code2, _ := e.postForm("/subscribe", url.Values{"email": {"VICTIM@example.org"}})
		if code != http.StatusOK || code2 != http.StatusOK {
			t.Fatalf("%d %d", code, code2)
		}
		e.settle()
		if n := e.smtp.Count(); n != 2 {
			t.Fatalf("%d confirmations, want 2 (the burst)", n)
		}
	})
	t.Run("per client", func(t *testing.T) {
		code, body := e.postForm("/subscribe", url.Values{"email": {"victim@example.org"}})
		if code != http.StatusTooManyRequests || !strings.Contains(body, "Too many attempts") {
			t.Fatalf("fifth post from one client: %d", code)
		}
		e.settle()
		if n := e.smtp.Count(); n != 2 {
			t.Fatalf("%d confirmations after the limit", n)
		}
	})
}

func TestCrossOriginFormsAreRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name   string
		header []string
		want   int
	}{
		{"cross-site browser post", []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
		{"foreign origin, old browser", []string{"Origin", "https://evil.example"}, http.StatusForbidden},
		{"same origin", []string{"Sec-Fetch-Site", "same-origin", "Origin", e.url}, http.StatusOK},
		{"no browser headers", nil, http.StatusOK},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := "csrf" + string(rune('a'+i)) + "@example.org"
			code, _ := e.postForm("/subscribe", url.Values{"email": {addr}}, tt.header...)
			if code != tt.want {
				t.Fatalf("status %d, want %d", code, tt.want)
			}
			if created := e.status(addr) != "absent"; created != (tt.want == http.StatusOK) {
				t.Fatalf("row created: %v", created)
			}
		})
	}
}

// A confirmation link works once, and cannot sign up again someone who
// unsubscribed after it was sent.
func TestConfirmLinkWorksOnce(t *testing.T) {
	e := newEnv(t)
	e.advance(-time.Minute) // the email went out a minute ago
	if code, _ := e.postForm("/subscribe", url.Values{"email": {"once@example.org"}}); code != http.StatusOK {
		t.Fatalf("subscribe: %d", code)
	}
	e.settle()
	if e.smtp.Count() != 1 {
		t.Fatalf("%d emails", e.smtp.Count())
	}
	link := regexp.MustCompile(regexp.QuoteMeta(e.url) + `/confirm/[A-Za-z0-9_-]+`).FindString(string(e.smtp.Messages()[0].Data))
	if link == "" {
		t.Fatal("no confirm link")
	}
	if code, body := e.postForm(link, nil); code != http.StatusOK || !strings.Contains(body, "You are subscribed") {
		t.Fatalf("first use: %d\n%s", code, body)
	}
	sub, err := e.st.SubscriberByEmail(context.Background(), "once@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.st.UnsubscribeSubscriber(context.Background(), sub.ID, newsletter.Consent{Source: newsletter.SourceOneClick}); err != nil {
		t.Fatal(err)
	}
	code, body := e.postForm(link, nil)
	if code != http.StatusConflict || !strings.Contains(body, "used already") {
		t.Fatalf("link used again after unsubscribing: %d\n%s", code, body)
	}
	if got := e.status("once@example.org"); got != newsletter.SubscriberUnsubscribed {
		t.Fatalf("the old link made the address %s", got)
	}
}

// The form answers before it looks the address up: with the subscriber
// tables locked, the answer still comes, and the sign-up is recorded once
// they are free.
func TestSubscribeAnswersBeforeLookingUp(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tx, err := e.db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `LOCK TABLE suppressions, subscribers IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	code, body, _ := e.do(http.MethodPost, "/subscribe", strings.NewReader(url.Values{"email": {"early@example.org"}}.Encode()),
		"Content-Type", "application/x-www-form-urlencoded")
	if code != http.StatusOK || !strings.Contains(body, "Check your inbox") {
		t.Fatalf("answer with the tables locked: %d\n%s", code, body)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	e.web.Wait()
	if got := e.status("early@example.org"); got != newsletter.SubscriberPending {
		t.Fatalf("after the lock: %s, want pending", got)
	}
}

// The subscribe page promises the schedule's rhythm only when there is one.
func TestSubscribePageStatesTheCadence(t *testing.T) {
	t.Parallel()
	for _, cadence := range []string{"once a month", ""} {
		t.Run(fmt.Sprintf("%q", cadence), func(t *testing.T) {
			e := newEnv(t, func(d *web.Deps) { d.Brand.Cadence = cadence })
			code, page := e.get("/subscribe")
			if code != http.StatusOK {
				t.Fatalf("GET /subscribe = %d", code)
			}
			want := "by email."
			if cadence != "" {
				want = "by email, " + cadence + "."
			}
			if !strings.Contains(page, want) {
				t.Errorf("subscribe page lacks %q", want)
			}
		})
	}
}
