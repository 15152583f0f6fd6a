package compliance

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/enews/enews/internal/store"
)

// pendingLimit is how long an unsubscribe may wait: the large mailbox
// providers ask for two days; enews applies them at once, so anything
// pending this long is a fault.
const pendingLimit = 48 * time.Hour

func pendingOK(c store.ListCounts, now time.Time) bool {
	return c.OldestPending == nil || now.Sub(*c.OldestPending) < pendingLimit
}

func pendingDetail(c store.ListCounts, now time.Time) string {
	if c.PendingUnsubscribes == 0 || c.OldestPending == nil {
		return "0 pending: unsubscribes take effect at once"
	}
	return fmt.Sprintf("%d unsubscribed still queued in a sending issue (skipped when claimed); oldest for %s",
		c.PendingUnsubscribes, now.Sub(*c.OldestPending).Round(time.Second))
}

func suppressionDetail(c store.ListCounts) string {
	var reasons []string
	for r := range c.Suppressed {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	var parts []string
	for _, r := range reasons {
		parts = append(parts, fmt.Sprintf("%s %d", r, c.Suppressed[r]))
	}
	sup := "none"
	if len(parts) > 0 {
		sup = strings.Join(parts, ", ")
	}
	return fmt.Sprintf("suppressed: %s; subscribers bounced %d, complained %d, unsubscribed %d",
		sup, c.Bounced, c.Complained, c.Unsubscribed)
}

func partsDetail(html, text bool) string {
	return fmt.Sprintf("HTML %s, text %s", presence(html), presence(text))
}

func presence(ok bool) string {
	if ok {
		return "has it"
	}
	return "lacks it"
}

func dnsDetail(name string, recs []string, err error) string {
	switch {
	case errors.Is(err, errNoRecord):
		return name + ": no record"
	case err != nil:
		return name + ": " + err.Error()
	case len(recs) == 0:
		return name + ": no matching record"
	case len(recs) > 1:
		return fmt.Sprintf("%s: %d records, want one", name, len(recs))
	}
	r := recs[0]
	if len(r) > 90 {
		r = r[:90] + "…"
	}
	return name + ": " + r
}
