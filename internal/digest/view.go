package digest

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/plaintext"
)

// issueView is what a theme reads as .Hermes.Theme.Issue. Every field is
// plain text: html/template escapes it in the HTML part.
type issueView struct {
	Preheader      string
	Items          []itemView
	AddressLines   []string
	Reason         string
	UnsubscribeURL string // a token, replaced per reader
	ViewURL        string // a token, replaced per reader
	ManageURL      string // a token, replaced per reader
}

// itemView is one card.
type itemView struct {
	Kind        string
	Title       string
	URL         string
	Date        string // "26 May 2022" in Config.Location
	Summary     string
	ImageURL    string
	ImageAlt    string
	ImageCredit string
}

// DateLayout is how item dates are written: "26 May 2022".
const DateLayout = "2 January 2006"

func newIssueView(cfg Config, items []newsletter.Item) *issueView {
	v := &issueView{
		Preheader:      preheader(items),
		Items:          make([]itemView, 0, len(items)),
		Reason:         plaintext.OneLine(cfg.Reason),
		UnsubscribeURL: TokenUnsubscribeURL,
		ViewURL:        TokenViewURL,
		ManageURL:      TokenManageURL,
	}
	v.AddressLines = plaintext.Lines(cfg.OrgAddress)
	for _, it := range items {
		iv := itemView{
			Kind:        plaintext.OneLine(it.Kind),
			Title:       plaintext.OneLine(it.Title),
			URL:         strings.TrimSpace(it.URL),
			Date:        it.PublishedAt.In(cfg.Location).Format(DateLayout),
			Summary:     plaintext.OneLine(it.Summary),
			ImageURL:    strings.TrimSpace(it.ImageURL),
			ImageAlt:    plaintext.OneLine(it.ImageAlt),
			ImageCredit: plaintext.OneLine(it.ImageCredit),
		}
		if iv.ImageAlt == "" {
			// Alt text is what readers with images off or a screen reader
			// get; the title is the best stand-in for a missing one.
			iv.ImageAlt = iv.Title
		}
		v.Items = append(v.Items, iv)
	}
	return v
}

// checkItem refuses items a card cannot show, and items whose text holds a
// token: personalisation would replace it, putting reader data where the
// theme never meant it to go.
func checkItem(it newsletter.Item) error {
	if strings.TrimSpace(it.Title) == "" {
		return fmt.Errorf("digest: item %d title: %w: required", it.ID, newsletter.ErrInvalid)
	}
	if err := checkWebURL(it.URL, true); err != nil {
		return fmt.Errorf("digest: item %d url: %w", it.ID, err)
	}
	if err := checkWebURL(it.ImageURL, false); err != nil {
		return fmt.Errorf("digest: item %d image url: %w", it.ID, err)
	}
	for _, f := range []struct{ name, value string }{
		{"kind", it.Kind}, {"title", it.Title}, {"summary", it.Summary}, {"url", it.URL},
		{"image url", it.ImageURL}, {"image alt", it.ImageAlt}, {"image credit", it.ImageCredit},
	} {
		if err := rejectTokens(fmt.Sprintf("item %d %s", it.ID, f.name), f.value); err != nil {
			return err
		}
	}
	return nil
}

// checkWebURL accepts absolute http(s) URLs only: a link in an email has no
// base to resolve against, and any other scheme (javascript:, data:) has no
// business in a newsletter. html/template would defuse those in the HTML,
// but the plain text would still show them.
func checkWebURL(raw string, required bool) error {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		if required {
			return fmt.Errorf("%w: required", newsletter.ErrInvalid)
		}
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: %q is not an absolute http(s) URL", newsletter.ErrInvalid, raw)
	}
	return nil
}

// Preheader limits: inbox previews show about 90–140 characters.
const (
	preheaderTitles   = 2
	preheaderTitleMax = 60
)

// preheader is the inbox preview line: how many items, then the first titles.
func preheader(items []newsletter.Item) string {
	n := len(items)
	if n == 0 {
		return "No new items this month."
	}
	var b strings.Builder
	if n == 1 {
		b.WriteString("1 new item: ")
	} else {
		fmt.Fprintf(&b, "%d new items: ", n)
	}
	shown := min(n, preheaderTitles)
	for i := range shown {
		if i > 0 {
			b.WriteString(" · ")
		}
		b.WriteString(plaintext.Shorten(plaintext.OneLine(items[i].Title), preheaderTitleMax))
	}
	if n > shown {
		fmt.Fprintf(&b, " and %d more", n-shown)
	}
	return b.String()
}

// paragraphs splits on blank lines and folds each paragraph to one line.
func paragraphs(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var out []string
	for _, p := range strings.Split(s, "\n\n") {
		if p = plaintext.OneLine(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
