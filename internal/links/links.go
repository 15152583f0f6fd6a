// Package links builds the public URLs enews puts in emails and pages. The
// web package serves exactly these paths.
package links

import (
	"net/url"
	"strings"
	"time"

	"github.com/enews/enews/internal/newsletter"
	"github.com/enews/enews/internal/signing"
)

// Token purposes: a token signed for one cannot be used for another.
const (
	PurposeUnsubscribe = "unsubscribe"
	PurposeConfirm     = "confirm"
	PurposePreview     = "preview"
	PurposeManage      = "manage"
	// PurposeNewAddress confirms a change of address from the new one.
	PurposeNewAddress = "new-address"
)

// Paths served by the web package.
const (
	PathUnsubscribe = "/unsubscribe/" // + token
	PathConfirm     = "/confirm/"     // + token
	PathArchive     = "/archive/"     // + YYYY-MM
	PathFeed        = "/archive/feed.xml"
	PathSubscribe   = "/subscribe"
	PathPreview     = "/preview/" // + token
	PathManage      = "/manage/"  // + token
	// PathNewAddress is the link sent to a new address to confirm it.
	PathNewAddress = "/manage-address/" // + token
	// PathTestUnsubscribe is a test copy's unsubscribe link: a page saying
	// so, which changes nothing.
	PathTestUnsubscribe = "/unsubscribe-test"
)

// ConfirmTTL is how long a confirmation link works.
const ConfirmTTL = 72 * time.Hour

// PreviewTTL is how long a test copy's "view in browser" link works.
const PreviewTTL = 30 * 24 * time.Hour

// Links builds signed per-subscriber URLs under a base URL.
type Links struct {
	base   string
	signer *signing.Signer
}

// New takes the public base URL (web.base_url) and the link signer.
func New(base string, signer *signing.Signer) *Links {
	return &Links{base: strings.TrimRight(base, "/"), signer: signer}
}

// Base is the public base URL without a trailing slash.
func (l *Links) Base() string { return l.base }

// Unsubscribe is the subscriber's unsubscribe URL; it never expires, since
// old emails must keep working.
func (l *Links) Unsubscribe(subscriberID int64) string {
	return l.base + PathUnsubscribe + l.signer.Sign(PurposeUnsubscribe, subscriberID, time.Time{})
}

// Manage is the subscriber's own page (name, address, status, their data,
// erase). Like Unsubscribe it never expires: it sits in every email.
func (l *Links) Manage(subscriberID int64) string {
	return l.base + PathManage + l.signer.Sign(PurposeManage, subscriberID, time.Time{})
}

// NewAddress confirms a change of address, sent to the new address; it
// expires after ConfirmTTL like a subscription's confirmation.
func (l *Links) NewAddress(subscriberID int64, now time.Time) string {
	return l.base + PathNewAddress + l.signer.Sign(PurposeNewAddress, subscriberID, now.Add(ConfirmTTL))
}

// Confirm is a double opt-in link that expires after ConfirmTTL.
func (l *Links) Confirm(subscriberID int64, now time.Time) string {
	return l.base + PathConfirm + l.signer.Sign(PurposeConfirm, subscriberID, now.Add(ConfirmTTL))
}

// Archive is the web copy of a sent issue ("view in browser").
func (l *Links) Archive(p newsletter.Period) string {
	return l.base + PathArchive + url.PathEscape(p.String())
}

// Preview is a signed link to the period's issue as it stands (a draft
// rendered now, or the frozen bytes), for test copies: it works before the
// issue is sent, and only until PreviewTTL.
func (l *Links) Preview(p newsletter.Period, now time.Time) string {
	return l.base + PathPreview + l.signer.Sign(PurposePreview, PreviewID(p), now.Add(PreviewTTL))
}

// PreviewID is the number a preview token signs for a period: 202205.
func PreviewID(p newsletter.Period) int64 { return int64(p.Year)*100 + int64(p.Month) }

// PreviewPeriod reads PreviewID back; ok is false for a number no period gives.
func PreviewPeriod(id int64) (newsletter.Period, bool) {
	p := newsletter.Period{Year: int(id / 100), Month: time.Month(id % 100)}
	return p, id > 0 && p.Month >= time.January && p.Month <= time.December
}

// TestUnsubscribe is the unsubscribe link of a test copy.
func (l *Links) TestUnsubscribe() string { return l.base + PathTestUnsubscribe }

// Feed is the Atom feed of sent issues.
func (l *Links) Feed() string { return l.base + PathFeed }

// Subscribe is the public subscribe form.
func (l *Links) Subscribe() string { return l.base + PathSubscribe }
