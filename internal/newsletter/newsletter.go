// Package newsletter holds the domain types shared by every other package. It knows
// nothing of SQL, SMTP or HTTP: those live in store, mailer and web.
package newsletter

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors. Store methods wrap them; web maps them to HTTP statuses in
// one place.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
	ErrInvalid  = errors.New("invalid input")
	// ErrUnavailable: the database could not answer now (restarting,
	// connection lost, a lock or statement timeout, a deadlock): the same
	// call may well succeed in a moment. Loops that must not stop for a
	// blip retry on it; anyone else reports it.
	ErrUnavailable = errors.New("temporarily unavailable")
)

// Problem is an error in the words of the person who caused it: what is
// wrong and, when there is something to do, what. The CLI prints only that;
// the API sends it as the message. It matches its Kind (ErrNotFound,
// ErrConflict or ErrInvalid) under errors.Is, so statuses still follow.
type Problem struct {
	Kind error
	Msg  string
}

func (p *Problem) Error() string { return p.Msg }
func (p *Problem) Unwrap() error { return p.Kind }

// Problemf makes a Problem of kind.
func Problemf(kind error, format string, args ...any) error {
	return &Problem{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Item statuses.
const (
	ItemDraft     = "draft"
	ItemPublished = "published"
	ItemHidden    = "hidden"
)

// Item is one published piece of content: a news story, an interview, a statement.
type Item struct {
	ID          int64
	Kind        string // News, Spotlight Interview, Statement, Story…
	Title       string
	Summary     string // plain text
	URL         string
	ImageURL    string
	ImageAlt    string
	ImageCredit string
	PublishedAt time.Time
	Status      string
	Source      string // where it came from: a feed URL, "manual", a file name
	ExternalID  string // unique within Source: a feed GUID, else the link
	// Overridden lists the fields staff set (ItemFields names): a later
	// import of the same entry leaves them, and SourceValues keeps what
	// the source said of each, shown but not applied.
	Overridden   []string
	SourceValues map[string]string
}

// ItemFields names an item's editable fields, as Overridden lists them.
func ItemFields() []string {
	return []string{"kind", "title", "summary", "url", "image_url", "image_alt", "image_credit", "published_at", "status"}
}

// Subscriber statuses.
const (
	SubscriberPending      = "pending"
	SubscriberActive       = "active"
	SubscriberUnsubscribed = "unsubscribed"
	SubscriberBounced      = "bounced"
	SubscriberComplained   = "complained"
)

// Subscriber is one address on the list.
type Subscriber struct {
	ID         int64
	Email      string
	Name       string
	Status     string
	Attributes map[string]string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Issue statuses; the transitions between them are in lifecycle.go.
const (
	IssueDraft     = "draft"
	IssueApproved  = "approved"
	IssueSending   = "sending"
	IssuePaused    = "paused"
	IssueSent      = "sent"
	IssueSkipped   = "skipped"
	IssueCancelled = "cancelled"
)

// Issue is one newsletter period. A draft is rendered again whenever its
// items change; from approval on its bytes are frozen (IssueFrozen): every
// send, preview and archive view shows them.
type Issue struct {
	ID         int64
	Period     Period
	Status     string
	Subject    string
	Preheader  string
	HTML       string // with placeholder tokens, see digest
	Text       string
	WebHTML    string // the archive page's body, rendered with the email
	ItemIDs    []int64
	SkipReason string
	// Inclusion is why each item is in or out, as rendered with the
	// bytes; the store keeps it beside them.
	Inclusion  *InclusionReport
	CreatedAt  time.Time
	RenderedAt *time.Time
	ApprovedAt *time.Time
	StartedAt  *time.Time
	SentAt     *time.Time
	UpdatedAt  time.Time
}

// Delivery statuses: queued → sending (leased) → sent | failed | retry | skipped.
const (
	DeliveryQueued  = "queued"
	DeliverySending = "sending"
	DeliverySent    = "sent"
	DeliveryFailed  = "failed"
	DeliveryRetry   = "retry"
	DeliverySkipped = "skipped"
)

// Period is one calendar month, the unit an issue covers.
type Period struct {
	Year  int
	Month time.Month
}

// ParsePeriod reads "YYYY-MM".
func ParsePeriod(s string) (Period, error) {
	if len(s) != 7 || s[4] != '-' || !digits(s[:4]) || !digits(s[5:]) {
		return Period{}, Problemf(ErrInvalid, "period %q: want a month as YYYY-MM, like 2022-05", s)
	}
	y, _ := strconv.Atoi(s[:4]) // digits only, checked above
	m, _ := strconv.Atoi(s[5:])
	if m < 1 || m > 12 {
		return Period{}, Problemf(ErrInvalid, "period %s: there is no month %02d; months run from 01 to 12", s, m)
	}
	if y < 1 {
		return Period{}, Problemf(ErrInvalid, "period %s: there is no year 0000", s)
	}
	return Period{Year: y, Month: time.Month(m)}, nil
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// ParseDate reads a day, "YYYY-MM-DD" (its first instant in loc), or an
// instant in RFC 3339. The error names the value but not the flag or field
// it came from: the caller adds that.
func ParseDate(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return t, nil
	}
	return time.Time{}, Problemf(ErrInvalid, "want a day as YYYY-MM-DD or a time in RFC 3339 like 2022-05-31T09:00:00+02:00, got %q", s)
}

// String gives "YYYY-MM".
func (p Period) String() string { return fmt.Sprintf("%04d-%02d", p.Year, int(p.Month)) }

// Bounds gives the first instant of the month and the first instant of the next,
// in loc: [start, end).
func (p Period) Bounds(loc *time.Location) (start, end time.Time) {
	start = time.Date(p.Year, p.Month, 1, 0, 0, 0, 0, loc)
	return start, start.AddDate(0, 1, 0)
}

// Prev is the month before.
func (p Period) Prev() Period {
	t := time.Date(p.Year, p.Month, 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
	return Period{Year: t.Year(), Month: t.Month()}
}

// PeriodOf is the month holding t in loc.
func PeriodOf(t time.Time, loc *time.Location) Period {
	t = t.In(loc)
	return Period{Year: t.Year(), Month: t.Month()}
}
