package content

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/enews/enews/internal/newsletter"
)

func writeTemp(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func errorsIsInvalid(err error) bool { return errors.Is(err, newsletter.ErrInvalid) }

func TestLoadTooLargeFileNamesTheLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.xml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	// A sparse 20 MB file: the size check must refuse it from its size.
	if err := f.Truncate(20_000_000); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = Load(context.Background(), path, Options{})
	if err == nil {
		t.Fatal("Load succeeded, want a size error")
	}
	for _, want := range []string{path, "10 MiB limit"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestLoadURL(t *testing.T) {
	rss, err := os.ReadFile("testdata/rss.xml")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/feed.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write(rss)
	})
	mux.HandleFunc("/items", func(w http.ResponseWriter, r *http.Request) {
		// No extension: the Content-Type is what marks this as CSV.
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Write([]byte("url,published_at,title\nhttps://news.example.org/a,2022-05-02T10:00:00+02:00,A\n"))
	})
	mux.HandleFunc("/big.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat(" ", 4096)))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	t.Run("feed", func(t *testing.T) {
		b := load(t, srv.URL+"/feed.xml#top", Options{})
		if b.Source != srv.URL+"/feed.xml" {
			t.Errorf("Source = %q, want the URL without fragment", b.Source)
		}
		if len(b.Items) != 2 || b.Items[0].Source != b.Source {
			t.Errorf("items = %+v, want 2 from %s", b.Items, b.Source)
		}
	})
	t.Run("csv by content type", func(t *testing.T) {
		b := load(t, srv.URL+"/items", Options{})
		if len(b.Items) != 1 || b.Items[0].Title != "A" {
			t.Errorf("items = %+v, want one titled A", b.Items)
		}
	})

	// A listener closed before use gives a port nothing answers on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/feed.xml"
	ln.Close()

	// A server that accepts but never answers: the timeout must end it.
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer hang.Close()

	fails := []struct {
		name, url string
		opts      Options
		want      string
	}{
		{"404", srv.URL + "/missing.xml", Options{}, "404 Not Found"},
		{"closed port", closed, Options{}, "connection refused"},
		{"no answer", hang.URL + "/slow.xml", Options{Timeout: 50 * time.Millisecond}, "deadline exceeded"},
		{"too large", srv.URL + "/big.xml", Options{MaxBytes: 1024}, "1 KiB limit"},
	}
	for _, tt := range fails {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(context.Background(), tt.url, tt.opts)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, want := range []string{tt.url, tt.want} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

func TestLoadRejectsFutureDates(t *testing.T) {
	path := writeTemp(t, "items.csv", "title,url,published_at\n"+
		"Soon,https://news.example.org/soon,2022-06-01T20:00:00Z\n"+
		"Typo,https://news.example.org/typo,2032-05-01T10:00:00Z\n")
	b := load(t, path, Options{})
	if len(b.Items) != 1 || b.Items[0].Title != "Soon" {
		t.Errorf("items = %+v, want only the one within a day of now", b.Items)
	}
	if len(b.Rejected) != 1 || b.Rejected[0].Entry != "line 3" || !strings.Contains(b.Rejected[0].Reason, "future") {
		t.Errorf("rejected = %+v, want line 3 as in the future", b.Rejected)
	}
}

func TestNormaliseSource(t *testing.T) {
	tests := []struct{ in, want string }{
		{"HTTPS://News.Example.org/Feed.xml#x", "https://news.example.org/Feed.xml"},
		{"  http://example.org/rss?page=2  ", "http://example.org/rss?page=2"},
		{"./configs/../configs/sample/items.json", "configs/sample/items.json"},
		{"/srv/import//items.csv", "/srv/import/items.csv"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, _, err := normaliseSource(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("normaliseSource(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
	if _, _, err := normaliseSource("   "); !errorsIsInvalid(err) {
		t.Errorf("empty source: err = %v, want ErrInvalid", err)
	}
}
