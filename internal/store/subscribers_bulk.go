package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/enews/enews/internal/newsletter"
)

func affected(r sql.Result, err error, op string) (int64, error) {
	if err != nil {
		return 0, wrap(op, err)
	}
	n, err := r.RowsAffected()
	if err != nil {
		return 0, wrap(op, err)
	}
	return n, nil
}

// ExportFilter narrows an export.
type ExportFilter struct {
	Status       string    // empty: any
	CreatedSince time.Time // zero: any
}

// ExportSink receives an export: the attribute keys in use first, then
// every row in id order.
type ExportSink interface {
	Begin(attributeKeys []string) error
	Row(sub *newsletter.Subscriber) error
}

// ExportSubscribers streams the list to sink in constant memory: one query
// read row by row, and one Subscriber value reused for every row (sink must
// not keep it). Keys and rows come from one snapshot, so they agree.
func (s *Store) ExportSubscribers(ctx context.Context, f ExportFilter, sink ExportSink) (int64, error) {
	if err := newsletter.CheckStatusFilter(f.Status); err != nil {
		return 0, err
	}
	tx, err := s.db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return 0, wrap("export: begin", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to undo
	where := `WHERE ($1 = '' OR status = $1) AND (CAST($2 AS timestamptz) IS NULL OR created_at >= $2)`
	since := nullTime(f.CreatedSince)
	var keys []string
	if err := tx.SelectContext(ctx, &keys, `SELECT DISTINCT k FROM subscribers, jsonb_object_keys(attributes) AS k `+
		where+` ORDER BY k`, f.Status, since); err != nil {
		return 0, wrap("export: attribute keys", err)
	}
	if err := sink.Begin(keys); err != nil {
		return 0, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, email, name, status, attributes, created_at, updated_at
		FROM subscribers `+where+` ORDER BY id`, f.Status, since)
	if err != nil {
		return 0, wrap("export", err)
	}
	defer rows.Close()
	var (
		n     int64
		sub   newsletter.Subscriber
		raw   []byte
		attrs = map[string]string{}
	)
	for rows.Next() {
		if err := rows.Scan(&sub.ID, &sub.Email, &sub.Name, &sub.Status, &raw, &sub.CreatedAt, &sub.UpdatedAt); err != nil {
			return n, wrap("export: scan", err)
		}
		clear(attrs)
		if err := json.Unmarshal(raw, &attrs); err != nil {
			return n, fmt.Errorf("store: export: attributes of %d: %w", sub.ID, err)
		}
		sub.Attributes = attrs
		if err := sink.Row(&sub); err != nil {
			return n, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, wrap("export", err)
	}
	return n, nil
}
