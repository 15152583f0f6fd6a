package mailer

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/enews/enews/internal/smtptest"
)

// benchMessage is about the size of a real monthly issue: ~30 KB in all,
// ~22 KB of HTML and ~8 KB of text.
func benchMessage(to string) *Message {
	var html, text strings.Builder
	html.WriteString("<!DOCTYPE html><html><body><table width=\"100%\">")
	for i := 0; html.Len() < 22_000; i++ {
		fmt.Fprintf(&html, `<tr><td style="padding:16px;font-family:Arial,sans-serif"><h2>News item %d: cooperatives and the social and solidarity economy</h2>`+
			`<p>The unit published a statement on decent work in cooperatives, with a spotlight interview and a story from the field.</p>`+
			`<a href="https://news.example.org/items/%d">Read more</a></td></tr>`, i, i)
	}
	html.WriteString("</table></body></html>")
	for i := 0; text.Len() < 8_000; i++ {
		fmt.Fprintf(&text, "News item %d: cooperatives and the social and solidarity economy\r\nThe unit published a statement on decent work.\r\nhttps://news.example.org/items/%d\r\n\r\n", i, i)
	}
	m := sample(to)
	m.HTML, m.Text = []byte(html.String()), []byte(text.String())
	return m
}

func BenchmarkPoolSend(b *testing.B) {
	for _, dkimKind := range []string{"", "rsa"} {
		name := "plain"
		if dkimKind != "" {
			name = "dkim-" + dkimKind
		}
		b.Run(name, func(b *testing.B) {
			s := smtptest.Start(b, smtptest.WithoutRecording())
			cfg := testConfig(s)
			cfg.Connections = 4
			if dkimKind != "" {
				file, _ := dkimKeyFile(b, dkimKind)
				cfg.DKIM = &DKIMConfig{Domain: "example.org", Selector: "may2022", KeyFile: file}
			}
			p := newPool(b, cfg)
			msg := benchMessage("reader@example.net")
			size := len(msg.HTML) + len(msg.Text)
			ctx := context.Background()
			var next atomic.Int64
			var failed atomic.Int64
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			var wg sync.WaitGroup
			for range cfg.Connections {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						if err := p.Send(ctx, msg); err != nil {
							failed.Add(1)
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			if failed.Load() > 0 || s.Count() != b.N {
				b.Fatalf("%d failed, %d accepted of %d", failed.Load(), s.Count(), b.N)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			b.ReportMetric(float64(s.Connections()), "conns")
		})
	}
}

// BenchmarkBuild is the per-message cost without the network: building the
// go-mail message and encoding it.
func BenchmarkBuild(b *testing.B) {
	p, err := NewPool(Config{Host: "localhost", TLS: TLSNone, From: "news@example.org"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	msg := benchMessage("reader@example.net")
	b.ReportAllocs()
	for b.Loop() {
		m, err := p.build(msg, false)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
