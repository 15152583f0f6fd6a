package bounce_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/enews/enews/internal/bounce"
	"github.com/enews/enews/internal/delivery"
	"github.com/enews/enews/internal/links"
	"github.com/enews/enews/internal/mailer"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/smtptest"
)

// TestAsyncBouncesPauseTheSend sends an issue through a relay that takes
// every message; one recipient in ten bounces later, as a DSN to the
// message's own VERP return path. The send pauses itself once the hard
// bounce rate is above 5 % with at least 20 sent, and says why.
func TestAsyncBouncesPauseTheSend(t *testing.T) {
	t.Parallel()
	const n = 600
	w := newWorld(t, worldOptions{subscribers: n, pause: bounce.Thresholds{Hard: 0.05, Complaint: 0.003, MinSent: 20}})
	relay := smtptest.Start(t)
	log := slog.New(slog.DiscardHandler)
	pool, err := mailer.NewPool(mailer.Config{Host: relay.Host(), Port: relay.Port(), TLS: "none", From: "news@example.org",
		Connections: 2, ConnectTimeout: 2 * time.Second, SendTimeout: 5 * time.Second}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pool.Close(context.Background()) })
	l := links.New("https://news.example.org", w.signer)
	sender := delivery.NewMailSender(pool, l, listID, "eNewsUpdate", "").WithReturnAddresses(w.addrs)
	// A slow relay (100 messages a second) leaves the bounces time to
	// arrive while the send goes on, as they do in life.
	engine := delivery.New(w.st, w.lifecycle, sender, delivery.ClassifyMailError, delivery.Options{
		Owner: "test", BatchSize: 10, RatePerSecond: 100, Lease: time.Minute, MaxAttempts: 3,
		RetryBase: time.Millisecond, RetryMax: time.Millisecond, BounceThreshold: 1, PollInterval: 20 * time.Millisecond,
	}, log, nil)
	c, err := delivery.CompileIssue(w.issue, l)
	if err != nil {
		t.Fatal(err)
	}

	ctx, stopBouncing := context.WithCancel(context.Background())
	// The relay takes the next message only once every message before it
	// has been looked at and its DSN delivered, so the bounces keep pace
	// with the send however busy the machine is.
	var handled atomic.Int64
	relay.SetFaults(smtptest.Fault{Stage: smtptest.OnMail, Do: func() {
		for handled.Load() < int64(relay.Count()) && ctx.Err() == nil {
			time.Sleep(time.Millisecond)
		}
	}})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); w.bounceEveryTenth(t, ctx, relay, &handled) }()
	sum, err := engine.Run(context.Background(), w.issue, c, true)
	stopBouncing()
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}

	if sum.Stopped != newsletter.IssuePaused {
		t.Fatalf("run %+v: want it stopped by a pause", sum)
	}
	if sum.Sent < 20 || sum.Sent >= n {
		t.Errorf("sent %d of %d before the pause, want at least 20 and not all", sum.Sent, n)
	}
	is, err := w.st.IssueByPeriod(context.Background(), may2022)
	if err != nil || is.Status != newsletter.IssuePaused {
		t.Fatalf("issue %s (%v), want paused", is.Status, err)
	}
	history, err := w.st.IssueTransitions(context.Background(), is.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := history[len(history)-1]
	if last.Action != newsletter.ActionPause || last.Actor != bounce.Actor || !strings.Contains(last.Note, "hard bounce rate") {
		t.Errorf("last transition %+v, want a pause by %s naming the hard bounce rate", last, bounce.Actor)
	}
	t.Logf("paused after %d of %d sent: %s", sum.Sent, n, last.Note)
	rates, err := w.st.IssueBounceRates(context.Background(), is.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rates.Hard == 0 || rates.HardRate() <= 0.05 {
		t.Errorf("rates %+v: want a hard bounce rate above 5 %%", rates)
	}
	// /metrics shows the same rate.
	reg := prometheus.NewRegistry()
	if err := bounce.RegisterRates(reg, w.st); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`
# HELP enews_issue_bounce_rate Share of an issue's messages that hard-bounced (type=hard) or were reported as spam (type=complaint), for the latest issues.
# TYPE enews_issue_bounce_rate gauge
enews_issue_bounce_rate{period="2022-05",type="complaint"} 0
enews_issue_bounce_rate{period="2022-05",type="hard"} %g
`, rates.HardRate())
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "enews_issue_bounce_rate"); err != nil {
		t.Error(err)
	}
	// Every message carried its own VERP return path and mailto address.
	for _, m := range relay.Messages() {
		r, err := w.addrs.Parse(m.From)
		if err != nil || r.Kind != bounce.AddressBounce || r.IssueID != is.ID {
			t.Fatalf("envelope sender %q: %+v, %v", m.From, r, err)
		}
		sub, err := w.st.GetSubscriber(context.Background(), r.SubscriberID)
		if err != nil || sub.Email != m.To[0] {
			t.Fatalf("envelope sender %q names subscriber %d (%v), message went to %s", m.From, r.SubscriberID, err, m.To[0])
		}
		if lu := m.Header.Get("List-Unsubscribe"); !strings.Contains(lu, "<mailto:unsubscribe+") || !strings.Contains(lu, "@"+bounceDomain+"?subject=unsubscribe>") {
			t.Fatalf("List-Unsubscribe = %q, want the per-delivery mailto address", lu)
		}
	}
}

// bounceEveryTenth watches the relay and, for every tenth subscriber's
// message, delivers a Postfix DSN to the message's envelope sender.
func (w *world) bounceEveryTenth(t *testing.T, ctx context.Context, relay *smtptest.Server, handled *atomic.Int64) {
	seen := 0
	bad := map[string]bool{}
	for i := 10; i <= len(w.subs); i += 10 {
		bad[w.subs[i-1].Email] = true
	}
	byEmail := map[string]newsletter.Subscriber{}
	for _, s := range w.subs {
		byEmail[s.Email] = s
	}
	for {
		if err := relay.WaitFor(ctx, seen+1); err != nil {
			return
		}
		msgs := relay.Messages()
		for _, m := range msgs[seen:] {
			if !bad[m.To[0]] {
				continue
			}
			dsn := w.fixture(t, "postfix-dsn.eml", byEmail[m.To[0]], map[string]string{"{{RETURN_PATH}}": m.From,
				"{{MSGID}}": m.Header.Get("Message-Id")})
			if code, err := w.send(m.From, dsn); err != nil || code != 0 {
				t.Errorf("DSN for %s: reply %d, %v", m.To[0], code, err)
			}
		}
		seen = len(msgs)
		handled.Store(int64(seen))
	}
}
