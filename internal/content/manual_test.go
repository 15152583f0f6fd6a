package content

import (
	"errors"
	"testing"
	"time"

	"github.com/enews/enews/internal/newsletter"
)

func TestManual(t *testing.T) {
	at := time.Date(2022, 5, 26, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		in      newsletter.Item
		wantErr bool
	}{
		{"valid", newsletter.Item{Title: "<b>Materials</b> on SSE", URL: "https://example.org/a", PublishedAt: at, ExternalID: "a", Status: "published"}, false},
		{"no title", newsletter.Item{URL: "https://example.org/a", PublishedAt: at, ExternalID: "a"}, true},
		{"script url", newsletter.Item{Title: "x", URL: "javascript:alert(1)", PublishedAt: at, ExternalID: "a"}, true},
		{"bad status", newsletter.Item{Title: "x", URL: "https://example.org/a", PublishedAt: at, ExternalID: "a", Status: "live"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Manual("manual", tc.in, Options{})
			if tc.wantErr {
				if !errors.Is(err, newsletter.ErrInvalid) {
					t.Fatalf("err = %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil || got.Source != "manual" || got.Title != "Materials on SSE" || got.Kind != DefaultKind {
				t.Fatalf("got %+v, %v", got, err)
			}
		})
	}
}
