package bounce_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/jmoiron/sqlx"

	"github.com/enews/enews/internal/bounce"
	"github.com/enews/enews/internal/digest"
	"github.com/enews/enews/internal/issues"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/pgtest"
	"github.com/enews/enews/internal/signing"
	"github.com/enews/enews/internal/store"
)

var may2022 = newsletter.Period{Year: 2022, Month: time.May}

const (
	bounceDomain = "bounces.example.org"
	listID       = "enewsupdate.example.org"
)

// world is a database with subscribers who were all sent one issue, and a
// bounce listener in front of it.
type world struct {
	st        *store.Store
	db        *sqlx.DB
	signer    *signing.Signer
	addrs     *bounce.Addresses
	svc       *bounce.Service
	lifecycle *issues.Service
	issue     newsletter.Issue
	subs      []newsletter.Subscriber
	listen    string
}

type worldOptions struct {
	subscribers int
	status      string // the issue's status after the fan-out; "" leaves it sending
	sent        bool   // mark every delivery sent
	pause       bounce.Thresholds
	maxBytes    int64
}

func newWorld(t *testing.T, o worldOptions) *world {
	t.Helper()
	ctx := context.Background()
	st, db := pgtest.NewWithSQL(t)
	signer, err := signing.New([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := bounce.NewAddresses(bounceDomain, signer)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{st: st, db: db, signer: signer, addrs: addrs}
	for i := 1; i <= o.subscribers; i++ {
		sub, err := st.AddSubscriber(ctx, newsletter.Subscriber{Email: fmt.Sprintf("user%d@example.com", i)},
			newsletter.Consent{Source: newsletter.SourceCLI})
		if err != nil {
			t.Fatal(err)
		}
		w.subs = append(w.subs, sub)
	}
	w.lifecycle = lifecycle(t, st)
	res, err := w.lifecycle.Send(ctx, may2022, issues.CreateOptions{Actor: "test"})
	if err != nil || res.Issue.Status != newsletter.IssueSending {
		t.Fatalf("send: %s, %v", res.Issue.Status, err)
	}
	w.issue = res.Issue
	if o.sent {
		w.exec(t, `UPDATE deliveries SET status = 'sent', sent_at = now(),
			message_id = '<enews.' || issue_id || '.' || subscriber_id || '@`+listID+`>'`)
	}
	if o.status != "" {
		w.exec(t, `UPDATE issues SET status = $1`, o.status)
	}
	if o.maxBytes == 0 {
		o.maxBytes = 64 << 10
	}
	w.svc = bounce.NewService(st, addrs, bounce.Config{
		Policy: store.BouncePolicy{HardThreshold: 1, SoftThreshold: 2, SoftWindow: time.Hour},
		Pause:  o.pause,
	}, w.lifecycle, nil, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := bounce.NewListener(w.svc, addrs, bounce.ListenerConfig{MaxMessageBytes: o.maxBytes}, nil)
	lctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Serve(lctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("listener: %v", err)
		}
	})
	w.listen = ln.Addr().String()
	return w
}

// lifecycle is the issue service over three published May 2022 items.
func lifecycle(t *testing.T, st *store.Store) *issues.Service {
	t.Helper()
	geneva, _ := time.LoadLocation("Europe/Zurich")
	var items []newsletter.Item
	for i := 1; i <= 3; i++ {
		items = append(items, newsletter.Item{Kind: "News", Title: fmt.Sprintf("Item %d", i), Summary: "Summary",
			URL: fmt.Sprintf("https://example.org/%d", i), PublishedAt: time.Date(2022, 5, 10+i, 10, 0, 0, 0, geneva),
			Status: newsletter.ItemPublished, Source: "test", ExternalID: fmt.Sprint(i)})
	}
	if _, err := st.UpsertItems(context.Background(), items); err != nil {
		t.Fatal(err)
	}
	r, err := digest.NewRenderer(digest.Config{ProductName: "ILO COOP", Location: geneva,
		OrgAddress: "Route des Morillons 4, Geneva", Reason: "You subscribed.", ProductURL: "https://example.org"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return issues.New(st, r, issues.Policy{Location: geneva, MaxItems: 30, MinItems: 1}, slog.New(slog.DiscardHandler), nil)
}

func (w *world) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if _, err := w.db.Exec(q, args...); err != nil {
		t.Fatal(err)
	}
}

func (w *world) returnPath(sub newsletter.Subscriber) string {
	return w.addrs.ReturnPath(w.issue.ID, sub.ID)
}

func (w *world) messageID(sub newsletter.Subscriber) string {
	return fmt.Sprintf("<enews.%d.%d@%s>", w.issue.ID, sub.ID, listID)
}

// fixture reads testdata/name and fills in the delivery of sub.
func (w *world) fixture(t *testing.T, name string, sub newsletter.Subscriber, extra map[string]string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	unsub := strings.TrimSuffix(strings.TrimPrefix(w.addrs.UnsubscribeMailto(w.issue.ID, sub.ID), "mailto:"), "?subject=unsubscribe")
	local, _, _ := strings.Cut(sub.Email, "@")
	pairs := []string{"{{RETURN_PATH}}", w.returnPath(sub), "{{RCPT}}", sub.Email, "{{RCPT_LOCAL}}", local,
		"{{MSGID}}", w.messageID(sub), "{{UNSUBSCRIBE}}", unsub, "{{BARE}}", "bounces@" + bounceDomain}
	for k, v := range extra {
		pairs = append([]string{k, v}, pairs...)
	}
	return strings.NewReplacer(pairs...).Replace(string(b))
}

// deliver sends msg over SMTP to rcpt and returns the listener's SMTP
// error code for the first refused step (0 when the message was taken).
func (w *world) deliver(t *testing.T, rcpt, msg string) int {
	t.Helper()
	code, err := w.send(rcpt, msg)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// send is deliver for any goroutine: an error is a failure to talk SMTP.
func (w *world) send(rcpt, msg string) (int, error) {
	c, err := smtp.Dial(w.listen)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if err := c.Hello("mx.example.net"); err != nil {
		return 0, err
	}
	step := func(err error) (int, error) {
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			return se.Code, nil
		}
		return 0, fmt.Errorf("SMTP: %w (not an SMTP reply)", err)
	}
	if err := c.Mail("", nil); err != nil {
		return step(err)
	}
	if err := c.Rcpt(rcpt, nil); err != nil {
		return step(err)
	}
	wc, err := c.Data()
	if err != nil {
		return step(err)
	}
	if _, err := wc.Write([]byte(msg)); err != nil {
		return step(err)
	}
	if err := wc.Close(); err != nil {
		return step(err)
	}
	_ = c.Quit()
	return 0, nil
}

// snapshot is everything a report could change.
func (w *world) snapshot(t *testing.T) string {
	t.Helper()
	var rows []string
	if err := w.db.Select(&rows, `
		SELECT 'subscriber ' || id || ' ' || status || ' ' || bounce_count FROM subscribers
		UNION ALL SELECT 'bounces ' || count(*) FROM bounces
		UNION ALL SELECT 'consent ' || count(*) FROM consent_events
		UNION ALL SELECT 'suppressions ' || count(*) FROM suppressions
		UNION ALL SELECT 'issue ' || status FROM issues`); err != nil {
		t.Fatal(err)
	}
	return strings.Join(rows, "\n")
}

func (w *world) status(t *testing.T, sub newsletter.Subscriber) string {
	t.Helper()
	got, err := w.st.GetSubscriber(context.Background(), sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got.Status
}

func (w *world) events(t *testing.T, sub newsletter.Subscriber) string {
	t.Helper()
	evs, err := w.st.ConsentEvents(context.Background(), sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Event+"/"+e.Source)
	}
	return strings.Join(out, " ")
}
