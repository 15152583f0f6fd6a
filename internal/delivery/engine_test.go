package delivery_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/pgtest"
	"github.com/enews/enews/internal/poll"
	"github.com/enews/enews/internal/smtptest"
)

func assertEachOnce(t *testing.T, f *fixture, except map[string]bool) {
	t.Helper()
	got := f.received()
	for i := 1; i <= f.n; i++ {
		addr := fmt.Sprintf("user%d@example.org", i)
		want := 1
		if except[addr] {
			want = 0
		}
		if got[addr] != want {
			t.Errorf("%s received %d times, want %d", addr, got[addr], want)
		}
	}
}

func TestEverySubscriberOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 120)
	e, c := f.engine(t, f.opts("a"))
	sum, err := e.Run(context.Background(), f.issue, c, true)
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Done || sum.Sent != 120 {
		t.Fatalf("summary %+v, want 120 sent and done", sum)
	}
	// Each copy links its own reader's unsubscribe and manage pages.
	var ids []int64
	f.query(t, &ids, `SELECT id FROM subscribers WHERE email = 'user7@example.org'`)
	found := false
	for _, m := range f.smtp.Messages() {
		if len(ids) != 1 || len(m.To) != 1 || m.To[0] != "user7@example.org" {
			continue
		}
		found = true
		body := strings.ReplaceAll(string(m.Data), "=\r\n", "") // undo quoted-printable's soft breaks
		for _, link := range []string{f.links.Manage(ids[0]), f.links.Unsubscribe(ids[0])} {
			if !strings.Contains(body, link) {
				t.Errorf("user7's copy lacks %s", link)
			}
		}
	}
	if !found {
		t.Error("no copy for user7 to look at")
	}
	assertEachOnce(t, f, nil)
	if st := f.issueStatus(t); st != newsletter.IssueSent {
		t.Fatalf("issue %s, want sent", st)
	}
	if n := f.smtp.Connections(); n > 4 {
		t.Fatalf("%d SMTP connections for 120 messages, want at most 4 (reused)", n)
	}
	msg := f.smtp.Messages()[0]
	for _, h := range []string{"List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", "Message-Id"} {
		if msg.Header.Get(h) == "" {
			t.Errorf("header %s missing", h)
		}
	}
	if strings.Contains(string(msg.Data), "ENEWS_") {
		t.Error("a placeholder token reached the recipient")
	}
	// A rerun of a sent issue sends nothing more.
	sum, err = e.Run(context.Background(), f.issue, c, true)
	if err != nil || sum.Sent != 0 || f.smtp.Count() != 120 {
		t.Fatalf("rerun sent %d (server has %d), err %v", sum.Sent, f.smtp.Count(), err)
	}
}

func TestTemporaryFailuresAreRetriedUntilDelivered(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 100)
	f.smtp.SetFaults(smtptest.Fault{Stage: smtptest.OnRcpt, Fraction: 0.1, Code: 451, Enhanced: "4.3.0", Message: "try later"})
	e, c := f.engine(t, f.opts("a"))
	sum, err := e.Run(context.Background(), f.issue, c, true)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Retried == 0 {
		t.Fatal("no 451 was injected; the test proves nothing")
	}
	if !sum.Done {
		t.Fatalf("not done: %+v", sum)
	}
	assertEachOnce(t, f, nil)
}

func TestPermanentFailuresFailAtOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 30)
	bad := map[string]bool{"user3@example.org": true, "user7@example.org": true}
	f.smtp.SetFaults(smtptest.Permanent(smtptest.OnRcpt, smtptest.Recipients("user3@example.org", "user7@example.org")))
	e, c := f.engine(t, f.opts("a"))
	sum, err := e.Run(context.Background(), f.issue, c, true)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Failed != 2 || sum.Retried != 0 || !sum.Done {
		t.Fatalf("summary %+v, want 2 failed, 0 retried, done", sum)
	}
	assertEachOnce(t, f, bad)
	var rows []struct {
		Attempts int    `db:"attempts"`
		Reply    string `db:"last_reply"`
		Sub      string `db:"status"`
	}
	f.query(t, &rows, `SELECT d.attempts, d.last_reply, s.status FROM deliveries d
		JOIN subscribers s ON s.id = d.subscriber_id WHERE d.status = 'failed'`)
	if len(rows) != 2 {
		t.Fatalf("failed rows %v, want 2", rows)
	}
	for _, r := range rows {
		if r.Attempts != 1 || !strings.Contains(r.Reply, "550") || r.Sub != newsletter.SubscriberBounced {
			t.Errorf("failed delivery %+v: want 1 attempt, the 550 reply stored, subscriber bounced", r)
		}
	}
	// Like every change of status, the bounce is in the consent log.
	var events []struct {
		Event  string `db:"event"`
		Source string `db:"source"`
		Hash   string `db:"email_hash"`
		Email  string `db:"email"`
	}
	f.query(t, &events, `SELECT c.event, c.source, c.email_hash, s.email FROM consent_events c
		JOIN subscribers s ON s.id = c.subscriber_id ORDER BY s.email`)
	if len(events) != 2 {
		t.Fatalf("consent events %+v, want one per bounced subscriber", events)
	}
	for _, ev := range events {
		if ev.Event != newsletter.EventBounced || ev.Source != newsletter.SourceDelivery || !bad[ev.Email] ||
			ev.Hash != pgtest.Hasher(t).HashAddress(ev.Email) {
			t.Errorf("consent event %+v: want bounced by delivery, keyed hash of a bounced address", ev)
		}
	}
}

func TestTwoEnginesShareOneIssue(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 200)
	e1, c1 := f.engine(t, f.opts("one"))
	e2, c2 := f.engine(t, f.opts("two"))
	var wg sync.WaitGroup
	sums := make([]int64, 2)
	for i, run := range []func() (int64, error){
		func() (int64, error) { s, err := e1.Run(context.Background(), f.issue, c1, true); return s.Sent, err },
		func() (int64, error) { s, err := e2.Run(context.Background(), f.issue, c2, true); return s.Sent, err },
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := run()
			if err != nil {
				t.Error(err)
			}
			sums[i] = n
		}()
	}
	wg.Wait()
	if sums[0]+sums[1] != 200 {
		t.Fatalf("engines sent %d + %d, want 200 in all", sums[0], sums[1])
	}
	assertEachOnce(t, f, nil)
}

func TestUnsubscribedAfterFanOutIsSkipped(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	if _, err := f.db.Exec(`UPDATE subscribers SET status = 'unsubscribed' WHERE email = 'user4@example.org'`); err != nil {
		t.Fatal(err)
	}
	e, c := f.engine(t, f.opts("a"))
	sum, err := e.Run(context.Background(), f.issue, c, true)
	if err != nil || sum.Skipped != 1 || sum.Sent != 9 || !sum.Done {
		t.Fatalf("summary %+v, %v: want 9 sent, 1 skipped", sum, err)
	}
	assertEachOnce(t, f, map[string]bool{"user4@example.org": true})
}

func TestStopDrainsWithoutDuplicates(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 150)
	ctx, cancel := context.WithCancel(context.Background())
	e, c := f.engine(t, f.opts("a"))
	done := make(chan error, 1)
	go func() { _, err := e.Run(ctx, f.issue, c, true); done <- err }()
	poll.Until(t, "the condition", func() bool { return f.smtp.Count() >= 20 })
	cancel() // what SIGTERM does in the CLI
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s := f.stats(t); s.ByStatus[newsletter.DeliverySending] != 0 {
		t.Fatalf("%d leases left after a clean stop", s.ByStatus[newsletter.DeliverySending])
	}
	e2, c2 := f.engine(t, f.opts("b"))
	if _, err := e2.Run(context.Background(), f.issue, c2, true); err != nil {
		t.Fatal(err)
	}
	assertEachOnce(t, f, nil)
	if s := f.stats(t); s.InDoubt != 0 {
		t.Fatalf("%d deliveries in doubt after a clean stop, want 0", s.InDoubt)
	}
}

func TestPauseStopsAndResumeFinishes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 100)
	f.smtp.SetFaults(smtptest.Fault{Stage: smtptest.OnData, Code: 451, Enhanced: "4.3.0", Message: "slow down", Fraction: 0.5})
	ctx := context.Background()
	if _, err := f.svc.Pause(ctx, f.issue.Period, "test"); err != nil {
		t.Fatal(err)
	}
	e, c := f.engine(t, f.opts("a"))
	sum, err := e.Run(ctx, f.issue, c, true)
	if err != nil || sum.Stopped != newsletter.IssuePaused || sum.Sent != 0 {
		t.Fatalf("paused run: %+v, %v", sum, err)
	}
	if _, err := f.svc.Resume(ctx, f.issue.Period, "test"); err != nil {
		t.Fatal(err)
	}
	f.smtp.ClearFaults()
	sum, err = e.Run(ctx, f.issue, c, true)
	if err != nil || !sum.Done {
		t.Fatalf("resumed run: %+v, %v", sum, err)
	}
	assertEachOnce(t, f, nil)
}
