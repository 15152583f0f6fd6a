package newsletter

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Consent event names, as the consent log spells them.
const (
	EventSubscribed   = "subscribed"
	EventConfirmed    = "confirmed"
	EventResubscribed = "resubscribed"
	EventUnsubscribed = "unsubscribed"
	EventBounced      = "bounced"
	EventComplained   = "complained"
	EventErased       = "erased"
	EventImported     = "imported"
)

// Consent sources: where a change came from.
const (
	SourceForm     = "form"      // the public subscribe form
	SourceLink     = "link"      // a signed link's page (confirm, unsubscribe button)
	SourceOneClick = "one-click" // RFC 8058 POST from a mailbox provider
	SourceImport   = "import"
	SourceAPI      = "api"
	SourceCLI      = "cli"
	SourceDelivery = "delivery" // a delivery status notification, or the reply at send time
	SourceWebhook  = "webhook"  // a relay's webhook
	SourceFeedback = "feedback" // a feedback loop's complaint report (ARF)
	SourceMailto   = "mailto"   // a message to the List-Unsubscribe mailto address
	SourceManage   = "manage"   // the subscriber's own page (/manage/)
)

// Consent says who made a change, for the consent log. Every change of a
// subscriber's status writes one event with it, in the same transaction as
// the change.
type Consent struct {
	Source string
	IP     netip.Addr // the client's address; the zero Addr when there is none
}

// ConsentEvent is one line of the append-only consent log.
type ConsentEvent struct {
	ID        int64
	Event     string
	Source    string
	IP        string // empty when none was recorded
	CreatedAt time.Time
	// Import is the import that added the address, or the one that wrote
	// this event; nil for any other event.
	Import *ImportRecord
}

// SubscriberStatuses are every status a subscriber can have.
func SubscriberStatuses() []string {
	return []string{SubscriberPending, SubscriberActive, SubscriberUnsubscribed, SubscriberBounced, SubscriberComplained}
}

// CheckStatusFilter accepts "" (any status) or one a subscriber can have, so
// a misspelt filter is an error instead of an empty list.
func CheckStatusFilter(status string) error {
	if status == "" || slices.Contains(SubscriberStatuses(), status) {
		return nil
	}
	return Problemf(ErrInvalid, "status %q: want one of %s", status, strings.Join(SubscriberStatuses(), ", "))
}

// CheckNewStatus is the rule for an address staff put on the list (add or
// import): active, because staff vouch for the consent, or pending, to ask
// for it. Empty means active.
func CheckNewStatus(status string) (string, error) {
	switch status {
	case "":
		return SubscriberActive, nil
	case SubscriberActive, SubscriberPending:
		return status, nil
	}
	return "", fmt.Errorf("%w: status %q: want active or pending", ErrInvalid, status)
}

// ErrLinkSuperseded refuses a confirmation link used already, or sent
// before the subscriber unsubscribed, bounced or complained: a link in an
// old email must never undo what happened after it was sent.
var ErrLinkSuperseded = fmt.Errorf("%w: the confirmation link was used already or is older than a later change", ErrConflict)

// ClosingEvents are the consent events that end what a confirmation link
// sent before them could do.
func ClosingEvents() []string {
	return []string{EventConfirmed, EventResubscribed, EventUnsubscribed, EventBounced, EventComplained, EventErased}
}

// ConfirmEvent is the rule for a confirmation link followed by a subscriber
// in status: the consent event it writes, or "" when the subscriber is
// active already and nothing changes. A complaint is ErrConflict: only staff
// may undo it.
func ConfirmEvent(status string) (string, error) {
	switch status {
	case SubscriberActive:
		return "", nil
	case SubscriberComplained:
		return "", fmt.Errorf("%w: the subscriber complained; only staff can reactivate", ErrConflict)
	case SubscriberUnsubscribed, SubscriberBounced:
		return EventResubscribed, nil
	}
	return EventConfirmed, nil
}

// Unsubscribes reports whether an unsubscribe changes a subscriber in
// status: not when already unsubscribed, nor after a complaint or a bounce,
// which stay the stronger marks (a bounced address turned unsubscribed
// could come back by its unsubscribe link without showing that mail
// reaches it again).
func Unsubscribes(status string) bool {
	return status != SubscriberUnsubscribed && status != SubscriberComplained && status != SubscriberBounced
}

// SignUpConfirms is the rule for a sign-up on the public form for an
// address already known in status: whether a confirmation email goes out,
// and whether the sign-up is logged as a new subscribed event (it is not for
// a pending address asking again). Active and complained addresses get
// nothing, and the page shown is the same whatever this says.
func SignUpConfirms(status string) (confirm, logEvent bool) {
	switch status {
	case SubscriberUnsubscribed, SubscriberBounced:
		return true, true
	case SubscriberPending:
		return true, false
	}
	return false, false
}
