package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/poll"
)

// lastMonthFeed serves an RSS feed of two items published in period p, or
// answers 500 while down is set.
func lastMonthFeed(t *testing.T, p newsletter.Period) (*httptest.Server, *atomic.Bool) {
	t.Helper()
	zurich, _ := time.LoadLocation("Europe/Zurich")
	start, _ := p.Bounds(zurich)
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>Cooperative news</title>`)
	for i := 1; i <= 2; i++ {
		fmt.Fprintf(&b, `<item><title>From the feed %d</title><link>https://example.org/feed/%s/%d</link>
<guid>feed-%s-%d</guid><description>Fetched by the server itself.</description><pubDate>%s</pubDate></item>`,
			i, p, i, p, i, start.AddDate(0, 0, 5*i).Format(time.RFC1123Z))
	}
	b.WriteString(`</channel></rss>`)
	var down atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if down.Load() {
			http.Error(w, "the feed is down", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		_, _ = w.Write([]byte(b.String()))
	}))
	t.Cleanup(srv.Close)
	return srv, &down
}

// TestServeCollectsFromASourceAndWaitsForAFailingOne: from a database with
// no item of last month, a source added with `enews sources add` is all
// serve needs to make and send last month's issue. While the feed answers
// 500 the issue waits (not made, not skipped), and it is made from the
// feed once it answers.
func TestServeCollectsFromASourceAndWaitsForAFailingOne(t *testing.T) {
	e := newE2E(t, 30)
	zurich, _ := time.LoadLocation("Europe/Zurich")
	last := newsletter.PeriodOf(time.Now().In(zurich), zurich).Prev()
	feed, down := lastMonthFeed(t, last)
	down.Store(true)
	out := e.ok("sources", "add", "--name", "coop-news", feed.URL)
	if !strings.Contains(out, `"coop-news" added`) {
		t.Fatalf("sources add said:\n%s", out)
	}
	if out := e.fails("sources", "add", "--name", "other", "ftp://example.org/feed.xml"); !strings.Contains(out, "http or https URL") {
		t.Fatalf("a bad address said:\n%s", out)
	}
	e.env = append(e.env, "ENEWS_SCHEDULE_SPEC=*/2 * * * * *", "ENEWS_SCHEDULE_RETRY_INTERVAL=1s",
		"ENEWS_CONTENT_SOURCE_GRACE=1h", "ENEWS_LOG_LEVEL=info")
	r := e.serve(t, "serve")

	poll.Until(t, "serve says the issue waits for its source", func() bool {
		return strings.Contains(r.out.String(), "issue waits for its sources")
	})
	status := e.fails("issue", "status", "--period", last.String())
	if !strings.Contains(status, "not made yet") || !strings.Contains(status, "coop-news") {
		t.Fatalf("issue status while the feed fails:\n%s", status)
	}
	if n := e.issueCount(t); n != 0 {
		t.Fatalf("%d issues while the source fails, want none (neither built from stale data nor skipped)", n)
	}

	down.Store(false)
	e.waitMessages(t, e.n)
	poll.Until(t, "the issue is sent", func() bool {
		return strings.Contains(e.ok("issue", "status", "--period", last.String()), ": sent")
	})
	var items int
	if err := e.db.QueryRow(`SELECT cardinality(item_ids) FROM issues WHERE period = CAST($1 || '-01' AS date)`, last.String()).Scan(&items); err != nil {
		t.Fatal(err)
	}
	if items != 2 {
		t.Fatalf("the issue holds %d items, want the feed's 2", items)
	}
	if body := bodyText(t, e.smtp.Messages()[0].Data); !strings.Contains(body, "From the feed 1") {
		t.Fatalf("the email does not show the feed's item:\n%s", body)
	}
	show := e.ok("sources", "show", "coop-news")
	for _, want := range []string{"state: ok", "fetched", "failed", "500"} {
		if !strings.Contains(show, want) {
			t.Fatalf("sources show lacks %q:\n%s", want, show)
		}
	}
}
