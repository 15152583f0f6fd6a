package schedule_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // the tests must not depend on the machine's zoneinfo

	"github.com/enews/enews/internal/digest"
	"github.com/enews/enews/internal/issues"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/pgtest"
	"github.com/enews/enews/internal/schedule"
	"github.com/enews/enews/internal/store"
	"github.com/jmoiron/sqlx"
)

func zurich(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func period(s string) newsletter.Period {
	p, err := newsletter.ParsePeriod(s)
	if err != nil {
		panic(err)
	}
	return p
}

// clock is a settable clock, so no test waits for a month to end.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// starter sends for real through the lifecycle service (approve, start,
// fan-out) and counts the issues it started, not those it joined.
type starter struct {
	svc     *issues.Service
	st      *store.Store
	mu      sync.Mutex
	started []newsletter.Period
}

func (s *starter) Send(ctx context.Context, p newsletter.Period, opts issues.CreateOptions) (issues.Result, error) {
	before, err := s.st.IssueByPeriod(ctx, p)
	if err != nil {
		return issues.Result{}, err
	}
	res, err := s.svc.Send(ctx, p, opts)
	if err != nil {
		return res, err
	}
	if before.Status != newsletter.IssueSending && before.Status != newsletter.IssueSent {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.started = append(s.started, p)
	}
	return res, nil
}

func (s *starter) count() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.started) }

type notifier struct {
	mu   sync.Mutex
	told []newsletter.Period
}

func (n *notifier) count() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.told)
}

func (n *notifier) AwaitingApproval(_ context.Context, is newsletter.Issue) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.told = append(n.told, is.Period)
	return nil
}

// replica is what one enews process schedules with: its own pool on the
// shared database, the real issue service, and recording collaborators.
type replica struct {
	st       *store.Store
	db       *sqlx.DB // plain SQL behind the store's back
	issues   *issues.Service
	policy   issues.Policy
	starter  *starter
	notifier *notifier
	log      *slog.Logger
}

func newReplica(t *testing.T, url string, policy issues.Policy) *replica {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{URL: url, MaxOpenConns: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if policy.Location == nil {
		policy.Location = zurich(t)
	}
	r, err := digest.NewRenderer(digest.Config{ProductName: "ILO COOP", ProductURL: "https://example.org",
		OrgAddress: "Route des Morillons 4, Geneva", Reason: "You subscribed.", Location: policy.Location}, nil)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	svc := issues.New(st, r, policy, log, nil)
	return &replica{st: st, db: pgtest.SQL(t, url), issues: svc, policy: policy,
		starter: &starter{svc: svc, st: st}, notifier: &notifier{}, log: log}
}

// scheduler builds a scheduler on the replica; cfg's zero fields get the
// Zurich zone and the default spec.
func (r *replica) scheduler(t *testing.T, cfg schedule.Config) *schedule.Scheduler {
	t.Helper()
	if cfg.Spec == "" {
		cfg.Spec = "0 9 1 * *"
	}
	if cfg.Location == nil {
		cfg.Location = zurich(t)
	}
	cfg.RequireApproval = r.policy.RequireApproval
	s, err := schedule.New(cfg, schedule.Deps{Creator: r.issues, Reader: r.st, Sender: r.starter, Notifier: r.notifier}, r.log)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// publish adds one published item at each time.
func (r *replica) publish(t *testing.T, at ...time.Time) {
	t.Helper()
	var items []newsletter.Item
	for _, when := range at {
		id := fmt.Sprint(when.Unix())
		items = append(items, newsletter.Item{Kind: "News", Title: "Item " + id, Summary: "Summary",
			URL: "https://example.org/" + id, PublishedAt: when, Status: newsletter.ItemPublished,
			Source: "test", ExternalID: id})
	}
	if _, err := r.st.UpsertItems(context.Background(), items); err != nil {
		t.Fatal(err)
	}
}

// publishIn adds one published item in the middle of each period, so that
// its issue is a real one rather than a skipped empty month.
func (r *replica) publishIn(t *testing.T, periods ...newsletter.Period) {
	t.Helper()
	for _, p := range periods {
		start, _ := p.Bounds(zurich(t))
		r.publish(t, start.AddDate(0, 0, 14))
	}
}

func (r *replica) issueList(t *testing.T) []newsletter.Issue {
	t.Helper()
	list, err := r.st.ListIssues(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// start runs fn until the returned stop is called (or the test ends) and
// waits for it to return, so nothing logs after the test is over.
func start(t *testing.T, fn func(ctx context.Context) error) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := fn(ctx); err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}
