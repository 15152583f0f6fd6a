package store_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/pgtest"
	"github.com/enews/enews/internal/store"
)

func viaCLI() newsletter.Consent { return newsletter.Consent{Source: newsletter.SourceCLI} }

func add(t *testing.T, st *store.Store, email, status string) newsletter.Subscriber {
	t.Helper()
	sub, err := st.AddSubscriber(context.Background(), newsletter.Subscriber{Email: email, Name: "N " + email, Status: status}, viaCLI())
	if err != nil {
		t.Fatalf("add %s: %v", email, err)
	}
	return sub
}

func events(t *testing.T, st *store.Store, id int64) string {
	t.Helper()
	evs, err := st.ConsentEvents(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range evs {
		names = append(names, e.Event+"/"+e.Source)
	}
	return strings.Join(names, " ")
}

func TestAddAndFind(t *testing.T) {
	t.Parallel()
	st, ctx := pgtest.New(t), context.Background()
	sub := add(t, st, "Anna@example.org", newsletter.SubscriberActive)
	if sub.ID == 0 || sub.Status != newsletter.SubscriberActive || sub.Attributes == nil {
		t.Fatalf("added %+v", sub)
	}
	got, err := st.SubscriberByEmail(ctx, "anna@EXAMPLE.org")
	if err != nil || got.ID != sub.ID || got.Email != "Anna@example.org" {
		t.Fatalf("find any case: %+v, %v", got, err)
	}
	if _, err := st.SubscriberByEmail(ctx, "nobody@example.org"); !errors.Is(err, newsletter.ErrNotFound) {
		t.Fatalf("missing address: %v, want ErrNotFound", err)
	}
	if _, err := st.GetSubscriber(ctx, 999999); !errors.Is(err, newsletter.ErrNotFound) {
		t.Fatalf("missing id: %v, want ErrNotFound", err)
	}
	_, err = st.AddSubscriber(ctx, newsletter.Subscriber{Email: "ANNA@example.org"}, viaCLI())
	if !errors.Is(err, newsletter.ErrConflict) {
		t.Fatalf("second add in other case: %v, want ErrConflict", err)
	}
	_, err = st.AddSubscriber(ctx, newsletter.Subscriber{Email: "b@example.org", Status: "bounced"}, viaCLI())
	if !errors.Is(err, newsletter.ErrInvalid) {
		t.Fatalf("add with status bounced: %v, want ErrInvalid", err)
	}
	if ev := events(t, st, sub.ID); ev != "subscribed/cli" {
		t.Errorf("events %q", ev)
	}
	name := "Anna M"
	up, err := st.UpdateSubscriber(ctx, sub.ID, &name, map[string]string{"city": "Bern"})
	if err != nil || up.Name != name || up.Attributes["city"] != "Bern" || up.Status != newsletter.SubscriberActive {
		t.Fatalf("update: %+v, %v", up, err)
	}
}

func TestListSubscribers(t *testing.T) {
	t.Parallel()
	st, ctx := pgtest.New(t), context.Background()
	for _, e := range []string{"a1@example.org", "a2@example.org", "b1@example.org", "under_score@example.org", "pct%x@example.org"} {
		add(t, st, e, newsletter.SubscriberActive)
	}
	add(t, st, "p@example.org", newsletter.SubscriberPending)

	var all []string
	f := store.SubscriberFilter{Limit: 2}
	for pages := 0; ; pages++ {
		page, err := st.ListSubscribers(ctx, f)
		if err != nil || pages > 5 {
			t.Fatalf("page %d: %v", pages, err)
		}
		for _, s := range page.Subscribers {
			all = append(all, s.Email)
		}
		if page.Next == 0 {
			break
		}
		f.After = page.Next
	}
	if len(all) != 6 {
		t.Fatalf("paged through %d: %v", len(all), all)
	}
	tests := []struct {
		name string
		f    store.SubscriberFilter
		want int
	}{
		{"search is case-insensitive", store.SubscriberFilter{Query: "A1@"}, 1},
		{"search by name", store.SubscriberFilter{Query: "n b1"}, 1},
		{"underscore is literal", store.SubscriberFilter{Query: "_"}, 1},
		{"percent is literal", store.SubscriberFilter{Query: "%"}, 1},
		{"status filter", store.SubscriberFilter{Status: newsletter.SubscriberPending}, 1},
		{"exact email", store.SubscriberFilter{Email: "A2@example.ORG"}, 1},
		{"hostile query is data", store.SubscriberFilter{Query: "'; DROP TABLE subscribers; --"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := st.ListSubscribers(ctx, tt.f)
			if err != nil || len(page.Subscribers) != tt.want {
				t.Fatalf("%d results, %v; want %d", len(page.Subscribers), err, tt.want)
			}
		})
	}
}

func TestSubscribeConfirmUnsubscribe(t *testing.T) {
	t.Parallel()
	st, ctx := pgtest.New(t), context.Background()
	ip := netip.MustParseAddr("192.0.2.7")
	form := newsletter.Consent{Source: newsletter.SourceForm, IP: ip}

	res, err := st.Subscribe(ctx, "new@example.org", "New", form)
	if err != nil || !res.SendConfirm || res.ID == 0 {
		t.Fatalf("subscribe: %+v, %v", res, err)
	}
	again, err := st.Subscribe(ctx, "NEW@example.org", "Someone else", form)
	if err != nil || again.ID != res.ID || !again.SendConfirm {
		t.Fatalf("subscribe again: %+v, %v", again, err)
	}
	sub, _ := st.GetSubscriber(ctx, res.ID)
	if sub.Status != newsletter.SubscriberPending || sub.Name != "New" {
		t.Fatalf("after sign-ups: %+v (the second must not rename)", sub)
	}
	sub, changed, err := st.ConfirmSubscriber(ctx, res.ID, time.Time{}, newsletter.Consent{Source: newsletter.SourceLink, IP: ip})
	if err != nil || !changed || sub.Status != newsletter.SubscriberActive {
		t.Fatalf("confirm: %+v %v %v", sub, changed, err)
	}
	if _, changed, _ := st.ConfirmSubscriber(ctx, res.ID, time.Time{}, form); changed {
		t.Error("second confirm changed something")
	}
	if res, _ := st.Subscribe(ctx, "new@example.org", "", form); res.SendConfirm {
		t.Error("an active subscriber gets another confirmation")
	}
	sub, changed, err = st.UnsubscribeSubscriber(ctx, res.ID, newsletter.Consent{Source: newsletter.SourceOneClick})
	if err != nil || !changed || sub.Status != newsletter.SubscriberUnsubscribed {
		t.Fatalf("unsubscribe: %+v %v %v", sub, changed, err)
	}
	if _, changed, err := st.UnsubscribeSubscriber(ctx, res.ID, form); err != nil || changed {
		t.Fatalf("second unsubscribe: changed %v, %v", changed, err)
	}
	// Coming back takes a new sign-up and a new confirmation.
	if res, _ := st.Subscribe(ctx, "new@example.org", "", form); !res.SendConfirm {
		t.Error("an unsubscribed address cannot ask again")
	}
	if _, changed, _ := st.ConfirmSubscriber(ctx, res.ID, time.Time{}, form); !changed {
		t.Error("resubscribe did not happen")
	}
	want := "subscribed/form confirmed/link unsubscribed/one-click subscribed/form resubscribed/form"
	if ev := events(t, st, res.ID); ev != want {
		t.Errorf("events\n got %s\nwant %s", ev, want)
	}
	evs, _ := st.ConsentEvents(ctx, res.ID)
	if evs[0].IP != "192.0.2.7" || evs[2].IP != "" {
		t.Errorf("ips %q %q", evs[0].IP, evs[2].IP)
	}
	if _, _, err := st.UnsubscribeSubscriber(ctx, 424242, form); !errors.Is(err, newsletter.ErrNotFound) {
		t.Errorf("unsubscribe unknown id: %v", err)
	}
}

// A confirmation link works once, and never after the subscriber
// unsubscribed: an old email cannot sign anyone up again.
func TestConfirmLinkIsSingleUse(t *testing.T) {
	t.Parallel()
	st, ctx := pgtest.New(t), context.Background()
	form := newsletter.Consent{Source: newsletter.SourceForm}
	link := newsletter.Consent{Source: newsletter.SourceLink}
	res, err := st.Subscribe(ctx, "once@example.org", "", form)
	if err != nil {
		t.Fatal(err)
	}
	// The first link, sent a while ago.
	first := time.Now().Add(-time.Minute)
	if _, changed, err := st.ConfirmSubscriber(ctx, res.ID, first, link); err != nil || !changed {
		t.Fatalf("first use: %v %v", changed, err)
	}
	if _, changed, err := st.ConfirmSubscriber(ctx, res.ID, first, link); err != nil || changed {
		t.Fatalf("second use while active: changed %v, %v; want nothing done", changed, err)
	}
	if _, _, err := st.UnsubscribeSubscriber(ctx, res.ID, newsletter.Consent{Source: newsletter.SourceOneClick}); err != nil {
		t.Fatal(err)
	}
	sub, changed, err := st.ConfirmSubscriber(ctx, res.ID, first, link)
	if !errors.Is(err, newsletter.ErrLinkSuperseded) || !errors.Is(err, newsletter.ErrConflict) || changed {
		t.Fatalf("old link after unsubscribing: %+v %v %v; want ErrLinkSuperseded", sub, changed, err)
	}
	if sub, _ := st.GetSubscriber(ctx, res.ID); sub.Status != newsletter.SubscriberUnsubscribed {
		t.Fatalf("old link resubscribed: %s", sub.Status)
	}
	// A new sign-up sends a new link, which works.
	if _, err := st.Subscribe(ctx, "once@example.org", "", form); err != nil {
		t.Fatal(err)
	}
	if sub, changed, err := st.ConfirmSubscriber(ctx, res.ID, time.Now(), link); err != nil || !changed || sub.Status != newsletter.SubscriberActive {
		t.Fatalf("new link: %+v %v %v", sub, changed, err)
	}
}

func TestErase(t *testing.T) {
	t.Parallel()
	st, db := pgtest.NewWithSQL(t)
	ctx := context.Background()
	sub := add(t, st, "Gone@Example.org", newsletter.SubscriberActive)
	if err := st.EraseSubscriber(ctx, sub.ID, viaCLI()); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetSubscriber(ctx, sub.ID); !errors.Is(err, newsletter.ErrNotFound) {
		t.Fatalf("erased row still there: %v", err)
	}
	hash := pgtest.Hasher(t).HashAddress("gone@example.org")
	var suppressed int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM suppressions WHERE email_hash = $1`, hash).Scan(&suppressed); err != nil || suppressed != 1 {
		t.Fatalf("%d suppressions after erase, %v", suppressed, err)
	}
	var events string
	if err := db.QueryRowContext(ctx, `SELECT string_agg(event, ' ' ORDER BY id) FROM consent_events WHERE email_hash = $1`, hash).Scan(&events); err != nil || events != "subscribed erased" {
		t.Fatalf("events kept by hash: %q, %v", events, err)
	}
	var left int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM consent_events WHERE subscriber_id IS NOT NULL`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("%d events still point at a row, %v", left, err)
	}
	t.Run("the address cannot come back by mistake", func(t *testing.T) {
		_, err := st.AddSubscriber(ctx, newsletter.Subscriber{Email: "gone@example.org"}, viaCLI())
		if !errors.Is(err, store.ErrSuppressed) || !errors.Is(err, newsletter.ErrConflict) {
			t.Fatalf("re-add: %v, want ErrSuppressed", err)
		}
		// Its owner may come back through the form: a pending row and a
		// confirmation, the suppression kept until they confirm.
		res, err := st.Subscribe(ctx, "GONE@example.org", "", newsletter.Consent{Source: newsletter.SourceForm})
		if err != nil || !res.SendConfirm || res.ID == 0 {
			t.Fatalf("form sign-up: %+v, %v", res, err)
		}
		if ok, err := st.IsSuppressed(ctx, "gone@example.org"); err != nil || !ok {
			t.Fatalf("suppressed before the confirmation: %v %v", ok, err)
		}
		if err := st.EraseSubscriber(ctx, res.ID, viaCLI()); err != nil {
			t.Fatal(err)
		}
	})
	if err := st.EraseSubscriber(ctx, sub.ID, viaCLI()); !errors.Is(err, newsletter.ErrNotFound) {
		t.Fatalf("second erase: %v", err)
	}
}

// TestLiftSuppression: staff lift a complaint; the subscriber becomes
// unsubscribed, so the form's double opt-in can bring them back.
func TestLiftSuppression(t *testing.T) {
	t.Parallel()
	st, db := pgtest.NewWithSQL(t)
	ctx := context.Background()
	sub, err := st.AddSubscriber(ctx, newsletter.Subscriber{Email: "oops@example.org", Status: newsletter.SubscriberActive},
		newsletter.Consent{Source: newsletter.SourceCLI})
	if err != nil {
		t.Fatal(err)
	}
	hash := pgtest.Hasher(t).HashAddress("oops@example.org")
	if _, err := db.ExecContext(ctx, `UPDATE subscribers SET status = 'complained' WHERE id = $1`, sub.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO suppressions (email_hash, reason) VALUES ($1, 'complained')`, hash); err != nil {
		t.Fatal(err)
	}
	res, err := st.LiftSuppression(ctx, "oops@example.org", newsletter.Consent{Source: newsletter.SourceCLI})
	if err != nil || res.Reason != "complained" || res.SubscriberID != sub.ID {
		t.Fatalf("lift: %+v %v", res, err)
	}
	got, err := st.GetSubscriber(ctx, sub.ID)
	if err != nil || got.Status != newsletter.SubscriberUnsubscribed {
		t.Fatalf("after lifting: %+v %v", got, err)
	}
	if ok, err := st.IsSuppressed(ctx, "oops@example.org"); err != nil || ok {
		t.Fatalf("still suppressed: %v %v", ok, err)
	}
	if _, err := st.LiftSuppression(ctx, "oops@example.org", newsletter.Consent{Source: newsletter.SourceCLI}); !errors.Is(err, newsletter.ErrNotFound) {
		t.Fatalf("lifting it twice: %v", err)
	}
}
