package newsletter

import (
	"errors"
	"strings"
	"testing"
)

func TestNewSource(t *testing.T) {
	for _, tc := range []struct {
		name, srcName, url, kind string
		want                     string // in the error; empty: valid
	}{
		{"valid", " ILO news ", " https://www.ilo.org/feed.xml ", "News", ""},
		{"http", "A", "http://example.org/rss", "", ""},
		{"no name", "", "https://example.org/rss", "", "source name"},
		{"name with CRLF", "a\r\nb", "https://example.org/rss", "", "one line"},
		{"name too long", strings.Repeat("n", MaxSourceName+1), "https://example.org/rss", "", "source name"},
		{"ftp", "A", "ftp://example.org/rss", "", "http or https"},
		{"a file", "A", "/srv/feed.xml", "", "http or https"},
		{"no host", "A", "https:///feed.xml", "", "http or https"},
		{"URL too long", "A", "https://example.org/" + strings.Repeat("a", MaxSourceURL), "", "http or https"},
		{"kind with a tab", "A", "https://example.org/rss", "a\tb", "kind"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := NewSource(tc.srcName, tc.url, tc.kind)
			if tc.want == "" {
				if err != nil || src.Name != strings.TrimSpace(tc.srcName) || src.URL != strings.TrimSpace(tc.url) || !src.Enabled {
					t.Fatalf("NewSource = %+v, %v", src, err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrInvalid with %q", err, tc.want)
			}
		})
	}
}
