package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/enews/enews/internal/newsletter"
)

// ItemByID returns one item, with its overrides, or newsletter.ErrNotFound.
func (s *Store) ItemByID(ctx context.Context, id int64) (newsletter.Item, error) {
	var r itemRow
	if err := s.db.GetContext(ctx, &r, `SELECT `+itemColumns+` FROM items WHERE id = $1`, id); err != nil {
		return newsletter.Item{}, wrap(fmt.Sprintf("item %d", id), err)
	}
	return r.item(), nil
}

// EditItem sets the given fields (newsletter.ItemFields names) of item id
// to their values in edited, already cleaned, and marks them overridden:
// later imports of the same entry leave them as set here. The first time a
// field is overridden, the value it had (the source's) is kept in
// source_values, so it can be shown beside the staff's. The change makes
// a draft holding or near the item render again (updated_at).
func (s *Store) EditItem(ctx context.Context, id int64, edited newsletter.Item, fields []string) (newsletter.Item, error) {
	for _, f := range fields {
		if !slices.Contains(newsletter.ItemFields(), f) {
			return newsletter.Item{}, fmt.Errorf("store: edit item %d: %w: no field %q", id, newsletter.ErrInvalid, f)
		}
	}
	var out newsletter.Item
	err := s.inTx(ctx, fmt.Sprintf("edit item %d", id), func(tx *sqlx.Tx) error {
		var r itemRow
		if err := tx.GetContext(ctx, &r, `SELECT `+itemColumns+` FROM items WHERE id = $1 FOR UPDATE`, id); err != nil {
			return wrap("item", err)
		}
		cur := r.item()
		sourceValues := cur.SourceValues
		if sourceValues == nil {
			sourceValues = map[string]string{}
		}
		overridden := slices.Clone(cur.Overridden)
		for _, f := range fields {
			if !slices.Contains(overridden, f) {
				overridden = append(overridden, f)
				sourceValues[f] = cur.Field(f)
			}
		}
		sv, err := json.Marshal(sourceValues)
		if err != nil {
			return fmt.Errorf("source values: %w", err)
		}
		e := cur
		e.CopyFields(edited, fields)
		err = tx.GetContext(ctx, &r, `UPDATE items SET kind = $2, title = $3, summary = $4, url = $5, image_url = $6,
				image_alt = $7, image_credit = $8, published_at = $9, status = $10, overridden = $11,
				source_values = CAST($12 AS jsonb), updated_at = now()
			WHERE id = $1 RETURNING `+itemColumns,
			id, e.Kind, e.Title, e.Summary, e.URL, e.ImageURL, e.ImageAlt, e.ImageCredit, e.PublishedAt, e.Status,
			pq.StringArray(overridden), string(sv))
		if err != nil {
			return wrap("update", err)
		}
		out = r.item()
		return nil
	})
	return out, err
}
