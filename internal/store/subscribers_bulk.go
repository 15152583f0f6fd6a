package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/enews/enews/internal/newsletter"
)

// ImportSubscribers adds rows to the list in one transaction: either the
// whole import lands or none of it. The rows stream through COPY into a
// temporary table, so memory stays flat however many there are, and are
// then merged with a few set-based statements rather than one per row.
// Rows must be normalised already; Status and ID of each are ignored.
// The sequence ending with an error aborts the import.
func (s *Store) ImportSubscribers(ctx context.Context, rows iter.Seq2[newsletter.Subscriber, error], opts newsletter.ImportPolicy) (newsletter.ImportResult, error) {
	status, err := newsletter.CheckNewStatus(opts.Status)
	if err != nil {
		return newsletter.ImportResult{}, fmt.Errorf("store: import: %w", err)
	}
	opts.Status = status
	if opts.Source == "" {
		opts.Source = newsletter.SourceImport
	}
	if s.hasher == nil {
		return newsletter.ImportResult{}, errNoHasher
	}
	var res newsletter.ImportResult
	err = s.inTx(ctx, "import subscribers", func(tx *sqlx.Tx) error {
		// Sorting and joining a million rows in memory rather than on disk;
		// LOCAL ends with the transaction.
		if _, err := tx.ExecContext(ctx, `SET LOCAL work_mem = '256MB'`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE import_rows (
				line bigint NOT NULL, email text NOT NULL, name text NOT NULL,
				attributes jsonb, email_hash text NOT NULL) ON COMMIT DROP`); err != nil {
			return wrap("staging table", err)
		}
		n, err := copyRows(ctx, tx, s.hasher, rows)
		if err != nil {
			return err
		}
		res.Rows = n
		return mergeImport(ctx, tx, opts, &res)
	})
	if err != nil {
		return newsletter.ImportResult{}, err
	}
	return res, nil
}

// copyRow is one row ready for COPY.
type copyRow struct {
	line              int64
	email, name, hash string
	attrs             any // JSON text, or nil for none
}

// copyRows streams rows into import_rows with COPY FROM STDIN. Reading the
// rows (CSV parsing, address checks, hashing) runs in its own goroutine and
// hands over batches, so it overlaps with the COPY instead of taking turns
// with it.
func copyRows(ctx context.Context, tx *sqlx.Tx, h Hasher, rows iter.Seq2[newsletter.Subscriber, error]) (int64, error) {
	stmt, err := tx.PrepareContext(ctx, `COPY import_rows (line, email, name, attributes, email_hash) FROM STDIN`)
	if err != nil {
		return 0, wrap("copy", err)
	}
	defer stmt.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []copyRow, 4)
	var readErr error
	go func() {
		defer close(batches)
		readErr = prepareRows(ctx, h, rows, batches)
	}()
	var n int64
	for batch := range batches {
		for _, r := range batch {
			if _, err := stmt.ExecContext(ctx, r.line, r.email, r.name, r.attrs, r.hash); err != nil {
				cancel()
				for range batches { // let the reader see the cancel and stop
				}
				return n, wrap("copy", err)
			}
			n++
		}
	}
	// The reader closed batches after setting readErr.
	if readErr != nil {
		return n, readErr
	}
	// The empty Exec ends the COPY and reports any error the server found
	// in the stream.
	if _, err := stmt.ExecContext(ctx); err != nil {
		return n, wrap("copy", err)
	}
	return n, nil
}

// prepareRows turns rows into batches of copyRow until the rows end, one
// fails, or ctx ends.
func prepareRows(ctx context.Context, h Hasher, rows iter.Seq2[newsletter.Subscriber, error], out chan<- []copyRow) error {
	const batchSize = 1000
	batch := make([]copyRow, 0, batchSize)
	send := func() error {
		select {
		case out <- batch:
			batch = make([]copyRow, 0, batchSize)
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	var line int64
	for sub, err := range rows {
		if err != nil {
			return err
		}
		line++
		r := copyRow{line: line, email: sub.Email, name: sub.Name, hash: h.HashAddress(sub.Email)}
		if len(sub.Attributes) > 0 {
			b, err := json.Marshal(sub.Attributes)
			if err != nil {
				return fmt.Errorf("attributes: %w", err)
			}
			r.attrs = string(b)
		}
		if batch = append(batch, r); len(batch) == batchSize {
			if err := send(); err != nil {
				return err
			}
		}
	}
	if len(batch) > 0 {
		return send()
	}
	return nil
}

// mergeImport moves the staged rows onto the list. Each statement works on
// the whole set; the order matters: duplicates and suppressed addresses
// leave first, existing addresses are updated before new ones are inserted
// so none is counted twice.
func mergeImport(ctx context.Context, tx *sqlx.Tx, opts newsletter.ImportPolicy, res *newsletter.ImportResult) error {
	// One row per address, the first in the file winning.
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE import_set ON COMMIT DROP AS
		SELECT DISTINCT ON (lower(email)) lower(email) AS lemail, email, name, attributes, email_hash
		FROM import_rows ORDER BY lower(email), line`); err != nil {
		return wrap("deduplicate", err)
	}
	var unique int64
	if err := tx.GetContext(ctx, &unique, `SELECT count(*) FROM import_set`); err != nil {
		return wrap("deduplicate", err)
	}
	res.Duplicates = res.Rows - unique
	// ANALYZE gives the planner real row counts for the joins below; a
	// temporary table has no statistics otherwise.
	if _, err := tx.ExecContext(ctx, `ANALYZE import_set`); err != nil {
		return wrap("analyze", err)
	}
	r, err := tx.ExecContext(ctx, `DELETE FROM import_set i USING suppressions s WHERE s.email_hash = i.email_hash`)
	if res.Suppressed, err = affected(r, err, "suppressions"); err != nil {
		return err
	}
	if opts.ActivatePending {
		r, err := tx.ExecContext(ctx, `WITH a AS (
				UPDATE subscribers t SET status = 'active', confirmed_at = now(), updated_at = now()
				FROM import_set i WHERE lower(t.email) = i.lemail AND t.status = 'pending'
				RETURNING t.id, i.email_hash)
			INSERT INTO consent_events (subscriber_id, email_hash, event, source)
			SELECT id, email_hash, 'confirmed', $1 FROM a`, opts.Source)
		if res.Activated, err = affected(r, err, "activate pending"); err != nil {
			return err
		}
	}
	if opts.Overwrite {
		r, err := tx.ExecContext(ctx, `UPDATE subscribers t SET
				name = CASE WHEN i.name <> '' THEN i.name ELSE t.name END,
				attributes = t.attributes || COALESCE(i.attributes, '{}'), updated_at = now()
			FROM import_set i WHERE lower(t.email) = i.lemail
			  AND (CASE WHEN i.name <> '' THEN i.name ELSE t.name END, t.attributes || COALESCE(i.attributes, '{}'))
			      IS DISTINCT FROM (t.name, t.attributes)`)
		if res.Updated, err = affected(r, err, "overwrite"); err != nil {
			return err
		}
	}
	if res.Inserted, err = insertNew(ctx, tx, opts); err != nil {
		return err
	}
	res.Existing = unique - res.Suppressed - res.Inserted
	return nil
}

// insertNew adds the addresses not on the list yet, with an imported event
// each. It first runs without ON CONFLICT, because the speculative insertion
// ON CONFLICT does per row costs about a fifth of a large import; the
// NOT EXISTS filter leaves nothing to conflict with. Only a sign-up that
// commits the same address meanwhile can still collide: the statement then
// fails with a unique violation, is undone to the savepoint and runs again
// with ON CONFLICT, which waits for such rows and skips them.
func insertNew(ctx context.Context, tx *sqlx.Tx, opts newsletter.ImportPolicy) (int64, error) {
	const q = `WITH n AS (
			INSERT INTO subscribers (email, name, status, attributes, confirmed_at)
			SELECT email, name, $1, COALESCE(attributes, '{}'), CASE WHEN $1 = 'active' THEN now() END
			FROM import_set i WHERE NOT EXISTS (SELECT 1 FROM subscribers t WHERE lower(t.email) = i.lemail)
			%s
			RETURNING id, lower(email) AS lemail)
		INSERT INTO consent_events (subscriber_id, email_hash, event, source)
		SELECT n.id, i.email_hash, 'imported', $2 FROM n JOIN import_set i ON i.lemail = n.lemail`
	if _, err := tx.ExecContext(ctx, `SAVEPOINT import_insert`); err != nil {
		return 0, wrap("insert", err)
	}
	r, err := tx.ExecContext(ctx, fmt.Sprintf(q, ""), opts.Status, opts.Source)
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" {
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT import_insert`); err != nil {
			return 0, wrap("insert", err)
		}
		r, err = tx.ExecContext(ctx, fmt.Sprintf(q, "ON CONFLICT (lower(email)) DO NOTHING"), opts.Status, opts.Source)
	}
	return affected(r, err, "insert")
}

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
