package content

import (
	"time"

	"github.com/enews/enews/internal/newsletter"
)

// Manual validates one item typed in by hand (`enews items add`) with the
// same rules and cleaning as a row of our own file formats, so an item is
// stored the same way whichever door it came in by.
func Manual(source string, it newsletter.Item, opts Options) (newsletter.Item, error) {
	p := &parser{opts: opts.withDefaults(), text: newTextCleaner(), batch: Batch{Source: source}, seen: map[string]string{}}
	rw := row{Kind: it.Kind, Title: it.Title, Summary: it.Summary, URL: it.URL, ImageURL: it.ImageURL,
		ImageAlt: it.ImageAlt, ImageCredit: it.ImageCredit, PublishedAt: it.PublishedAt.Format(time.RFC3339),
		Status: it.Status, ExternalID: it.ExternalID}
	out, reason := p.rowItem(rw)
	if reason != "" {
		return newsletter.Item{}, &RejectedError{Reason: reason}
	}
	out.Source = source
	return out, nil
}

// RejectedError says why an item was refused.
type RejectedError struct{ Reason string }

func (e *RejectedError) Error() string { return "content: item rejected: " + e.Reason }

// Unwrap lets callers test errors.Is(err, newsletter.ErrInvalid).
func (e *RejectedError) Unwrap() error { return newsletter.ErrInvalid }
