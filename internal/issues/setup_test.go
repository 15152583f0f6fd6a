package issues_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/enews/enews/internal/digest"
	"github.com/enews/enews/internal/issues"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/pgtest"
	"github.com/enews/enews/internal/store"
	"github.com/jmoiron/sqlx"
)

var (
	may2022  = newsletter.Period{Year: 2022, Month: time.May}
	june2022 = newsletter.Period{Year: 2022, Month: time.June} // no items: skipped
)

// fixture is a real database with n active subscribers, three published
// items in May 2022 and the lifecycle service over them.
type fixture struct {
	st  *store.Store
	db  *sqlx.DB // plain SQL behind the store's back
	svc *issues.Service
	loc *time.Location
	n   int
}

func newFixture(t *testing.T, n int, policy issues.Policy) *fixture {
	t.Helper()
	ctx := context.Background()
	st, db := pgtest.NewWithSQL(t)
	if _, err := db.ExecContext(ctx, `INSERT INTO subscribers (email, name, status)
		SELECT 'user' || g || '@example.org', 'User ' || g, 'active' FROM generate_series(1, $1) g`, n); err != nil {
		t.Fatal(err)
	}
	geneva, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, db: db, loc: geneva, n: n}
	for i := 1; i <= 3; i++ {
		f.item(t, i, fmt.Sprintf("Item %d", i))
	}
	r, err := digest.NewRenderer(digest.Config{ProductName: "ILO COOP", Location: geneva,
		OrgAddress: "Route des Morillons 4, Geneva", Reason: "You subscribed.", ProductURL: "https://example.org"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	policy.Location = geneva
	if policy.MinItems == 0 {
		policy.MinItems = 1
	}
	f.svc = issues.New(st, r, policy, slog.New(slog.NewTextHandler(t.Output(), nil)), nil)
	return f
}

// item publishes (or edits) May item i with title.
func (f *fixture) item(t *testing.T, i int, title string) {
	t.Helper()
	it := newsletter.Item{Kind: "News", Title: title, Summary: "Summary", URL: fmt.Sprintf("https://example.org/%d", i),
		PublishedAt: time.Date(2022, 5, 10+i, 10, 0, 0, 0, f.loc), Status: newsletter.ItemPublished,
		Source: "test", ExternalID: fmt.Sprint(i)}
	if _, err := f.st.UpsertItems(context.Background(), []newsletter.Item{it}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) issue(t *testing.T, p newsletter.Period) newsletter.Issue {
	t.Helper()
	is, err := f.st.IssueByPeriod(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return is
}

func (f *fixture) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if _, err := f.db.ExecContext(context.Background(), q, args...); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) create(t *testing.T, p newsletter.Period) newsletter.Issue {
	t.Helper()
	is, _, err := f.svc.Create(context.Background(), p, issues.CreateOptions{Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return is
}

// to brings p's issue into status along real transitions only.
func (f *fixture) to(t *testing.T, p newsletter.Period, status string) {
	t.Helper()
	ctx := context.Background()
	do := func(fn func(context.Context, newsletter.Period, string) (issues.Result, error)) {
		t.Helper()
		if _, err := fn(ctx, p, "test"); err != nil {
			t.Fatal(err)
		}
	}
	if status == newsletter.IssueSkipped {
		if is := f.create(t, june2022); is.Status != newsletter.IssueSkipped {
			t.Fatalf("empty month: %s", is.Status)
		}
		return
	}
	f.create(t, p)
	switch status {
	case newsletter.IssueCancelled:
		do(f.svc.Cancel)
	case newsletter.IssueApproved, newsletter.IssueSending, newsletter.IssuePaused, newsletter.IssueSent:
		do(f.svc.Approve)
	}
	switch status {
	case newsletter.IssueSending, newsletter.IssuePaused, newsletter.IssueSent:
		do(f.svc.Start)
	}
	switch status {
	case newsletter.IssuePaused:
		do(f.svc.Pause)
	case newsletter.IssueSent:
		is := f.issue(t, p)
		f.exec(t, `UPDATE deliveries SET status = 'sent', sent_at = now() WHERE issue_id = $1`, is.ID)
		if ok, err := f.svc.Complete(ctx, is.ID, p, "test"); err != nil || !ok {
			t.Fatalf("complete: %v %v", ok, err)
		}
	}
	if got := f.issue(t, periodFor(status)).Status; got != status {
		t.Fatalf("set up %s, got %s", status, got)
	}
}

func periodFor(status string) newsletter.Period {
	if status == newsletter.IssueSkipped {
		return june2022
	}
	return may2022
}
