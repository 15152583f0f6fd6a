package delivery_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/enews/enews/internal/delivery"
	"github.com/enews/enews/internal/digest"
	"github.com/enews/enews/internal/issues"
	"github.com/enews/enews/internal/links"
	"github.com/enews/enews/internal/mailer"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/pgtest"
	"github.com/enews/enews/internal/signing"
	"github.com/enews/enews/internal/smtptest"
	"github.com/enews/enews/internal/store"
)

var may2022 = newsletter.Period{Year: 2022, Month: time.May}

// fixture is a real database with n active subscribers and a May 2022 issue
// in the sending state, and a real SMTP server.
type fixture struct {
	st    *store.Store
	db    *sqlx.DB // plain SQL behind the store's back
	url   string   // the database, for a sender in another process
	svc   *issues.Service
	smtp  *smtptest.Server
	links *links.Links
	issue newsletter.Issue
	n     int
	log   *slog.Logger
}

func newFixture(t *testing.T, n int) *fixture {
	t.Helper()
	return newFixtureAt(t, pgtest.NewURL(t), n)
}

// newFixtureAt is newFixture on the migrated database at url (which may
// carry run-time parameters such as statement_timeout).
func newFixtureAt(t *testing.T, url string, n int) *fixture {
	t.Helper()
	ctx := context.Background()
	st := openStore(t, url)
	db := pgtest.SQL(t, url)
	_, err := db.ExecContext(ctx, `INSERT INTO subscribers (email, name, status)
		SELECT 'user' || g || '@example.org', 'User ' || g, 'active' FROM generate_series(1, $1) g`, n)
	if err != nil {
		t.Fatal(err)
	}
	geneva, _ := time.LoadLocation("Europe/Zurich")
	var items []newsletter.Item
	for i := 1; i <= 3; i++ {
		items = append(items, newsletter.Item{Kind: "News", Title: fmt.Sprintf("Item %d", i), Summary: "Summary",
			URL: fmt.Sprintf("https://example.org/%d", i), PublishedAt: time.Date(2022, 5, 10+i, 10, 0, 0, 0, geneva),
			Status: newsletter.ItemPublished, Source: "test", ExternalID: fmt.Sprint(i)})
	}
	if _, err := st.UpsertItems(ctx, items); err != nil {
		t.Fatal(err)
	}
	r, err := digest.NewRenderer(digest.Config{ProductName: "ILO COOP", Location: geneva,
		OrgAddress: "Route des Morillons 4, Geneva", Reason: "You subscribed.", ProductURL: "https://example.org"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	svc := issues.New(st, r, issues.Policy{Location: geneva, MaxItems: 30, MinItems: 1}, log, nil)
	res, err := svc.Send(ctx, may2022, issues.CreateOptions{Actor: "test"})
	if err != nil || res.Issue.Status != newsletter.IssueSending || res.Deliveries != int64(n) {
		t.Fatalf("send issue: %+v, %v", res, err)
	}
	is := res.Issue
	signer, err := signing.New([]byte(strings.Repeat("s", 32)))
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{st: st, db: db, url: url, svc: svc, smtp: smtptest.Start(t, smtptest.WithSeed(7)), links: links.New("https://news.example.org", signer),
		issue: is, n: n, log: log}
}

// fixtureConnections is the pool size, and so the number of senders, an
// engine gets unless a test changes it.
const fixtureConnections = 4

func (f *fixture) opts(owner string) delivery.Options {
	return delivery.Options{Owner: owner, BatchSize: 25, Lease: time.Minute, MaxAttempts: 50,
		RetryBase: 5 * time.Millisecond, RetryMax: 50 * time.Millisecond, BounceThreshold: 1, PollInterval: 50 * time.Millisecond}
}

func (f *fixture) engine(t *testing.T, opts delivery.Options) (*delivery.Engine, *delivery.Compiled) {
	t.Helper()
	return f.engineWith(t, opts, func(cfg *mailer.Config) { cfg.ConnectTimeout, cfg.SendTimeout = 2*time.Second, 5*time.Second })
}

// engineWith lets a test set the mailer's settings (4 connections unless
// changed); with no timeouts set the mailer uses its defaults (RFC 5321's).
func (f *fixture) engineWith(t *testing.T, opts delivery.Options, mail func(*mailer.Config)) (*delivery.Engine, *delivery.Compiled) {
	t.Helper()
	cfg := mailer.Config{Host: f.smtp.Host(), Port: f.smtp.Port(), TLS: "none", From: "news@example.org", Connections: fixtureConnections}
	if mail != nil {
		mail(&cfg)
	}
	pool, err := mailer.NewPool(cfg, f.log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pool.Close(context.Background()) })
	c, err := delivery.CompileIssue(f.issue, f.links)
	if err != nil {
		t.Fatal(err)
	}
	sender := delivery.NewMailSender(pool, f.links, "enewsupdate.example.org", "eNewsUpdate", "")
	return delivery.New(f.st, f.svc, sender, delivery.ClassifyMailError, opts, f.log, nil), c
}

// received counts messages per recipient at the SMTP server.
func (f *fixture) received() map[string]int {
	got := map[string]int{}
	for _, m := range f.smtp.Messages() {
		for _, r := range m.To {
			got[r]++
		}
	}
	return got
}

func (f *fixture) stats(t *testing.T) newsletter.DeliveryStats {
	t.Helper()
	s, err := f.st.Stats(context.Background(), f.issue.ID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *fixture) issueStatus(t *testing.T) string {
	t.Helper()
	s, err := f.st.IssueStatus(context.Background(), f.issue.ID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// query runs a read-only query against the fixture's database.
func (f *fixture) query(t *testing.T, dst any, q string, args ...any) {
	t.Helper()
	if err := f.db.SelectContext(context.Background(), dst, q, args...); err != nil {
		t.Fatal(err)
	}
}

func openStore(t *testing.T, url string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{URL: url, MaxOpenConns: 20, Hasher: pgtest.Hasher(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// slowRelay makes the server take d over every message's final reply.
func slowRelay(d time.Duration) smtptest.Fault {
	return smtptest.Fault{Stage: smtptest.OnData, Do: func() { time.Sleep(d) }}
}

// duplicates counts copies beyond the first, and subscribers who got none.
func (f *fixture) duplicates() (extra, missing int) {
	got := f.received()
	for i := 1; i <= f.n; i++ {
		switch n := got[fmt.Sprintf("user%d@example.org", i)]; {
		case n == 0:
			missing++
		case n > 1:
			extra += n - 1
		}
	}
	return extra, missing
}
