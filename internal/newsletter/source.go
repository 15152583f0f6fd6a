package newsletter

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Source is a feed or item file that the leader fetches by itself: RSS,
// Atom, JSON Feed, or the enews CSV/JSON item format over http(s).
type Source struct {
	ID          int64
	Name        string
	URL         string
	DefaultKind string // the kind of an entry that names none; empty: content.default_kind
	Enabled     bool
	// Validators from the last successful fetch, sent back as If-None-Match
	// and If-Modified-Since so an unchanged feed costs a 304.
	ETag         string
	LastModified string
	// Failures counts the fetches that failed in a row; the next fetch
	// waits longer after each.
	Failures      int
	LastError     string
	LastFetchAt   *time.Time
	LastSuccessAt *time.Time
	FailingSince  *time.Time // first failure of the current run of failures
	NextFetchAt   time.Time
	CreatedAt     time.Time
}

// Failing reports a source whose latest fetch failed.
func (s Source) Failing() bool { return s.Failures > 0 }

// Fetch outcomes.
const (
	FetchFetched     = "fetched"      // the source answered with content, stored
	FetchNotModified = "not-modified" // a 304: nothing changed, nothing stored
	FetchFailed      = "failed"       // unreachable, an HTTP error, or unreadable
)

// SourceFetch is one fetch of a source, as its history keeps it.
type SourceFetch struct {
	SourceID   int64
	At         time.Time
	HTTPStatus int // 0 when no answer came
	Outcome    string
	New        int
	Updated    int
	Unchanged  int
	Rejected   int
	Error      string
	Duration   time.Duration
}

// Bounds of a source's fields.
const (
	MaxSourceName = 100
	MaxSourceURL  = 2000
	MaxSourceKind = 60
)

// NewSource checks a source as staff give it (CLI, console, API): a name of
// one line, an http or https URL, an optional one-line kind. Surrounding
// space is trimmed. It is enabled.
func NewSource(name, rawURL, kind string) (Source, error) {
	name, rawURL, kind = strings.TrimSpace(name), strings.TrimSpace(rawURL), strings.TrimSpace(kind)
	if name == "" || utf8.RuneCountInString(name) > MaxSourceName || strings.ContainsFunc(name, unicode.IsControl) {
		return Source{}, fmt.Errorf("%w: the source name must be one line of 1 to %d characters", ErrInvalid, MaxSourceName)
	}
	if u, err := url.Parse(rawURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		len(rawURL) > MaxSourceURL || strings.ContainsFunc(rawURL, unicode.IsControl) {
		return Source{}, fmt.Errorf("%w: the source address must be an http or https URL of a feed (at most %d characters)", ErrInvalid, MaxSourceURL)
	}
	if utf8.RuneCountInString(kind) > MaxSourceKind || strings.ContainsFunc(kind, unicode.IsControl) {
		return Source{}, fmt.Errorf("%w: the source kind must be one line of at most %d characters", ErrInvalid, MaxSourceKind)
	}
	return Source{Name: name, URL: rawURL, DefaultKind: kind, Enabled: true}, nil
}
