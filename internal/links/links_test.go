package links

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/signing"
)

func newLinks(t *testing.T, base string) (*Links, *signing.Signer) {
	t.Helper()
	s, err := signing.New([]byte(strings.Repeat("links test key ", 3)))
	if err != nil {
		t.Fatal(err)
	}
	return New(base, s), s
}

// token is what follows prefix in u, failing the test when u does not start
// with it.
func token(t *testing.T, u, prefix string) string {
	t.Helper()
	tok, ok := strings.CutPrefix(u, prefix)
	if !ok || tok == "" {
		t.Fatalf("%q does not start with %q and a token", u, prefix)
	}
	return tok
}

func TestLinks(t *testing.T) {
	l, s := newLinks(t, "https://news.example.org/")
	now := time.Date(2022, 6, 1, 9, 0, 0, 0, time.UTC)
	may := newsletter.Period{Year: 2022, Month: time.May}

	t.Run("fixed paths under the base, trailing slash dropped", func(t *testing.T) {
		got := []string{l.Base(), l.Archive(may), l.Feed(), l.Subscribe(), l.TestUnsubscribe()}
		want := []string{"https://news.example.org", "https://news.example.org/archive/2022-05",
			"https://news.example.org/archive/feed.xml", "https://news.example.org/subscribe",
			"https://news.example.org/unsubscribe-test"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("unsubscribe never expires and is only an unsubscribe", func(t *testing.T) {
		tok := token(t, l.Unsubscribe(42), "https://news.example.org"+PathUnsubscribe)
		if id, err := s.Verify(PurposeUnsubscribe, tok, now.AddDate(10, 0, 0)); err != nil || id != 42 {
			t.Fatalf("ten years on: %d, %v", id, err)
		}
		if _, err := s.Verify(PurposeConfirm, tok, now); err == nil {
			t.Fatal("an unsubscribe token confirmed")
		}
	})
	t.Run("confirm works for ConfirmTTL", func(t *testing.T) {
		tok := token(t, l.Confirm(7, now), "https://news.example.org"+PathConfirm)
		if id, err := s.Verify(PurposeConfirm, tok, now.Add(ConfirmTTL-time.Minute)); err != nil || id != 7 {
			t.Fatalf("just before expiry: %d, %v", id, err)
		}
		if _, err := s.Verify(PurposeConfirm, tok, now.Add(ConfirmTTL+time.Minute)); err == nil {
			t.Fatal("confirmed after ConfirmTTL")
		}
	})
	t.Run("preview names its period and expires", func(t *testing.T) {
		tok := token(t, l.Preview(may, now), "https://news.example.org"+PathPreview)
		id, err := s.Verify(PurposePreview, tok, now.Add(PreviewTTL-time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if p, ok := PreviewPeriod(id); !ok || p != may {
			t.Fatalf("preview period %v, %v; want %v", p, ok, may)
		}
		if _, err := s.Verify(PurposePreview, tok, now.Add(PreviewTTL+time.Minute)); err == nil {
			t.Fatal("preview worked after PreviewTTL")
		}
	})
}

func TestPreviewPeriod(t *testing.T) {
	tests := []struct {
		id   int64
		want newsletter.Period
		ok   bool
	}{
		{202205, newsletter.Period{Year: 2022, Month: time.May}, true},
		{202212, newsletter.Period{Year: 2022, Month: time.December}, true},
		{202213, newsletter.Period{}, false},
		{202200, newsletter.Period{}, false},
		{0, newsletter.Period{}, false},
		{-202205, newsletter.Period{}, false},
	}
	for _, tt := range tests {
		p, ok := PreviewPeriod(tt.id)
		if ok != tt.ok || (ok && p != tt.want) {
			t.Errorf("PreviewPeriod(%d) = %v, %v; want %v, %v", tt.id, p, ok, tt.want, tt.ok)
		}
		if ok && PreviewID(p) != tt.id {
			t.Errorf("PreviewID(%v) = %d, want %d back", p, PreviewID(p), tt.id)
		}
	}
}
