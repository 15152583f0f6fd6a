package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/enews/enews/internal/newsletter"
)

// itemRow mirrors the items table.
type itemRow struct {
	ID          int64     `db:"id"`
	Kind        string    `db:"kind"`
	Title       string    `db:"title"`
	Summary     string    `db:"summary"`
	URL         string    `db:"url"`
	ImageURL    string    `db:"image_url"`
	ImageAlt    string    `db:"image_alt"`
	ImageCredit string    `db:"image_credit"`
	PublishedAt time.Time `db:"published_at"`
	Status      string    `db:"status"`
	Source      string    `db:"source"`
	ExternalID  string    `db:"external_id"`
	// Read only: staff overrides (see item_edit.go).
	Overridden   pq.StringArray `db:"overridden"`
	SourceValues []byte         `db:"source_values"`
}

func (r itemRow) item() newsletter.Item {
	it := newsletter.Item{ID: r.ID, Kind: r.Kind, Title: r.Title, Summary: r.Summary, URL: r.URL,
		ImageURL: r.ImageURL, ImageAlt: r.ImageAlt, ImageCredit: r.ImageCredit,
		PublishedAt: r.PublishedAt, Status: r.Status, Source: r.Source, ExternalID: r.ExternalID,
		Overridden: []string(r.Overridden)}
	if len(r.SourceValues) > 0 {
		// Written only by this package as a JSON object of strings.
		_ = json.Unmarshal(r.SourceValues, &it.SourceValues)
	}
	return it
}

func rowOf(it newsletter.Item) itemRow {
	return itemRow{ID: it.ID, Kind: it.Kind, Title: it.Title, Summary: it.Summary, URL: it.URL,
		ImageURL: it.ImageURL, ImageAlt: it.ImageAlt, ImageCredit: it.ImageCredit,
		PublishedAt: it.PublishedAt, Status: it.Status, Source: it.Source, ExternalID: it.ExternalID}
}

const itemColumns = `id, kind, title, summary, url, image_url, image_alt, image_credit, published_at, status, source, external_id,
	overridden, source_values`

// UpsertResult counts what an import did.
type UpsertResult struct {
	New, Updated, Unchanged int
}

// UpsertItems inserts or updates items keyed by (source, external_id) in one
// transaction: either the whole batch is stored or nothing is. A field staff
// overrode keeps their value; what the source says of it goes to
// source_values instead.
func (s *Store) UpsertItems(ctx context.Context, items []newsletter.Item) (UpsertResult, error) {
	var res UpsertResult
	err := s.inTx(ctx, "upsert items", func(tx *sqlx.Tx) error {
		stmt, err := tx.PrepareNamedContext(ctx, upsertItemSQL())
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, it := range items {
			var inserted []bool
			if err := stmt.SelectContext(ctx, &inserted, rowOf(it)); err != nil {
				return wrap("item "+it.ExternalID, err)
			}
			switch {
			case len(inserted) == 0: // the WHERE found nothing changed
				res.Unchanged++
			case inserted[0]:
				res.New++
			default:
				res.Updated++
			}
		}
		return nil
	})
	return res, err
}

// ItemFilter narrows ListItems.
type ItemFilter struct {
	From, To time.Time // [From, To); zero means open
	Status   string    // empty: any
	Limit    int
}

// ListItems returns items newest first.
func (s *Store) ListItems(ctx context.Context, f ItemFilter) ([]newsletter.Item, error) {
	q := `SELECT ` + itemColumns + ` FROM items
		WHERE ($1 = '' OR status = $1)
		  AND (CAST($2 AS timestamptz) IS NULL OR published_at >= $2)
		  AND (CAST($3 AS timestamptz) IS NULL OR published_at < $3)
		ORDER BY published_at DESC, id DESC
		LIMIT $4`
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	var rows []itemRow
	if err := s.db.SelectContext(ctx, &rows, q, f.Status, nullTime(f.From), nullTime(f.To), limit); err != nil {
		return nil, wrap("list items", err)
	}
	out := make([]newsletter.Item, len(rows))
	for i, r := range rows {
		out[i] = r.item()
	}
	return out, nil
}

// ItemsPublishedBetween returns every item, whatever its status, published
// in [from, to), newest first: the candidates newsletter.Select decides on.
func (s *Store) ItemsPublishedBetween(ctx context.Context, from, to time.Time) ([]newsletter.Item, error) {
	return s.ListItems(ctx, ItemFilter{From: from, To: to, Limit: 10000})
}

// ItemsByID returns the given items in the order of ids.
func (s *Store) ItemsByID(ctx context.Context, ids []int64) ([]newsletter.Item, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	q, args, err := sqlx.In(`SELECT `+itemColumns+` FROM items WHERE id IN (?)`, ids)
	if err != nil {
		return nil, wrap("items by id", err)
	}
	var rows []itemRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q), args...); err != nil {
		return nil, wrap("items by id", err)
	}
	byID := make(map[int64]newsletter.Item, len(rows))
	for _, r := range rows {
		byID[r.ID] = r.item()
	}
	out := make([]newsletter.Item, 0, len(ids))
	for _, id := range ids {
		if it, ok := byID[id]; ok {
			out = append(out, it)
		}
	}
	return out, nil
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// upsertItemSQL is the insert-or-update of one item. Each field is the
// source's value unless staff overrode it; source_values keeps the
// source's value of each overridden field. A row that would not change is
// not written, and counts as unchanged.
func upsertItemSQL() string {
	var set, current, next, offered []string
	for _, f := range newsletter.ItemFields() {
		v := fmt.Sprintf("CASE WHEN '%s' = ANY(items.overridden) THEN items.%s ELSE EXCLUDED.%s END", f, f, f)
		set = append(set, f+" = "+v)
		current = append(current, "items."+f)
		next = append(next, v)
		// A timestamp becomes an ISO 8601 JSON string. (No literal may hold
		// a colon: sqlx would read it as a named parameter.)
		offered = append(offered, fmt.Sprintf("'%s', EXCLUDED.%s", f, f))
	}
	sourceValues := `(SELECT COALESCE(jsonb_object_agg(key, value), '{}') FROM jsonb_each(jsonb_build_object(` +
		strings.Join(offered, ", ") + `)) WHERE key = ANY(items.overridden))`
	return `INSERT INTO items (kind, title, summary, url, image_url, image_alt, image_credit, published_at, status, source, external_id)
		VALUES (:kind, :title, :summary, :url, :image_url, :image_alt, :image_credit, :published_at, :status, :source, :external_id)
		ON CONFLICT (source, external_id) DO UPDATE SET ` + strings.Join(set, ", ") + `,
			source_values = ` + sourceValues + `, updated_at = now()
		WHERE (` + strings.Join(current, ", ") + `, items.source_values)
		      IS DISTINCT FROM (` + strings.Join(next, ", ") + `, ` + sourceValues + `)
		RETURNING (xmax = 0) AS inserted`
}
