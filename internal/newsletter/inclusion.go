package newsletter

import (
	"fmt"
	"strings"
	"time"
)

// Why each item is in or out of a period's issue. Select is the one rule:
// the issue is made from what it chooses, and the report is what it says
// about every item it looked at, so the two cannot drift apart.

// ItemDecision is one item considered for an issue, in or out, and why.
type ItemDecision struct {
	ID          int64     `json:"id"`
	Title       string    `json:"title"`
	URL         string    `json:"url"`
	Status      string    `json:"status"`
	PublishedAt time.Time `json:"published_at"`
	// Local is PublishedAt in the schedule's zone, as the month is cut.
	Local  string `json:"local"`
	In     bool   `json:"in"`
	Reason string `json:"reason"`
}

// InclusionReport is the whole account of one issue's contents.
type InclusionReport struct {
	Period   string         `json:"period"`
	Zone     string         `json:"zone"`
	From     time.Time      `json:"from"` // the month's bounds in Zone: [From, To)
	To       time.Time      `json:"to"`
	MaxItems int            `json:"max_items"`
	MinItems int            `json:"min_items"`
	Included int            `json:"included"`
	Outcome  string         `json:"outcome"` // the quiet-month decision: what the issue is made as
	Items    []ItemDecision `json:"items"`   // newest first
}

// CandidateWindow is how far beyond the month's bounds items are looked at,
// so that one published just outside shows why it is out.
const CandidateWindow = 24 * time.Hour

// LocalLayout writes an item's time in the schedule's zone.
const LocalLayout = "2006-01-02 15:04 MST"

// Select decides which candidates (any status, newest first, from within
// CandidateWindow of the period's bounds) go into period p's issue: those
// published in the month in loc, not hidden, not drafts, each URL once (the
// newest item keeps it), at most maxItems (0: no limit). It returns them,
// newest first, and the report on every candidate.
func Select(p Period, loc *time.Location, candidates []Item, maxItems int) ([]Item, InclusionReport) {
	start, end := p.Bounds(loc)
	rep := InclusionReport{Period: p.String(), Zone: loc.String(), From: start, To: end, MaxItems: maxItems,
		Items: make([]ItemDecision, 0, len(candidates))}
	var chosen []Item
	urlOwner := map[string]int64{}
	for _, it := range candidates {
		local := it.PublishedAt.In(loc)
		d := ItemDecision{ID: it.ID, Title: it.Title, URL: it.URL, Status: it.Status, PublishedAt: it.PublishedAt,
			Local: local.Format(LocalLayout)}
		key := urlKey(it.URL)
		switch owner, dup := urlOwner[key]; {
		case it.Status == ItemHidden:
			d.Reason = "hidden by staff"
		case it.Status == ItemDraft:
			d.Reason = "a draft, not published"
		case it.PublishedAt.Before(start) || !it.PublishedAt.Before(end):
			d.Reason = fmt.Sprintf("outside the month: published %s, in %s", d.Local, PeriodOf(it.PublishedAt, loc))
		case dup:
			d.Reason = fmt.Sprintf("duplicate URL: item %d has the same link", owner)
		case maxItems > 0 && len(chosen) >= maxItems:
			d.Reason = fmt.Sprintf("over content.max_items (%d): the %d newest are in", maxItems, maxItems)
		default:
			d.In, d.Reason = true, "published "+d.Local+", in the month"
			urlOwner[key] = it.ID
			chosen = append(chosen, it)
		}
		rep.Items = append(rep.Items, d)
	}
	rep.Included = len(chosen)
	return chosen, rep
}

// urlKey compares links the way a reader would: without surrounding
// space, the fragment or a trailing slash, the scheme and host in any case.
func urlKey(u string) string {
	u = strings.TrimSpace(u)
	if i := strings.IndexByte(u, '#'); i >= 0 {
		u = u[:i]
	}
	u = strings.TrimSuffix(u, "/")
	if scheme, rest, ok := strings.Cut(u, "://"); ok {
		host, path, _ := strings.Cut(rest, "/")
		u = strings.ToLower(scheme) + "://" + strings.ToLower(host) + "/" + path
	}
	return u
}

// QuietMonth is the quiet-month rule: an issue with no item is skipped;
// one with fewer than minItems is skipped unless quiet months are sent or
// the send is forced. skip says so, and reason why either way.
func QuietMonth(n, minItems int, sendQuiet, force bool) (skip bool, reason string) {
	switch {
	case n == 0:
		return true, "no published items in that month"
	case n < minItems && !sendQuiet && !force:
		return true, fmt.Sprintf("quiet month: %d published items, content.min_items is %d", n, minItems)
	case n < minItems:
		return false, fmt.Sprintf("a quiet month (%s, content.min_items is %d), made anyway", items(n), minItems)
	}
	return false, items(n)
}

func items(n int) string {
	if n == 1 {
		return "1 item"
	}
	return fmt.Sprintf("%d items", n)
}
