// Package content reads news items from outside: RSS 2.0, Atom and JSON Feed
// documents, and the CSV and JSON item files described in FORMAT.md. It only
// parses and validates; storing the result is the store's job.
package content

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/enews/enews/internal/newsletter"
)

// Defaults applied when the matching Options field is zero.
const (
	DefaultKind     = "News"
	DefaultMaxBytes = 10 << 20
	DefaultTimeout  = 30 * time.Second
)

// futureSlack is how far past Options.Now an item may be dated. Feeds lag and
// clocks drift by minutes; a date days ahead is almost always a typo (2032 for
// 2023) that would otherwise surface silently in some later issue.
const futureSlack = 24 * time.Hour

// Options tunes one Load. The zero value is usable.
type Options struct {
	// DefaultKind is the kind of a feed entry without a category and of a
	// row without a kind. Empty means DefaultKind.
	DefaultKind string
	// MaxSummary caps summaries, in runes including the ellipsis. Zero
	// means no cap.
	MaxSummary int
	// MaxBytes refuses larger sources before parsing them. Zero means
	// DefaultMaxBytes.
	MaxBytes int64
	// HTTPClient fetches URL sources. Nil means a plain client; either way
	// each fetch is bounded by Timeout.
	HTTPClient *http.Client
	// Timeout bounds one URL fetch, body included. Zero means DefaultTimeout.
	Timeout time.Duration
	// Now is the clock for the future-date check. Nil means time.Now.
	Now func() time.Time
	// IfNoneMatch and IfModifiedSince make a URL fetch conditional: the
	// validators of the last fetch, so a 304 answers an unchanged source.
	IfNoneMatch, IfModifiedSince string
}

func (o Options) withDefaults() Options {
	if strings.TrimSpace(o.DefaultKind) == "" {
		o.DefaultKind = DefaultKind
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Batch is what one source yielded: the items that passed validation, ready
// for an upsert keyed on (Source, ExternalID), and the entries that did not.
type Batch struct {
	Source   string
	Items    []newsletter.Item
	Rejected []Rejection
	// From a URL: the HTTP status, and the validators to send with the
	// next fetch. NotModified is a 304 to a conditional fetch: no items.
	HTTPStatus         int
	ETag, LastModified string
	NotModified        bool
}

// Rejection names one entry that was skipped and why, in words fit for the
// person running the import.
type Rejection struct {
	Entry  string // "entry 3 (guid …)", "line 7", "item 2 (external_id …)"
	Reason string
}

// Load reads source (a file path or an http(s) URL), detects its format and
// returns the valid items with the rejected entries. An error means nothing
// from the source should be stored: it could not be read, was too large, or
// was malformed as a whole.
func Load(ctx context.Context, source string, opts Options) (Batch, error) {
	opts = opts.withDefaults()
	src, isURL, err := normaliseSource(source)
	if err != nil {
		return Batch{}, err
	}
	var doc document
	if isURL {
		doc, err = fetchURL(ctx, src, opts)
	} else {
		doc, err = readFile(ctx, src, opts.MaxBytes)
	}
	if err != nil {
		return Batch{}, err
	}
	if doc.notModified {
		return Batch{Source: src, HTTPStatus: doc.status, ETag: doc.etag, LastModified: doc.lastModified, NotModified: true}, nil
	}
	if len(trimLeading(doc.data)) == 0 {
		return Batch{}, fmt.Errorf("content: load %s: %w: the source is empty", src, newsletter.ErrInvalid)
	}
	p := &parser{opts: opts, text: newTextCleaner(), batch: Batch{Source: src}, seen: map[string]string{}}
	switch detect(doc) {
	case formatFeed:
		err = p.parseFeed(doc)
	case formatCSV:
		err = p.parseCSV(doc)
	case formatJSON:
		err = p.parseJSON(doc)
	default:
		err = fmt.Errorf("content: load %s: %w: not an RSS, Atom or JSON feed, nor a CSV or JSON item file", src, newsletter.ErrInvalid)
	}
	if err != nil {
		return Batch{}, err
	}
	p.batch.HTTPStatus, p.batch.ETag, p.batch.LastModified = doc.status, doc.etag, doc.lastModified
	return p.batch, nil
}

// normaliseSource gives the string stored as newsletter.Item.Source, so importing
// the same feed or file again finds the same rows: URLs with a lower-case
// scheme and host and no fragment, paths cleaned ("./a/../b.csv" is "b.csv").
// Paths stay as given rather than made absolute, so the same file imported
// from the same checkout on another machine keeps its identity.
func normaliseSource(source string) (src string, isURL bool, err error) {
	s := strings.TrimSpace(source)
	if s == "" {
		return "", false, fmt.Errorf("content: load: %w: empty source", newsletter.ErrInvalid)
	}
	lower := strings.ToLower(s)
	if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") {
		return filepath.Clean(s), false, nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "", false, fmt.Errorf("content: load %q: %w: not a valid URL", s, newsletter.ErrInvalid)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	u.Fragment = ""
	return u.String(), true, nil
}

// parser carries one Load's state while entries are turned into items.
type parser struct {
	opts  Options
	text  *textCleaner
	batch Batch
	// seen maps an external ID to the entry that first used it: one
	// upsert statement cannot touch the same row twice, and a feed that
	// repeats a GUID almost always repeats the story.
	seen map[string]string
}

func (p *parser) reject(entry, reason string) {
	p.batch.Rejected = append(p.batch.Rejected, Rejection{Entry: entry, Reason: reason})
}

// accept records it unless its external ID was already taken.
func (p *parser) accept(entry string, it newsletter.Item) {
	if first, dup := p.seen[it.ExternalID]; dup {
		p.reject(entry, fmt.Sprintf("same external id as %s", first))
		return
	}
	p.seen[it.ExternalID] = entry
	it.Source = p.batch.Source
	p.batch.Items = append(p.batch.Items, it)
}

// checkDate refuses a date implausibly far in the future and normalises the
// rest to UTC: the instant is what matters, and one zone makes items compare.
func (p *parser) checkDate(t time.Time) (time.Time, string) {
	if t.IsZero() {
		return t, "no date"
	}
	if limit := p.opts.Now().Add(futureSlack); t.After(limit) {
		return t, fmt.Sprintf("date %s is more than a day in the future", t.Format(time.RFC3339))
	}
	return t.UTC(), ""
}
