package content

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// writeBenchFeed writes an RSS file of n entries shaped like real news: HTML
// summaries with entities, a category, a GUID, an image enclosure.
func writeBenchFeed(b *testing.B, n int) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "feed.xml")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Cooperatives news</title><link>https://news.example.org/coop/</link><description>Benchmark feed</description>
`)
	start := time.Date(2022, 5, 31, 10, 0, 0, 0, time.UTC)
	for i := range n {
		fmt.Fprintf(w, `<item><title>Cooperatives &amp; the social economy, story %d</title>
<link>https://news.example.org/coop/story-%d</link><guid isPermaLink="false">urn:example:story:%d</guid>
<category>News</category><pubDate>%s</pubDate>
<description><![CDATA[<p>The 39th UNTFSSE meeting was held <em>virtually</em> on 11 May 2022. It brought together 45 participants from six member organizations &amp; twelve observers.</p><p>Entry %d.</p>]]></description>
<enclosure url="https://news.example.org/img/%d.jpg" length="1000" type="image/jpeg"/></item>
`, i, i, i, start.Add(-time.Duration(i)*time.Minute).Format(time.RFC1123Z), i, i)
	}
	fmt.Fprint(w, "</channel></rss>\n")
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

func BenchmarkLoadFeed10000(b *testing.B) {
	const entries = 10000
	path := writeBenchFeed(b, entries)
	info, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(info.Size())
	opts := Options{MaxSummary: 200, Now: testNow}
	b.ReportAllocs()
	runs := 0
	for b.Loop() {
		batch, err := Load(context.Background(), path, opts)
		if err != nil {
			b.Fatal(err)
		}
		if len(batch.Items) != entries {
			b.Fatalf("got %d items, rejected %v", len(batch.Items), batch.Rejected[:min(3, len(batch.Rejected))])
		}
		runs++
	}
	b.ReportMetric(float64(entries*runs)/b.Elapsed().Seconds(), "entries/s")
}
