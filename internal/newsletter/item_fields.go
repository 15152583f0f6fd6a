package newsletter

import "time"

// CopyFields copies the named fields (ItemFields names) from src.
func (dst *Item) CopyFields(src Item, fields []string) {
	for _, f := range fields {
		switch f {
		case "kind":
			dst.Kind = src.Kind
		case "title":
			dst.Title = src.Title
		case "summary":
			dst.Summary = src.Summary
		case "url":
			dst.URL = src.URL
		case "image_url":
			dst.ImageURL = src.ImageURL
		case "image_alt":
			dst.ImageAlt = src.ImageAlt
		case "image_credit":
			dst.ImageCredit = src.ImageCredit
		case "published_at":
			dst.PublishedAt = src.PublishedAt
		case "status":
			dst.Status = src.Status
		}
	}
}

// Field is one field as text (a time in RFC 3339, UTC), as an item's
// SourceValues keep it; "" for a name ItemFields does not hold.
func (it Item) Field(f string) string {
	switch f {
	case "kind":
		return it.Kind
	case "title":
		return it.Title
	case "summary":
		return it.Summary
	case "url":
		return it.URL
	case "image_url":
		return it.ImageURL
	case "image_alt":
		return it.ImageAlt
	case "image_credit":
		return it.ImageCredit
	case "published_at":
		return it.PublishedAt.UTC().Format(time.RFC3339)
	case "status":
		return it.Status
	}
	return ""
}
