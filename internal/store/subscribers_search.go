package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"
)

// SubscriberSearch narrows SearchSubscribers.
type SubscriberSearch struct {
	Prefix string // start of the address or of the name, any case
	Status string // empty: any
	After  int64  // cursor: only ids above this
	Limit  int    // default 50, at most 500
}

// sparseMatches is where a prefix stops being rare: below it, the page
// is read from the matches the prefix indexes give; at or above it, by
// walking the ids until a page of matches is found, which such a common
// prefix makes short.
const sparseMatches = 2000

// SearchSubscribers pages through subscribers whose address or name starts
// with the prefix, by id. A page stays fast at millions of rows whatever
// the prefix: the planner cannot tell a prefix held by one row from one
// held by half the list (addresses share their starts), and walking the
// ids for a rare one reads the whole table, so the rare case is decided
// here by counting the matches in the prefix indexes (migration 00051),
// up to sparseMatches.
func (s *Store) SearchSubscribers(ctx context.Context, f SubscriberSearch) (SubscriberPage, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	where := []string{"id > $1"}
	args := []any{f.After}
	if f.Status != "" {
		args = append(args, f.Status)
		where = append(where, fmt.Sprintf("status = $%d", len(args)))
	}
	if p := strings.ToLower(strings.TrimSpace(f.Prefix)); p != "" {
		pattern := escapeLike(p) + "%"
		var ids []int64
		err := s.db.SelectContext(ctx, &ids, `(SELECT id FROM subscribers WHERE lower(email) LIKE $1 LIMIT $2)
			UNION (SELECT id FROM subscribers WHERE name <> '' AND lower(name) LIKE $1 LIMIT $2)`, pattern, sparseMatches)
		if err != nil {
			return SubscriberPage{}, wrap("search subscribers: candidates", err)
		}
		if len(ids) < sparseMatches {
			args = append(args, pq.Array(ids))
			where = append(where, fmt.Sprintf("id = ANY($%d)", len(args)))
		} else {
			args = append(args, pattern)
			n := len(args)
			where = append(where, fmt.Sprintf("(lower(email) LIKE $%d OR (name <> '' AND lower(name) LIKE $%d))", n, n))
		}
	}
	args = append(args, limit+1)
	var rows []subscriberRow
	err := s.db.SelectContext(ctx, &rows, `SELECT `+subscriberColumns+` FROM subscribers WHERE `+
		strings.Join(where, " AND ")+fmt.Sprintf(" ORDER BY id LIMIT $%d", len(args)), args...)
	if err != nil {
		return SubscriberPage{}, wrap("search subscribers", err)
	}
	return pageOf(rows, limit), nil
}

// SubscriberCounts counts subscribers by status.
func (s *Store) SubscriberCounts(ctx context.Context) (map[string]int64, error) {
	var rows []struct {
		Status string `db:"status"`
		N      int64  `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT status, count(*) AS n FROM subscribers GROUP BY status`); err != nil {
		return nil, wrap("subscriber counts", err)
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}

// MonthlyConsent is one month of the consent log in counts.
type MonthlyConsent struct {
	Month                             time.Time
	Subscribed, Unsubscribed, Bounced int64
}

// ConsentByMonth counts subscriptions (confirmed, resubscribed, imported,
// or added active), unsubscriptions and bounces or complaints for each of
// the last n months up to the one holding now, in loc, oldest first; months
// without events are there with zeros.
func (s *Store) ConsentByMonth(ctx context.Context, n int, now time.Time, loc *time.Location) ([]MonthlyConsent, error) {
	now = now.In(loc)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc).AddDate(0, -(n - 1), 0)
	var rows []struct {
		Month string `db:"month"`
		Sub   int64  `db:"sub"`
		Unsub int64  `db:"unsub"`
		Bnc   int64  `db:"bnc"`
	}
	// An import is one record for all the addresses it added (imports.go),
	// counted here as that many events.
	err := s.db.SelectContext(ctx, &rows, `WITH e AS (
			SELECT created_at, event, source, CAST(1 AS bigint) AS n FROM consent_events WHERE created_at >= $1
			UNION ALL
			SELECT created_at, 'imported', source, added FROM imports WHERE created_at >= $1)
		SELECT to_char(created_at AT TIME ZONE $2, 'YYYY-MM') AS month,
			CAST(COALESCE(sum(n) FILTER (WHERE event IN ('confirmed', 'resubscribed', 'imported', 'subscribed') AND source <> 'form'), 0) +
			     COALESCE(sum(n) FILTER (WHERE event IN ('confirmed', 'resubscribed') AND source = 'form'), 0) AS bigint) AS sub,
			CAST(COALESCE(sum(n) FILTER (WHERE event = 'unsubscribed'), 0) AS bigint) AS unsub,
			CAST(COALESCE(sum(n) FILTER (WHERE event IN ('bounced', 'complained')), 0) AS bigint) AS bnc
		FROM e GROUP BY 1`, first, loc.String())
	if err != nil {
		return nil, wrap("consent by month", err)
	}
	byMonth := make(map[string]int, len(rows))
	for i, r := range rows {
		byMonth[r.Month] = i
	}
	out := make([]MonthlyConsent, n)
	for i := range n {
		m := first.AddDate(0, i, 0)
		out[i].Month = m
		if j, ok := byMonth[m.Format("2006-01")]; ok {
			out[i].Subscribed, out[i].Unsubscribed, out[i].Bounced = rows[j].Sub, rows[j].Unsub, rows[j].Bnc
		}
	}
	return out, nil
}
