package console_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/enews/enews/internal/newsletter"
)

// BenchmarkSubscriberSearch1M serves the console's subscriber pages from a
// list of 1,000,000 (ENEWS_BENCH_ROWS) subscribers: the whole handler, the
// session check, the query and the page's rendering, without the network.
// Each case reports its mean and its 99th percentile per page. Run it with
//
//	bash scripts/test.sh -run '^$' -bench SubscriberSearch1M -benchtime 200x ./internal/console/
func BenchmarkSubscriberSearch1M(b *testing.B) {
	n := 1_000_000
	if s := os.Getenv("ENEWS_BENCH_ROWS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	e := newEnv(b)
	// A list shaped like a real one: mostly active, some pending,
	// unsubscribed, bounced and complained, spread over the ids.
	e.exec(`INSERT INTO subscribers (email, name, status)
		SELECT 'reader.' || g || '@mail' || (g % 97) || '.example.org', 'Reader Number ' || g,
			CASE WHEN g % 200 = 0 THEN 'complained' WHEN g % 67 = 0 THEN 'bounced' WHEN g % 33 = 0 THEN 'pending'
				WHEN g % 20 = 0 THEN 'unsubscribed' ELSE 'active' END
		FROM generate_series(1, $1) g`, n)
	e.exec(`ANALYZE subscribers`)
	sess := e.loggedIn("staff@example.org", newsletter.RoleStaff)
	cookies := sess.client.Jar.Cookies(mustURL(b, e.url))
	deep := strconv.Itoa(n * 9 / 10)
	for _, bc := range []struct{ name, query string }{
		{"first page", ""},
		{"deep page", "after=" + deep},
		{"status active", "status=active"},
		{"status complained", "status=complained"},
		{"complained deep", "status=complained&after=" + deep},
		{"email prefix one", "q=reader.123456%40"},
		{"email prefix 1111", "q=reader.999"},
		{"email prefix 111111", "q=reader.1"},
		{"name prefix", "q=Reader+Number+4242"},
		{"prefix and status", "q=reader.77&status=bounced"},
		{"no match", "q=nobody"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, "/admin/subscribers?"+bc.query, nil)
				for _, c := range cookies {
					req.AddCookie(c)
				}
				rec := httptest.NewRecorder()
				start := time.Now()
				e.console.ServeHTTP(rec, req)
				took = append(took, time.Since(start))
				if rec.Code != http.StatusOK {
					b.Fatalf("GET %s: %d", req.URL, rec.Code)
				}
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
		})
	}
}
