package issues_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/enews/enews/internal/delivery"
	"github.com/enews/enews/internal/issues"
	"github.com/enews/enews/internal/links"
	"github.com/enews/enews/internal/mailer"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/poll"
	"github.com/enews/enews/internal/signing"
	"github.com/enews/enews/internal/smtptest"
)

// sender is a real SMTP server and a delivery engine sending to it.
type sender struct {
	smtp   *smtptest.Server
	engine *delivery.Engine
	links  *links.Links
}

func (f *fixture) sender(t *testing.T) *sender {
	t.Helper()
	srv := smtptest.Start(t)
	pool, err := mailer.NewPool(mailer.Config{Host: srv.Host(), Port: srv.Port(), TLS: "none", From: "news@example.org",
		Connections: 2, ConnectTimeout: 2 * time.Second, SendTimeout: 5 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pool.Close(context.Background()) })
	signer, err := signing.New([]byte(strings.Repeat("s", 32)))
	if err != nil {
		t.Fatal(err)
	}
	l := links.New("https://news.example.org", signer)
	ms := delivery.NewMailSender(pool, l, "enewsupdate.example.org", "eNewsUpdate", "")
	e := delivery.New(f.st, f.svc, ms, delivery.ClassifyMailError, delivery.Options{Owner: "test",
		BatchSize: 10, Lease: time.Minute, MaxAttempts: 3, RetryBase: time.Millisecond, RetryMax: 10 * time.Millisecond,
		BounceThreshold: 1, PollInterval: 50 * time.Millisecond}, slog.New(slog.NewTextHandler(t.Output(), nil)), nil)
	return &sender{smtp: srv, engine: e, links: l}
}

// sendNow runs the engine on p's issue until it is sent.
func (s *sender) sendNow(t *testing.T, f *fixture, p newsletter.Period) {
	t.Helper()
	is := f.issue(t, p)
	c, err := delivery.CompileIssue(is, s.links)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := s.engine.Run(context.Background(), is, c, true)
	if err != nil || !sum.Done {
		t.Fatalf("send: %+v, %v", sum, err)
	}
}

// eachOnce fails unless every subscriber got exactly one message.
func (s *sender) eachOnce(t *testing.T, n int) {
	t.Helper()
	got := map[string]int{}
	for _, m := range s.smtp.Messages() {
		for _, r := range m.To {
			got[r]++
		}
	}
	if len(got) != n {
		t.Fatalf("%d recipients, want %d", len(got), n)
	}
	for r, c := range got {
		if c != 1 {
			t.Fatalf("%s got %d messages", r, c)
		}
	}
}

// TestApprovalStartsTheSendOnARunningSender: with approval required, the
// draft waits while the senders run; approving it starts the send.
func TestApprovalStartsTheSendOnARunningSender(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 5, issues.Policy{RequireApproval: true})
	s := f.sender(t)
	f.create(t, may2022)
	w := delivery.NewWorker(s.engine, f.st, f.svc, s.links, 50*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	if _, err := f.svc.Send(context.Background(), may2022, issues.CreateOptions{Actor: "test"}); !errors.Is(err, newsletter.ErrConflict) ||
		!strings.Contains(err.Error(), "awaits approval") {
		t.Fatalf("send before approval: %v", err)
	}
	if _, err := f.svc.Approve(context.Background(), may2022, "cli:alice"); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, "the approved issue is sent", func() bool { return f.issue(t, may2022).Status == newsletter.IssueSent })
	s.eachOnce(t, f.n)
	log, err := f.st.IssueTransitions(context.Background(), f.issue(t, may2022).ID)
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, r := range log {
		steps = append(steps, string(r.Action)+" by "+strings.SplitN(r.Actor, ":", 2)[0])
	}
	if got := strings.Join(steps, ", "); got != "create by test, approve by cli, start by sender, complete by sender" {
		t.Fatalf("transitions: %s", got)
	}
}

// TestSkippedMonthRevived: an empty month is skipped; once its items are
// in, reopen makes it a draft holding them, and it sends once.
func TestSkippedMonthRevived(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, 4, issues.Policy{})
	s := f.sender(t)
	f.exec(t, `UPDATE items SET status = 'draft'`) // imported late: not published at issue time
	if is := f.create(t, may2022); is.Status != newsletter.IssueSkipped {
		t.Fatalf("empty month: %s", is.Status)
	}
	if _, err := f.svc.Send(ctx, may2022, issues.CreateOptions{Actor: "test"}); !errors.Is(err, newsletter.ErrConflict) ||
		!strings.Contains(err.Error(), "reopen") {
		t.Fatalf("send of a skipped month: %v", err)
	}
	f.exec(t, `UPDATE items SET status = 'published', updated_at = now()`)
	res, err := f.svc.Reopen(ctx, may2022, "test")
	if err != nil || res.Issue.Status != newsletter.IssueDraft || len(res.Issue.ItemIDs) != 3 || res.Issue.SkipReason != "" {
		t.Fatalf("reopen: %+v, %v", res.Issue, err)
	}
	if _, err := f.svc.Send(ctx, may2022, issues.CreateOptions{Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	s.sendNow(t, f, may2022)
	// A second send, a second create and a reopen change nothing more.
	if res, err := f.svc.Send(ctx, may2022, issues.CreateOptions{Actor: "test"}); err != nil || res.Issue.Status != newsletter.IssueSent {
		t.Fatalf("second send: %+v, %v", res, err)
	}
	if _, err := f.svc.Reopen(ctx, may2022, "test"); !errors.Is(err, newsletter.ErrConflict) {
		t.Fatalf("reopen of a sent issue: %v", err)
	}
	s.eachOnce(t, f.n)
}

// TestDraftFollowsItsItems: a draft shows an item edit after refresh, and
// on its own (RefreshStale, run by the leader); once approved it keeps the
// bytes it was approved with until it is reopened.
func TestDraftFollowsItsItems(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, 1, issues.Policy{RequireApproval: true})
	f.create(t, may2022)
	f.item(t, 1, "Item one, typo fixed")
	if res, err := f.svc.Refresh(ctx, may2022, "test"); err != nil || !strings.Contains(res.Issue.HTML, "Item one, typo fixed") {
		t.Fatalf("refresh: %v", err)
	}
	f.item(t, 2, "Item two, edited")
	if n, err := f.svc.RefreshStale(ctx, "scheduler"); err != nil || n != 1 {
		t.Fatalf("refresh stale: %d, %v", n, err)
	}
	if !strings.Contains(f.issue(t, may2022).HTML, "Item two, edited") {
		t.Fatal("the draft did not follow its item")
	}
	if n, err := f.svc.RefreshStale(ctx, "scheduler"); err != nil || n != 0 {
		t.Fatalf("nothing changed, yet refreshed %d, %v", n, err)
	}

	if _, err := f.svc.Approve(ctx, may2022, "test"); err != nil {
		t.Fatal(err)
	}
	f.item(t, 3, "Item three, edited after approval")
	if n, err := f.svc.RefreshStale(ctx, "scheduler"); err != nil || n != 0 {
		t.Fatalf("an approved issue was refreshed: %d, %v", n, err)
	}
	if _, err := f.svc.Refresh(ctx, may2022, "test"); !errors.Is(err, newsletter.ErrConflict) {
		t.Fatalf("refresh of an approved issue: %v", err)
	}
	for _, is := range []newsletter.Issue{f.issue(t, may2022), draft(t, f)} {
		if strings.Contains(is.HTML, "edited after approval") || !strings.Contains(is.HTML, "Item 3") {
			t.Fatal("an approved issue changed its bytes")
		}
	}
	if _, err := f.svc.Reopen(ctx, may2022, "test"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(draft(t, f).HTML, "edited after approval") {
		t.Fatal("the reopened issue does not show the edit")
	}
}

func draft(t *testing.T, f *fixture) newsletter.Issue {
	t.Helper()
	is, err := f.svc.Draft(context.Background(), may2022)
	if err != nil {
		t.Fatal(err)
	}
	return is
}

// TestConcurrentSendsJoin: two sends of one period at once both succeed
// with the one issue and one fan-out.
func TestConcurrentSendsJoin(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 20, issues.Policy{})
	var wg sync.WaitGroup
	results := make([]issues.Result, 4)
	errs := make([]error, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = f.svc.Send(context.Background(), may2022, issues.CreateOptions{Actor: "test"})
		}()
	}
	wg.Wait()
	var queued int64
	for i := range results {
		if errs[i] != nil || results[i].Issue.Status != newsletter.IssueSending {
			t.Fatalf("send %d: %+v, %v", i, results[i], errs[i])
		}
		queued += results[i].Deliveries
	}
	if queued != int64(f.n) {
		t.Fatalf("%d deliveries queued over all sends, want %d", queued, f.n)
	}
}

// TestRetryFailed requeues failed deliveries of active subscribers only.
func TestRetryFailed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, 5, issues.Policy{})
	f.to(t, may2022, newsletter.IssueSent)
	is := f.issue(t, may2022)
	f.exec(t, `UPDATE deliveries SET status = 'failed', last_reply = '451 outage' WHERE issue_id = $1`, is.ID)
	f.exec(t, `UPDATE subscribers SET status = s.status FROM (VALUES
		('user2@example.org', 'bounced'), ('user3@example.org', 'complained'), ('user4@example.org', 'unsubscribed')) AS s(email, status)
		WHERE subscribers.email = s.email`)
	f.exec(t, `DELETE FROM subscribers WHERE email = 'user5@example.org'`) // erased
	res, err := f.svc.RetryFailed(ctx, may2022, "test")
	if err != nil || res.Deliveries != 1 || res.Issue.Status != newsletter.IssueSending {
		t.Fatalf("retry failed: %+v, %v", res, err)
	}
	s := f.sender(t)
	s.sendNow(t, f, may2022)
	s.eachOnce(t, 1)
	if got := s.smtp.Messages()[0].To[0]; got != "user1@example.org" {
		t.Fatalf("retried %s", got)
	}
	// Nothing failed any more: refused, and the issue stays sent.
	if _, err := f.svc.RetryFailed(ctx, may2022, "test"); !errors.Is(err, newsletter.ErrConflict) ||
		!strings.Contains(err.Error(), "no failed delivery") {
		t.Fatalf("retry with nothing failed: %v", err)
	}
	if st := f.issue(t, may2022).Status; st != newsletter.IssueSent {
		t.Fatalf("status %s after a refused retry", st)
	}
}
