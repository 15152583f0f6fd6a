package schedule_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/enews/enews/internal/content"
	"github.com/enews/enews/internal/issues"
	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/pgtest"
	"github.com/enews/enews/internal/schedule"
	"github.com/enews/enews/internal/sources"
)

// mayFeed serves an RSS feed of two May 2026 items, or fails with 500
// while down is set.
func mayFeed(t *testing.T) (*httptest.Server, *atomic.Bool) {
	t.Helper()
	var down atomic.Bool
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>`)
	for i, day := range []int{5, 20} {
		fmt.Fprintf(&b, `<item><title>Feed item %d</title><link>https://example.org/feed/%d</link>
<guid>feed-%d</guid><description>Summary %d</description><pubDate>%s</pubDate></item>`,
			i, i, i, i, time.Date(2026, 5, day, 10, 0, 0, 0, time.UTC).Format(time.RFC1123Z))
	}
	b.WriteString(`</channel></rss>`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if down.Load() {
			http.Error(w, "feed down", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		_, _ = w.Write([]byte(b.String()))
	}))
	t.Cleanup(srv.Close)
	return srv, &down
}

// sourcedScheduler is r's scheduler fetching its sources through a real
// poller before making an issue.
func sourcedScheduler(t *testing.T, r *replica, clk *clock, grace time.Duration) *schedule.Scheduler {
	t.Helper()
	poller := sources.New(r.st, sources.Config{Now: clk.Now, Content: content.Options{Timeout: 5 * time.Second}}, r.log, nil)
	s, err := schedule.New(schedule.Config{Spec: "0 9 1 * *", Location: zurich(t), Now: clk.Now, SourceGrace: grace},
		schedule.Deps{Creator: r.issues, Reader: r.st, Sender: r.starter, Notifier: r.notifier, Collector: poller}, r.log)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func addSource(t *testing.T, r *replica, name, url string) {
	t.Helper()
	if _, err := r.st.AddSource(context.Background(), newsletter.Source{Name: name, URL: url, Enabled: true}); err != nil {
		t.Fatal(err)
	}
}

// TestIssueWaitsForAFailingSource: a source that fails right before the
// issue is due holds the issue back (not made, not skipped) while the
// grace lasts, and the issue is made from the feed once it answers.
func TestIssueWaitsForAFailingSource(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newReplica(t, pgtest.NewURL(t), issues.Policy{MinItems: 1})
	feed, down := mayFeed(t)
	addSource(t, r, "coop-news", feed.URL)
	down.Store(true)
	clk := &clock{t: utc("2026-06-01T07:00:02Z")}
	s := sourcedScheduler(t, r, clk, 6*time.Hour)

	err := s.Check(ctx)
	if err == nil || !strings.Contains(err.Error(), "coop-news") {
		t.Fatalf("check with the feed down = %v, want an error naming coop-news", err)
	}
	if list := r.issueList(t); len(list) != 0 {
		t.Fatalf("issues = %+v, want none while the source fails", list)
	}
	st := s.Status()
	if !strings.Contains(st.WaitingForSources, "coop-news") || !st.WaitingUntil.Equal(utc("2026-06-01T13:00:00Z")) {
		t.Fatalf("status = %+v, want waiting for coop-news until 13:00Z", st)
	}

	down.Store(false)
	clk.t = clk.t.Add(time.Hour)
	if err := s.Check(ctx); err != nil {
		t.Fatalf("check with the feed back: %v", err)
	}
	list := r.issueList(t)
	if len(list) != 1 || list[0].Period != period("2026-05") || len(list[0].ItemIDs) != 2 {
		t.Fatalf("issues = %+v, want May 2026 with the feed's 2 items", list)
	}
	if st := s.Status(); st.WaitingForSources != "" || st.MadeWithoutSources != "" || st.LastError != "" {
		t.Fatalf("status after the feed answered = %+v", st)
	}
}

// TestGraceEndsWithTheIssueMadeFromWhatIsThere: once content.source_grace
// has passed since the firing, the issue is made from the items stored,
// and the status names the source it went without.
func TestGraceEndsWithTheIssueMadeFromWhatIsThere(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newReplica(t, pgtest.NewURL(t), issues.Policy{MinItems: 1})
	mayItems(t, r)
	feed, down := mayFeed(t)
	addSource(t, r, "coop-news", feed.URL)
	down.Store(true)
	clk := &clock{t: utc("2026-06-01T13:00:01Z")} // six hours and a second after the firing
	s := sourcedScheduler(t, r, clk, 6*time.Hour)

	if err := s.Check(ctx); err != nil {
		t.Fatalf("check after the grace: %v", err)
	}
	list := r.issueList(t)
	if len(list) != 1 || len(list[0].ItemIDs) != 3 {
		t.Fatalf("issues = %+v, want May 2026 from the 3 stored items", list)
	}
	if st := s.Status(); !strings.Contains(st.MadeWithoutSources, "coop-news") {
		t.Fatalf("status = %+v, want it to name coop-news as missing", st)
	}
}

// TestExistingIssueFetchesNothing: once the due issue exists, a check
// neither fetches the sources nor waits for them.
func TestExistingIssueFetchesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newReplica(t, pgtest.NewURL(t), issues.Policy{MinItems: 1})
	mayItems(t, r)
	clk := &clock{t: utc("2026-06-01T07:00:02Z")}
	if err := sourcedScheduler(t, r, clk, time.Hour).Check(ctx); err != nil {
		t.Fatal(err)
	}
	feed, down := mayFeed(t)
	addSource(t, r, "coop-news", feed.URL)
	down.Store(true)
	if err := sourcedScheduler(t, r, clk, time.Hour).Check(ctx); err != nil {
		t.Fatalf("check of an existing issue = %v, want no wait", err)
	}
}
