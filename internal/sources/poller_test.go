package sources_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/pgtest"
	"github.com/enews/enews/internal/sources"
	"github.com/enews/enews/internal/store"
)

// feedServer serves the sample RSS feed with an ETag, answering 304 to a
// request that names it, or fails with status when status is not zero.
type feedServer struct {
	*httptest.Server
	status   atomic.Int32
	requests atomic.Int32
	lastINM  atomic.Value
}

func newFeedServer(t *testing.T) *feedServer {
	t.Helper()
	body, err := os.ReadFile("../content/testdata/rss.xml")
	if err != nil {
		t.Fatal(err)
	}
	f := &feedServer{}
	f.lastINM.Store("")
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.requests.Add(1)
		f.lastINM.Store(r.Header.Get("If-None-Match"))
		if s := f.status.Load(); s != 0 {
			http.Error(w, "down", int(s))
			return
		}
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Content-Type", "application/rss+xml")
		_, _ = w.Write(body)
	}))
	t.Cleanup(f.Close)
	return f
}

// now stands a little after the real clock, so sources just added (due at
// the database's now()) are due.
var now = time.Now().Add(time.Minute).Truncate(time.Millisecond).UTC()

func newPoller(st *store.Store) *sources.Poller {
	return sources.New(st, sources.Config{PollInterval: time.Hour, Now: func() time.Time { return now }},
		slog.New(slog.DiscardHandler), nil)
}

func addSource(t *testing.T, st *store.Store, name, url string) newsletter.Source {
	t.Helper()
	src, err := st.AddSource(context.Background(), newsletter.Source{Name: name, URL: url, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func TestConditionalGetChangesNothingOn304(t *testing.T) {
	t.Parallel()
	st, db := pgtest.NewWithSQL(t)
	ctx := context.Background()
	feed := newFeedServer(t)
	p := newPoller(st)
	src := addSource(t, st, "coop", feed.URL+"/rss.xml")

	src, err := p.Fetch(ctx, src)
	if err != nil {
		t.Fatalf("first fetch: %v", err)
	}
	if src.ETag != `"v1"` || src.LastSuccessAt == nil || !src.NextFetchAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("after the first fetch: %+v", src)
	}
	var before []string
	if err := db.SelectContext(ctx, &before, `SELECT title || '|' || updated_at::text FROM items ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if len(before) != 2 {
		t.Fatalf("items after the first fetch: %d, want 2", len(before))
	}

	src, err = p.Fetch(ctx, src)
	if err != nil {
		t.Fatalf("second fetch: %v", err)
	}
	if got := feed.lastINM.Load(); got != `"v1"` {
		t.Errorf("second fetch sent If-None-Match %q, want the ETag", got)
	}
	var after []string
	if err := db.SelectContext(ctx, &after, `SELECT title || '|' || updated_at::text FROM items ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("a 304 changed the items:\n%v\nwant\n%v", after, before)
	}
	history, err := st.SourceFetches(ctx, src.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(history) != 2 || history[0].Outcome != newsletter.FetchNotModified || history[0].HTTPStatus != 304 ||
		history[1].Outcome != newsletter.FetchFetched || history[1].New != 2 || history[1].HTTPStatus != 200 {
		t.Errorf("history %+v, want not-modified (304) after fetched (200, 2 new)", history)
	}
}

func TestFailingSourceBacksOffWithoutStoppingOthers(t *testing.T) {
	t.Parallel()
	st := pgtest.New(t)
	ctx := context.Background()
	good, bad := newFeedServer(t), newFeedServer(t)
	bad.status.Store(http.StatusInternalServerError)
	p := newPoller(st)
	badSrc := addSource(t, st, "broken", bad.URL+"/feed")
	goodSrc := addSource(t, st, "healthy", good.URL+"/feed")

	if err := p.PollDue(ctx); err != nil {
		t.Fatalf("PollDue: %v", err)
	}
	if good.requests.Load() != 1 {
		t.Errorf("healthy source fetched %d times, want 1: a failing source must not stop the others", good.requests.Load())
	}
	b, err := st.SourceByRef(ctx, "broken")
	if err != nil {
		t.Fatal(err)
	}
	if b.Failures != 1 || b.FailingSince == nil || !strings.Contains(b.LastError, "500") || !b.NextFetchAt.Equal(now.Add(time.Minute)) {
		t.Errorf("broken source after one failure: %+v", b)
	}
	history, err := st.SourceFetches(ctx, badSrc.ID, 10)
	if err != nil || len(history) != 1 || history[0].HTTPStatus != 500 || history[0].Outcome != newsletter.FetchFailed {
		t.Errorf("broken source history %+v (%v)", history, err)
	}

	// Nothing is due at the same moment: the failing source waits out its backoff.
	if err := p.PollDue(ctx); err != nil {
		t.Fatal(err)
	}
	if bad.requests.Load() != 1 {
		t.Errorf("broken source fetched %d times within its backoff, want 1", bad.requests.Load())
	}

	// Right before an issue every enabled source is fetched, and the failing one is named.
	err = p.CollectAll(ctx)
	var failed *sources.Failed
	if !errors.As(err, &failed) || len(failed.Sources) != 1 || !strings.Contains(failed.Sources[0], "broken") {
		t.Fatalf("CollectAll = %v, want it to name the broken source", err)
	}
	if b, _ := st.SourceByRef(ctx, "broken"); b.Failures != 2 || !b.NextFetchAt.Equal(now.Add(2*time.Minute)) {
		t.Errorf("after a second failure: failures %d, next %s; want 2 and a doubled backoff", b.Failures, b.NextFetchAt)
	}
	bad.status.Store(0)
	if err := p.CollectAll(ctx); err != nil {
		t.Fatalf("CollectAll once the source answers: %v", err)
	}
	if b, _ := st.SourceByRef(ctx, "broken"); b.Failures != 0 || b.FailingSince != nil || b.LastError != "" {
		t.Errorf("after recovering: %+v", b)
	}
	_ = goodSrc
}
