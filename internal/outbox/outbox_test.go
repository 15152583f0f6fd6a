package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/enews/enews/internal/mailer"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/outbox"
	"github.com/enews/enews/internal/pgtest"
	"github.com/enews/enews/internal/smtptest"
	"github.com/enews/enews/internal/store"
)

type env struct {
	st   *store.Store
	db   *sqlx.DB
	smtp *smtptest.Server
	pool *mailer.Pool
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{smtp: smtptest.Start(t)}
	e.st, e.db = pgtest.NewWithSQL(t)
	var err error
	e.pool, err = mailer.NewPool(mailer.Config{Host: e.smtp.Host(), Port: e.smtp.Port(), TLS: mailer.TLSNone,
		From: "eNewsUpdate <news@example.org>", ConnectTimeout: 2 * time.Second, SendTimeout: 5 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.pool.Close(context.Background()) })
	return e
}

func (e *env) outbox() *outbox.Outbox {
	return outbox.New(e.st, e.pool, outbox.Options{Interval: 50 * time.Millisecond,
		RetryBase: 50 * time.Millisecond, RetryMax: 200 * time.Millisecond, MessageIDDomain: "list.example.org"}, nil)
}

func message(to string) *mailer.Message {
	return &mailer.Message{To: to, Subject: "Confirm your subscription", Text: []byte("Follow https://example.org/confirm/x")}
}

func TestSendNow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	box := e.outbox()
	m, err := box.SendNow(ctx, newsletter.MailConfirmation, message("ana@example.org"), 10*time.Second)
	if err != nil || m.Status != newsletter.OutboxSent || m.Attempts != 1 || m.SentAt == nil {
		t.Fatalf("send now: %+v, %v", m, err)
	}
	got := e.smtp.Messages()
	if len(got) != 1 || got[0].To[0] != "ana@example.org" {
		t.Fatalf("relay got %d messages: %+v", len(got), got)
	}
	if id := got[0].Header.Get("Message-Id"); id != fmt.Sprintf("<enews.outbox.%d@list.example.org>", m.ID) {
		t.Errorf("Message-ID %q: want one stable per outbox row", id)
	}
	// Once sent, the body (and its live link) is not kept.
	var body string
	if err := e.db.GetContext(ctx, &body, `SELECT mail::text FROM outbox WHERE id = $1`, m.ID); err != nil || strings.Contains(body, "confirm/x") {
		t.Errorf("stored body after sending: %q, %v", body, err)
	}
}

func TestRefusedForGood(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.smtp.SetFaults(smtptest.Permanent(smtptest.OnRcpt, nil))
	m, err := e.outbox().SendNow(ctx, newsletter.MailTestCopy, message("gone@example.org"), 10*time.Second)
	if !errors.Is(err, outbox.ErrRefused) || m.Status != newsletter.OutboxFailed || !strings.Contains(m.LastError, "550") {
		t.Fatalf("5xx: %+v, %v: want failed with the reply", m, err)
	}
	b, err := e.st.OutboxBacklog(ctx)
	if err != nil || b.Pending != 0 || b.FailedRecent != 1 || !strings.Contains(b.LastError, "550") {
		t.Fatalf("backlog: %+v, %v", b, err)
	}
}

// A relay that is down keeps the message queued and visible; when it comes
// back the message goes out once.
func TestRelayDownThenBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	box := e.outbox()
	e.smtp.Stop()
	m, err := box.SendNow(ctx, newsletter.MailConfirmation, message("ben@example.org"), 500*time.Millisecond)
	if err != nil || m.Status != newsletter.OutboxPending || m.Attempts < 2 || m.LastError == "" {
		t.Fatalf("relay down: %+v, %v: want pending after retries, with the error", m, err)
	}
	b, err := e.st.OutboxBacklog(ctx)
	if err != nil || b.Pending != 1 || b.Retrying != 1 || b.OldestPending == nil || b.LastError == "" {
		t.Fatalf("backlog while down: %+v, %v", b, err)
	}
	if err := e.smtp.Restart(); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- box.Run(wctx) }()
	sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
	defer scancel()
	if err := e.smtp.WaitFor(sctx, 1); err != nil {
		t.Fatalf("relay back: message not sent: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if b, err := e.st.OutboxBacklog(ctx); err != nil || b.Pending != 0 || b.FailedRecent != 0 {
		t.Fatalf("backlog after: %+v, %v", b, err)
	}
	if n := e.smtp.Count(); n != 1 {
		t.Fatalf("relay got %d copies, want 1", n)
	}
}

func TestTemporaryReplyRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := smtptest.Temporary(smtptest.OnRcpt, nil)
	f.Times = 2
	e.smtp.SetFaults(f)
	m, err := e.outbox().SendNow(context.Background(), newsletter.MailApprovalCheck, message("cy@example.org"), 20*time.Second)
	if err != nil || m.Status != newsletter.OutboxSent || m.Attempts < 2 || e.smtp.Count() != 1 {
		t.Fatalf("two 451s then accepted: %+v, %v, %d copies: want sent once after a retry", m, err, e.smtp.Count())
	}
}

// Two workers over one table send every message exactly once.
func TestWorkersShareTheTable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	a, b := e.outbox(), e.outbox()
	const n = 30
	for i := range n {
		if _, err := a.Enqueue(ctx, newsletter.MailConfirmation, message(fmt.Sprintf("r%d@example.org", i))); err != nil {
			t.Fatal(err)
		}
	}
	wctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, box := range []*outbox.Outbox{a, b} {
		wg.Go(func() { _ = box.Run(wctx) })
	}
	sctx, scancel := context.WithTimeout(ctx, 60*time.Second)
	defer scancel()
	err := e.smtp.WaitFor(sctx, n)
	cancel()
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, m := range e.smtp.Messages() {
		seen[m.To[0]]++
	}
	for addr, c := range seen {
		if c != 1 {
			t.Errorf("%s got %d copies", addr, c)
		}
	}
	if len(seen) != n || e.smtp.Count() != n {
		t.Errorf("relay got %d messages for %d addresses, want %d", e.smtp.Count(), len(seen), n)
	}
}
