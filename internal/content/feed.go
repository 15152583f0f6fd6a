package content

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/plaintext"
	"github.com/mmcdole/gofeed"
)

// parseFeed reads an RSS, Atom or JSON Feed document. A document gofeed cannot
// parse is an error for the whole source; entries it can parse but that lack
// what an item needs are rejected one by one.
func (p *parser) parseFeed(doc document) error {
	fp := gofeed.NewParser()
	// The content scan would take the first <img> of the item's HTML as its
	// picture: often a tracking pixel or, in hostile input, a script URL.
	// Only images the feed declares as such are used.
	fp.RSSTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
	feed, err := fp.Parse(bytes.NewReader(doc.data))
	if err != nil {
		return fmt.Errorf("content: parse feed %s: %w: %w", doc.name, newsletter.ErrInvalid, err)
	}
	base := feedBase(feed, doc.name)
	for i, fi := range feed.Items {
		if fi == nil {
			continue
		}
		entry := feedEntryLabel(i+1, fi)
		it, reason := p.feedItem(fi, base)
		if reason != "" {
			p.reject(entry, reason)
			continue
		}
		p.accept(entry, it)
	}
	return nil
}

// feedItem converts one entry, or says why it cannot be used.
func (p *parser) feedItem(fi *gofeed.Item, base *url.URL) (newsletter.Item, string) {
	title := p.text.plain(fi.Title)
	if title == "" {
		return newsletter.Item{}, "no title"
	}
	if strings.TrimSpace(fi.Link) == "" {
		return newsletter.Item{}, "no link"
	}
	link, err := webURL(fi.Link, base)
	if err != nil {
		return newsletter.Item{}, "link " + err.Error()
	}
	published, reason := feedDate(fi)
	if reason != "" {
		return newsletter.Item{}, reason
	}
	published, reason = p.checkDate(published)
	if reason != "" {
		return newsletter.Item{}, reason
	}
	summary := fi.Description
	if strings.TrimSpace(summary) == "" {
		summary = fi.Content
	}
	kind := ""
	if len(fi.Categories) > 0 {
		kind = p.text.plain(fi.Categories[0])
	}
	if kind == "" {
		kind = p.opts.DefaultKind
	}
	externalID := strings.TrimSpace(fi.GUID)
	if externalID == "" {
		externalID = link
	}
	it := newsletter.Item{
		Kind:        kind,
		Title:       title,
		Summary:     plaintext.Shorten(p.text.plain(summary), p.opts.MaxSummary),
		URL:         link,
		PublishedAt: published,
		Status:      newsletter.ItemPublished,
		ExternalID:  externalID,
	}
	if img, alt := feedImage(fi); img != "" {
		// A bad picture URL costs the picture, not the story.
		if u, err := webURL(img, base); err == nil {
			it.ImageURL = u
			it.ImageAlt = p.text.plain(alt)
		}
	}
	return it, ""
}

// feedDate prefers the publication date and falls back to the update date.
// A date that is present but unreadable rejects the entry rather than
// falling back: guessing would file the story under the wrong month.
func feedDate(fi *gofeed.Item) (time.Time, string) {
	if strings.TrimSpace(fi.Published) != "" {
		if fi.PublishedParsed == nil {
			return time.Time{}, fmt.Sprintf("unparsable date %q", plaintext.Clip(fi.Published, 60))
		}
		return *fi.PublishedParsed, ""
	}
	if strings.TrimSpace(fi.Updated) != "" {
		if fi.UpdatedParsed == nil {
			return time.Time{}, fmt.Sprintf("unparsable updated date %q", plaintext.Clip(fi.Updated, 60))
		}
		return *fi.UpdatedParsed, ""
	}
	return time.Time{}, "no date (neither published nor updated)"
}

// feedImage takes the picture the feed declares for the entry (media or
// iTunes image, JSON Feed image), else the first image enclosure.
func feedImage(fi *gofeed.Item) (src, alt string) {
	if fi.Image != nil && strings.TrimSpace(fi.Image.URL) != "" {
		return fi.Image.URL, fi.Image.Title
	}
	for _, enc := range fi.Enclosures {
		if enc != nil && strings.HasPrefix(strings.ToLower(enc.Type), "image/") && enc.URL != "" {
			return enc.URL, ""
		}
	}
	return "", ""
}

// feedBase is what relative entry links resolve against: the feed's own link
// to its site, else the URL the feed was fetched from.
func feedBase(feed *gofeed.Feed, source string) *url.URL {
	for _, s := range []string{feed.Link, source} {
		if u, err := url.Parse(strings.TrimSpace(s)); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			return u
		}
	}
	return nil
}

// feedEntryLabel names an entry the way a person can find it in the feed:
// its position, and its GUID, link or title.
func feedEntryLabel(n int, fi *gofeed.Item) string {
	switch {
	case strings.TrimSpace(fi.GUID) != "":
		return fmt.Sprintf("entry %d (guid %s)", n, plaintext.Clip(strings.TrimSpace(fi.GUID), 80))
	case strings.TrimSpace(fi.Link) != "":
		return fmt.Sprintf("entry %d (link %s)", n, plaintext.Clip(strings.TrimSpace(fi.Link), 80))
	case strings.TrimSpace(fi.Title) != "":
		return fmt.Sprintf("entry %d (title %q)", n, plaintext.Clip(collapseSpace(fi.Title), 60))
	}
	return fmt.Sprintf("entry %d", n)
}

// webURL accepts an absolute http(s) URL, or a relative one when base is
// known. Anything else (javascript:, data:, mailto:, file:) would become a
// link in an email, so it is refused.
func webURL(raw string, base *url.URL) (string, error) {
	s := strings.TrimSpace(raw)
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("%q is not a valid URL", plaintext.Clip(s, 80))
	}
	if u.Scheme == "" && base != nil {
		u = base.ResolveReference(u)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", fmt.Errorf("%q is not an http(s) URL", plaintext.Clip(s, 80))
	}
	if u.Host == "" {
		return "", fmt.Errorf("%q has no host", plaintext.Clip(s, 80))
	}
	u.Scheme = scheme
	return u.String(), nil
}
