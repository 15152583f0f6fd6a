package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/enews/enews/internal/newsletter"
)

// dedupedRows is the staged rows, one per address, the first in the file
// winning, in the unique index's order: bytewise (COLLATE "C"), which is
// how text_pattern_ops sorts, so the new rows go into that index at a few
// places instead of at a random leaf each. Equality is bytewise in any
// deterministic collation, so the duplicates are the same as under the
// database's own.
const dedupedRows = `SELECT DISTINCT ON (lower(email) COLLATE "C") lower(email) AS lemail, email, name, attributes, email_hash, suppressed
	FROM import_rows ORDER BY lower(email) COLLATE "C", line`

// mergeImport moves the staged rows onto the list. Each statement works on
// the whole set; the order matters: duplicates and suppressed addresses
// leave first, existing addresses are updated before new ones are inserted
// so none is counted twice.
func mergeImport(ctx context.Context, tx *sqlx.Tx, opts newsletter.ImportPolicy, res *newsletter.ImportResult) error {
	if !opts.ActivatePending && !opts.Overwrite {
		return addNew(ctx, tx, opts, res)
	}
	// The updates below read the set several times: it is kept in a table.
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE import_set ON COMMIT DROP AS `+dedupedRows); err != nil {
		return wrap("deduplicate", err)
	}
	var unique, suppressed int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE suppressed) FROM import_set`).Scan(&unique, &suppressed); err != nil {
		return wrap("deduplicate", err)
	}
	res.Duplicates, res.Suppressed = res.Rows-unique, suppressed
	if suppressed > 0 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM import_set WHERE suppressed`); err != nil {
			return wrap("suppressions", err)
		}
	}
	// ANALYZE gives the planner real row counts for the joins below; a
	// temporary table has no statistics otherwise.
	if _, err := tx.ExecContext(ctx, `ANALYZE import_set`); err != nil {
		return wrap("analyze", err)
	}
	if opts.ActivatePending {
		r, err := tx.ExecContext(ctx, `WITH a AS (
				UPDATE subscribers t SET status = 'active', confirmed_at = now(), updated_at = now()
				FROM import_set i WHERE lower(t.email) = i.lemail AND t.status = 'pending'
				RETURNING t.id, i.email_hash)
			INSERT INTO consent_events (subscriber_id, email_hash, event, source, import_id)
			SELECT id, email_hash, 'confirmed', $1, $2 FROM a`, opts.Source, res.ImportID)
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
	var err error
	if res.Inserted, err = insertNew(ctx, tx, opts, res.ImportID, "import_set"); err != nil {
		return err
	}
	res.Existing = unique - res.Suppressed - res.Inserted
	return nil
}

// addNew is the merge of an import that only adds addresses: one
// statement counts the distinct addresses from their keys alone, and one
// inserts the new ones straight from the sort that deduplicates them,
// without writing the set anywhere.
func addNew(ctx context.Context, tx *sqlx.Tx, opts newsletter.ImportPolicy, res *newsletter.ImportResult) error {
	var unique int64
	if err := tx.QueryRowContext(ctx, `SELECT count(DISTINCT lower(email) COLLATE "C"),
			count(DISTINCT lower(email) COLLATE "C") FILTER (WHERE suppressed) FROM import_rows`).
		Scan(&unique, &res.Suppressed); err != nil {
		return wrap("count addresses", err)
	}
	var err error
	if res.Inserted, err = insertNew(ctx, tx, opts, res.ImportID, "("+dedupedRows+")"); err != nil {
		return err
	}
	res.Duplicates = res.Rows - unique
	res.Existing = unique - res.Suppressed - res.Inserted
	return nil
}

// insertNew adds the addresses of set (import_set, or dedupedRows as a
// subquery; both in the unique index's order) that are neither suppressed
// nor on the list yet, each pointing to the import's record.
func insertNew(ctx context.Context, tx *sqlx.Tx, opts newsletter.ImportPolicy, importID int64, set string) (int64, error) {
	q := `INSERT INTO subscribers (email, name, status, attributes, confirmed_at, import_id)
		SELECT email, name, $1, COALESCE(attributes, '{}'), CASE WHEN $1 = 'active' THEN now() END, $2
		FROM ` + set + ` s
		WHERE NOT suppressed AND NOT EXISTS (SELECT 1 FROM subscribers t WHERE lower(t.email) = s.lemail)
		%s`
	var r sql.Result
	err := retryOnConflict(ctx, tx, func(onConflict string) (err error) {
		r, err = tx.ExecContext(ctx, fmt.Sprintf(q, onConflict), opts.Status, importID)
		return err
	})
	return affected(r, err, "insert")
}

// retryOnConflict runs an insert of new addresses without ON CONFLICT,
// because the speculative insertion ON CONFLICT does per row costs about a
// fifth of a large import; the NOT EXISTS filter leaves nothing to
// conflict with. Only a sign-up that commits the same address meanwhile
// can still collide: the statement then fails with a unique violation, is
// undone to a savepoint and runs again with ON CONFLICT, which waits for
// such rows and skips them. insert returns the driver's error unwrapped,
// for the unique violation to be seen.
func retryOnConflict(ctx context.Context, tx *sqlx.Tx, insert func(onConflict string) error) error {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT import_insert`); err != nil {
		return wrap("insert", err)
	}
	err := insert("")
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" {
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT import_insert`); err != nil {
			return wrap("insert", err)
		}
		err = insert("ON CONFLICT (lower(email)) DO NOTHING")
	}
	return err
}
