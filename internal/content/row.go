package content

import (
	"bytes"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/plaintext"
)

// row is one item of our own CSV or JSON format, every field as written. The
// JSON keys double as the CSV header names.
type row struct {
	Kind        string `json:"kind"`
	Title       string `json:"title"`
	Summary     string `json:"summary"`
	URL         string `json:"url"`
	ImageURL    string `json:"image_url"`
	ImageAlt    string `json:"image_alt"`
	ImageCredit string `json:"image_credit"`
	PublishedAt string `json:"published_at"`
	Status      string `json:"status"`
	ExternalID  string `json:"external_id"`
}

// requiredColumns are the CSV columns a header must name; a function rather
// than a package variable so nothing can change it.
func requiredColumns() []string { return []string{"title", "url", "published_at"} }

// field returns a pointer to the row field for a column name, nil if unknown.
func (r *row) field(name string) *string {
	switch name {
	case "kind":
		return &r.Kind
	case "title":
		return &r.Title
	case "summary":
		return &r.Summary
	case "url":
		return &r.URL
	case "image_url":
		return &r.ImageURL
	case "image_alt":
		return &r.ImageAlt
	case "image_credit":
		return &r.ImageCredit
	case "published_at":
		return &r.PublishedAt
	case "status":
		return &r.Status
	case "external_id":
		return &r.ExternalID
	}
	return nil
}

// rowItem validates one row. Text fields get the same cleaning as feed text:
// these files are often pasted from web pages, and downstream code relies on
// summaries holding no markup whatever their origin.
func (p *parser) rowItem(r row) (newsletter.Item, string) {
	title := p.text.plain(r.Title)
	if title == "" {
		return newsletter.Item{}, "no title"
	}
	if strings.TrimSpace(r.URL) == "" {
		return newsletter.Item{}, "no url"
	}
	link, err := webURL(r.URL, nil)
	if err != nil {
		return newsletter.Item{}, "url " + err.Error()
	}
	if strings.TrimSpace(r.PublishedAt) == "" {
		return newsletter.Item{}, "no published_at"
	}
	published, err := time.Parse(time.RFC3339, strings.TrimSpace(r.PublishedAt))
	if err != nil {
		return newsletter.Item{}, fmt.Sprintf("published_at %q is not an RFC 3339 time like 2022-05-26T10:00:00+02:00", plaintext.Clip(r.PublishedAt, 60))
	}
	published, reason := p.checkDate(published)
	if reason != "" {
		return newsletter.Item{}, reason
	}
	status := strings.ToLower(strings.TrimSpace(r.Status))
	switch status {
	case "":
		status = newsletter.ItemPublished
	case newsletter.ItemDraft, newsletter.ItemPublished, newsletter.ItemHidden:
	default:
		return newsletter.Item{}, fmt.Sprintf("status %q is not draft, published or hidden", plaintext.Clip(r.Status, 40))
	}
	it := newsletter.Item{
		Kind:        p.text.plain(r.Kind),
		Title:       title,
		Summary:     plaintext.Shorten(p.text.plain(r.Summary), p.opts.MaxSummary),
		URL:         link,
		ImageAlt:    p.text.plain(r.ImageAlt),
		ImageCredit: p.text.plain(r.ImageCredit),
		PublishedAt: published,
		Status:      status,
		ExternalID:  strings.TrimSpace(r.ExternalID),
	}
	if it.Kind == "" {
		it.Kind = p.opts.DefaultKind
	}
	if strings.TrimSpace(r.ImageURL) != "" {
		// Unlike a feed, this file was written by staff for us: a bad
		// picture URL is a typo worth reporting, not dropping.
		if it.ImageURL, err = webURL(r.ImageURL, nil); err != nil {
			return newsletter.Item{}, "image_url " + err.Error()
		}
	}
	if it.ExternalID == "" {
		it.ExternalID = link
	}
	return it, ""
}

// checkUTF8 refuses a file that is not UTF-8, naming the first bad line:
// spreadsheets often export Windows-1252, which would import as mojibake.
func checkUTF8(data []byte) error {
	if utf8.Valid(data) {
		return nil
	}
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			line := 1 + bytes.Count(data[:i], []byte{'\n'})
			return fmt.Errorf("%w: not UTF-8 text (first bad byte on line %d); save the file as UTF-8", newsletter.ErrInvalid, line)
		}
		i += size
	}
	return nil
}
