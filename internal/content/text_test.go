package content

import (
	"strings"
	"testing"
)

func TestPlain(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain stays", "Decent Work & Social and Solidarity Economy", "Decent Work & Social and Solidarity Economy"},
		{"entities decoded", "R&amp;D &#8220;SSE&#8221; caf&eacute;", "R&D “SSE” café"},
		{"tags become spaces", "<p>One</p><p>Two</p>", "One Two"},
		{"inline tags", "The <em>new</em> framework", "The new framework"},
		{"whitespace runs", "  a\t\tb\n\n c\r\n d  ", "a b c d"},
		{"no-break and wide spaces", "a\u00a0\u00a0b\u2003c&nbsp;d\u3000e", "a b c d e"},
		{"control characters", "bell\x07 esc\x1b[31m nul\x00 del\x7f c1\u0085end", "bell esc[31m nul del c1 end"},
		{"script dropped", "Breaking <script>alert(1)</script> news", "Breaking news"},
		{"event handler dropped", `Look <img src=x onerror=alert(1)> here`, "Look here"},
		{"escaped twice", "&lt;b&gt;bold&lt;/b&gt; &lt;script&gt;alert(1)&lt;/script&gt;", "bold"},
		{"less-than as text", "a < b and 3<4", "a < b and 3<4"},
		{"invalid UTF-8", "caf\xe9 ok", "caf\uFFFD ok"},
		{"empty", " \n\t ", ""},
		{"bidi controls", "Report \u202efdp.exe\u202c \u2066isolated\u2069 \u200fmark\u200e", "Report fdp.exe isolated mark"},
	}
	c := newTextCleaner()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.plain(tt.in); got != tt.want {
				t.Errorf("plain(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSummaryIsCleanedThenCut(t *testing.T) {
	path := writeTemp(t, "feed.xml", `<rss version="2.0"><channel><title>t</title><item>
<title>T</title><link>https://news.example.org/t</link><pubDate>Tue, 17 May 2022 10:00:00 +0200</pubDate>
<description>&lt;p&gt;Coopérative&amp;nbsp;&amp;amp; société   solidaire&lt;/p&gt; en Suisse romande</description>
</item></channel></rss>`)
	b := load(t, path, Options{MaxSummary: 32})
	if len(b.Items) != 1 {
		t.Fatalf("items = %+v", b.Items)
	}
	if got, want := b.Items[0].Summary, "Coopérative & société solidaire…"; got != want {
		t.Errorf("Summary = %q, want %q", got, want)
	}
	if strings.Contains(b.Items[0].Summary, "&amp;") {
		t.Errorf("Summary %q kept an entity", b.Items[0].Summary)
	}
}
